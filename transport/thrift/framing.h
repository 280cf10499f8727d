#pragma once

// Thrift's wire framings: where one message ends in a byte stream, which of
// the four framing/protocol combinations a client speaks, and the length
// prefix a framed writer puts in front of each message.
//
// - Framed: each message is preceded by its length, a 4-byte big-endian
//   integer (Apache's TFramedTransport).
// - Buffered (unframed): the messages follow each other with nothing in
//   between (TBufferedTransport); the only way to find where one ends is to
//   walk its structure, which `MessageSplitter` does incrementally.
//
//   MessageSplitter splitter({Framing::kBuffered, ProtocolId::kCompact},
//                            limits);
//   pending.append(std::move(received));           // bytes off the socket
//   for (;;) {
//     FERRY_ASSIGN_OR_RETURN(std::optional<IoBuf> message,
//                            splitter.next(pending));
//     if (!message) break;                         // read more first
//     dispatch(std::move(*message));               // shares pending's chunks
//   }
//
// A server that accepts every combination looks at a connection's first
// bytes with `detect_wire_format` and builds its splitter from the answer.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

#include "codec/buffer.h"
#include "codec/internal/wire.h"
#include "codec/protocol.h"
#include "runtime/io_buf.h"
#include "runtime/status.h"

namespace ferry::thrift {

enum class Framing : std::uint8_t { kFramed, kBuffered };

// A framing and a protocol: what both ends of a connection must agree on.
struct WireFormat {
  Framing framing = Framing::kFramed;
  codec::ProtocolId protocol = codec::ProtocolId::kBinary;
  friend bool operator==(const WireFormat&, const WireFormat&) = default;
};

// "framed" / "buffered", and "binary" / "compact" ("unknown" for a value
// outside the enum).
std::string_view framing_name(Framing framing) noexcept;
std::string_view protocol_name(codec::ProtocolId protocol) noexcept;

// The inverse of the names above, for command-line flags such as
// `--transport=framed --protocol=compact`. Exact, lower-case names; anything
// else is kInvalidArgument naming the bad value and the accepted ones.
Result<Framing> parse_framing(std::string_view name);
Result<codec::ProtocolId> parse_protocol(std::string_view name);

// ---- Detection --------------------------------------------------------------

enum class Detect : std::uint8_t { kNeedMore, kFound, kUnrecognized };

struct Detection {
  Detect result = Detect::kNeedMore;
  // Meaningful only for kFound.
  WireFormat format;
  // Only for kUnrecognized: what was wrong, naming the bytes seen (in hex
  // and as text), e.g. for an HTTP request
  //   unrecognized Thrift wire format: first bytes 47 45 54 20 2f 20 48 54
  //   ("GET / HT") look like HTTP, not Thrift
  std::string error;
};

// Says which of the four combinations a client speaks, from the first bytes
// it sent (`first_bytes` is only read; at most its first 16 bytes are
// looked at, so pass the whole pending buffer).
//
// - buffered binary: the strict header's first bytes, 0x80 0x01;
// - buffered compact: 0x82, then a byte whose low 5 bits (the version) are 1;
// - framed: a big-endian length in 1..`max_message_size` (and below 2^31),
//   then one of the two message starts above.
//
// Non-strict (unversioned) binary, whose messages start with the method
// name's length, is not accepted: the error says so. kNeedMore until enough
// bytes are there to decide (up to 6, for a framed message); kUnrecognized as
// soon as the bytes seen rule out every combination. The answer for a prefix
// never changes once it is kFound or kUnrecognized.
Detection detect_wire_format(const IoBuf& first_bytes,
                             std::uint32_t max_message_size);

// ---- Splitting --------------------------------------------------------------

// Cuts a byte stream into whole Thrift messages, without copying: each
// message is an IoBuf sharing chunks with the stream buffer.
//
// Framed: the 4-byte length is checked (1..limits.max_message_size, and
// below 2^31) and stripped; the payload is not looked at: a frame is one
// 4-byte peek and a split.
//
// Buffered: the end of a message is found by walking its structure (the
// envelope, then the argument or result struct with its fields, containers
// and strings). The walk is incremental: the splitter keeps its place (an
// explicit stack of open structs and containers, the offset reached, the
// bytes of a string still to skip) between calls, so each byte is looked at
// once however the message arrives (only a token of at most 16 bytes that a
// read boundary cuts is looked at again), and string payloads are skipped by
// length without being touched. A buffered message is checked as strictly
// as the codec's own readers check it (codec/binary_protocol.h with
// `strict_read`, codec/compact_protocol.h): whatever the splitter returns,
// `read_message_begin` + `skip(TType::kStruct)` consumes exactly. It fails
// at the first token that shows:
//   - a message larger than `limits.max_message_size`, as soon as a length
//     or element count shows it would be ("message exceeds size limit 64:
//     string length 100 at offset 30");
//   - nesting deeper than `limits.max_depth` (the message's struct is level
//     1, each struct and container one more), a string length or container
//     size above the limits, a negative one;
//   - an invalid type byte, a bad protocol id, version or message type, a
//     non-strict binary header, an over-long varint.
// Errors are kInvalidArgument (the peer's fault; a client may map them to
// kInternal) and end with the offset, within the message, of the token at
// fault: "invalid type 0x11 at offset 27".
//
// Errors are deterministic: the same bytes give the same messages and the
// same error however they are split into reads.
//
// Not thread-safe; one splitter per connection direction.
class MessageSplitter {
 public:
  MessageSplitter(WireFormat format, const codec::DecodeLimits& limits);

  // Takes the next complete message off the front of `pending` and returns
  // it (framed: without its length prefix); the rest stays in `pending`.
  // Returns nullopt when the message at the front is not complete yet: call
  // again after appending more bytes.
  //
  // Contract on `pending`: between calls it only grows at the back (by
  // `append`), apart from what `next` removed itself; its front bytes are
  // never modified, trimmed or coalesced by the caller. The returned IoBuf
  // shares `pending`'s chunks (same thread rules as IoBuf).
  //
  // An error is final: the stream cannot be resynchronised, so close the
  // connection. Every later call returns the same error.
  Result<std::optional<IoBuf>> next(IoBuf& pending);

  // Framed only, for a reader that serves messages in place: the body of
  // the frame starting `offset` bytes into `pending`'s first slice, if that
  // frame is complete, valid and wholly inside the slice; otherwise nullopt
  // (and `next` is the way on). Changes nothing: the caller consumes the
  // frames it served with one `pending.trim_front` before calling `next`.
  std::optional<std::string_view> contiguous_frame(
      const IoBuf& pending, std::size_t offset) const noexcept;

  // How many bytes of an incomplete message `pending` held at the last call
  // that returned nullopt (framed: including the length prefix); 0 before
  // the first call and after a call that returned a message. When the peer
  // closes with this non-zero, the stream was truncated mid-message.
  std::size_t partial_bytes() const noexcept { return partial_; }

  WireFormat format() const noexcept { return format_; }

 private:
  class Scanner;  // the buffered walk, framing.cc

  // One open struct or container of the buffered message being walked.
  struct Frame {
    // Containers: elements left (maps count keys and values separately, so
    // an even number means a key is next).
    std::uint32_t remaining;
    std::uint8_t kind;  // Kind, framing.cc
    codec::TType key;   // list/set element, map key
    codec::TType value;
  };

  Result<std::optional<IoBuf>> next_framed(IoBuf& pending);
  Result<std::optional<IoBuf>> next_buffered(IoBuf& pending);
  void reset_scan() noexcept;

  WireFormat format_;
  codec::DecodeLimits limits_;
  Status error_;  // not OK once next() failed
  std::size_t partial_ = 0;

  // Buffered walk state (framing.cc). The message starts at `pending`'s
  // front, so `pos_` is also the offset into `pending`.
  std::size_t pos_ = 0;           // bytes of the message walked
  std::size_t slice_index_ = 0;   // the slice of `pending` holding pos_
  std::size_t slice_offset_ = 0;  // pos_'s offset in that slice
  std::size_t skip_left_ = 0;     // payload bytes still to skip
  std::uint8_t step_ = 0;         // Step, framing.cc
  bool value_pending_ = false;    // a value of value_type_ comes next
  codec::TType value_type_ = codec::TType::kStop;
  absl::InlinedVector<Frame, 16> stack_;
};

// ---- Writing ----------------------------------------------------------------

// Frames a message written into `out`:
//
//   const std::size_t start = begin_frame(out, framing);
//   codec::BinaryWriter<> w(out);
//   w.write_message_begin(...); ...; w.write_message_end();
//   finish_frame(out, framing, start);
//
// Framed: `begin_frame` appends a 4-byte placeholder and returns its offset
// in `out`; `finish_frame` stores the big-endian length of everything
// written after it. Buffered: both do nothing (`begin_frame` returns
// out.size()). Several frames may be written into one buffer in turn.
// Inline: they run once per reply.
inline std::size_t begin_frame(codec::WriteBuffer& out, Framing framing) {
  const std::size_t start = out.size();
  if (framing == Framing::kFramed) {
    std::memset(out.ensure(4), 0, 4);
    out.commit(4);
  }
  return start;
}
inline void finish_frame(codec::WriteBuffer& out, Framing framing,
                         std::size_t frame_start) {
  if (framing != Framing::kFramed) return;
  const std::uint32_t length = ::ferry::internal::big_endian(
      static_cast<std::uint32_t>(out.size() - frame_start - 4));
  std::memcpy(out.data() + frame_start, &length, 4);
}

}  // namespace ferry::thrift
