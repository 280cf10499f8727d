#pragma once

// gRPC's wire-level pieces that need no I/O (doc/PROTOCOL-HTTP2.md of
// grpc/grpc): the Length-Prefixed-Message framing of DATA frames, the
// `grpc-timeout` header, the percent-encoding of `grpc-message`, base64 for
// `-bin` metadata, header-key validation and the `gzip` message encoding.
// The HTTP/2 server and channel build on these; each is a pure function or
// a small state machine, so it is unit tested and fuzzed on its own.
//
//   MessageDeframer deframer(/*max_message_size=*/4 << 20);
//   deframer.feed(std::move(data));            // a DATA frame's payload
//   for (;;) {
//     FERRY_ASSIGN_OR_RETURN(std::optional<Frame> frame, deframer.next());
//     if (!frame) break;                       // wait for more DATA
//     handle(frame->compressed, std::move(frame->payload));
//   }
//   if (end_of_stream && deframer.has_partial()) /* INTERNAL */;
//
// Status codes follow the spec's table: a malformed message is kInternal, a
// message over the receiver's limit kResourceExhausted. Every error message
// says what was wrong and where (which message, which limit).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/io_buf.h"
#include "runtime/status.h"

namespace ferry::grpc {

// ---- Length-Prefixed-Message ------------------------------------------------
//
//   +------------+---------------------------+-----------------+
//   | compressed | length (4 bytes, big end) | payload (length) |
//   |  0 or 1    |                           |                  |
//   +------------+---------------------------+-----------------+

// Size of the prefix in front of every message.
inline constexpr std::size_t kMessagePrefixSize = 5;
// gRPC's default receive limit (4 MiB), used by both ends unless configured.
inline constexpr std::size_t kDefaultMaxMessageSize = 4 * 1024 * 1024;

// One message taken off a stream. `payload` shares the chunks that were
// fed to the deframer (no copy); when `compressed` is set it is encoded
// with the stream's `grpc-encoding` (see `gzip_decompress`).
struct Frame {
  bool compressed = false;
  IoBuf payload;
};

// Cuts the bytes of one gRPC stream's DATA frames into messages,
// incrementally: feed each DATA payload as it arrives and call `next()`
// until it returns nullopt.
//
// Contract:
// - Payloads are never copied: `feed` keeps the IoBuf's chunks and each
//   frame's payload is split off them (`IoBuf::split_front`). Only the
//   5-byte prefix is read out with `copy_to`.
// - The prefix is checked as soon as it is complete, before any of the
//   payload is waited for or buffered beyond what the peer already sent:
//   a flag byte other than 0 or 1 fails with kInternal ("grpc message:
//   compressed flag 7 is neither 0 nor 1 (message 3)", checked as soon as
//   the flag byte arrives), a length above `max_message_size` with
//   kResourceExhausted ("grpc message 2: length 5000000 exceeds limit
//   4194304"). Messages are numbered from 1 in the order received.
// - After an error the deframer stays failed: `next()` returns the same
//   status again, `feed` drops its input, and `buffered()` is 0.
// - The deframer buffers whatever is fed and not yet taken; HTTP/2 flow
//   control is what bounds it. Once `next()` has returned nullopt, at most
//   `kMessagePrefixSize + max_message_size - 1` bytes remain buffered.
// - Not thread-safe; IoBuf's thread rules apply to what is fed.
class MessageDeframer {
 public:
  explicit MessageDeframer(
      std::size_t max_message_size = kDefaultMaxMessageSize) noexcept
      : max_message_size_(max_message_size) {}

  // Appends `data` (takes its chunks, no copy). Empty input is fine.
  void feed(IoBuf data);

  // The next whole message; nullopt when more bytes are needed; an error as
  // described above (sticky).
  Result<std::optional<Frame>> next();

  // True when bytes of an unfinished message are buffered. Meaningful after
  // `next()` returned nullopt: at end of stream it means the stream ended
  // inside a message, which the caller reports as kInternal.
  bool has_partial() const noexcept { return buffered() > 0; }

  // Bytes fed and not yet returned, counting a prefix already parsed.
  std::size_t buffered() const noexcept {
    return pending_.size() + (have_prefix_ ? kMessagePrefixSize : 0);
  }

  // Messages returned so far.
  std::uint64_t messages() const noexcept { return messages_; }

  std::size_t max_message_size() const noexcept { return max_message_size_; }

 private:
  Status fail(Status status);

  std::size_t max_message_size_;
  IoBuf pending_;
  Status error_;
  std::uint64_t messages_ = 0;
  std::uint32_t length_ = 0;  // of the message whose prefix was parsed
  bool have_prefix_ = false;
  bool compressed_ = false;
};

// `payload` with its 5-byte prefix in front: one fresh 5-byte chunk followed
// by `payload`'s own chunks (no copy of the payload). Precondition:
// `payload.size() <= UINT32_MAX` (callers enforce their send limit first).
IoBuf frame_message(IoBuf payload, bool compressed);

// ---- grpc-timeout -----------------------------------------------------------

// Parses a `grpc-timeout` value: 1 to 8 ASCII digits, then one unit
// character, H (hours), M (minutes), S (seconds), m (milliseconds),
// u (microseconds) or n (nanoseconds), and nothing else (no sign, no
// spaces). "0n" parses as zero (a deadline already passed). Values beyond
// what `std::chrono::nanoseconds` holds (more than ~292 years, e.g.
// "99999999H") saturate to `nanoseconds::max()`. Anything else: nullopt.
std::optional<std::chrono::nanoseconds> parse_timeout(
    std::string_view value) noexcept;

// Formats `timeout` for `grpc-timeout`: at most 8 digits in the finest unit
// that fits, rounded up, so the deadline the peer sees is never earlier than
// ours (1500ms -> "1500000u", 1s+1ns -> "1000001u"). A zero or negative
// timeout is sent as "1n": an already expired deadline, which the server
// will enforce at once.
std::string format_timeout(std::chrono::nanoseconds timeout);

// ---- grpc-message -----------------------------------------------------------

// Percent-encodes a status message for `grpc-message`: every byte outside
// 0x20..0x7E, and '%' itself, becomes "%XX" (uppercase hex); UTF-8 text is
// encoded byte by byte.
std::string percent_encode(std::string_view message);

// Decodes `percent_encode`'s output, leniently as the spec asks: a '%' not
// followed by two hex digits (either case) is kept literally, as are all
// other bytes.
std::string percent_decode(std::string_view value);

// ---- Custom metadata --------------------------------------------------------

// True for keys whose values are binary ("-bin" suffix) and so travel as
// base64.
bool is_binary_header(std::string_view key) noexcept;

// Base64 (standard alphabet) without '=' padding, as gRPC sends `-bin`
// values.
std::string encode_binary_header(std::string_view value);

// Decodes a `-bin` value, padded or not; nullopt if it is not base64.
std::optional<std::string> decode_binary_header(std::string_view value);

// A metadata key ferry may send: non-empty, only a-z 0-9 '-' '_' '.'
// (the spec's Header-Name; upper case is not allowed in HTTP/2).
bool is_valid_header_key(std::string_view key) noexcept;

// An ASCII metadata value ferry may send: only 0x20..0x7E (the spec's
// ASCII-Value). Binary values go through `encode_binary_header` instead.
bool is_valid_ascii_header_value(std::string_view value) noexcept;

// ---- gzip -------------------------------------------------------------------

// Compresses `in` (read only; any number of slices, fed to zlib one by one)
// into the gzip format (RFC 1952) for `grpc-encoding: gzip`. The result is
// new chunks owned by the returned IoBuf. Fails only if zlib does
// (kInternal, or kResourceExhausted when it is out of memory).
Result<IoBuf> gzip_compress(const IoBuf& in);

// Decompresses a gzip message (one member, or several concatenated) from
// `in` (read only; slices fed to zlib one by one) into new chunks.
// Decompression-bomb safe: output is produced into chunks of at most 16 KiB
// sized to the room left, and as soon as it would exceed `max_output`
// bytes the call fails with kResourceExhausted ("decompressed message
// exceeds limit N"), having allocated at most `max_output` + 1 bytes of
// output plus zlib's own state. Corrupt or truncated input fails with
// kInternal naming zlib's message and the input offset.
Result<IoBuf> gzip_decompress(const IoBuf& in, std::size_t max_output);

}  // namespace ferry::grpc
