// libFuzzer: ferry's Thrift message splitter (transport/thrift/framing.h)
// and wire-format detection over arbitrary byte streams.
//
// Input: byte 0 picks the format (bit 0 buffered, bit 1 compact) and the
// limits (bits 2-3); byte 1 seeds the read sizes; the rest is the stream.
//
// Properties:
// - the same bytes give the same messages, the same final error and the
//   same partial count whether they arrive at once, in reads of
//   pseudo-random sizes (mixing appended chunks and in-place growth of the
//   last slice, sometimes several reads per call) or one byte per read;
// - the same again when, as the server does, the frames wholly inside the
//   first slice are taken in place (`contiguous_frame`, one trim) before
//   each call; buffered never has such frames;
// - an error is final (the next call returns it again), kInvalidArgument;
// - the messages re-framed and concatenated are exactly the consumed prefix
//   of the stream; framed payloads are 1..limit bytes;
// - buffered: the codec's own readers (strict binary / compact, same
//   limits) read each message's envelope and skip its struct consuming
//   exactly the message; where the splitter fails (not for size) or needs
//   more bytes, the codec fails on the rest of the stream too; where it
//   fails for size, the codec cannot read a message within the limit;
// - detection never changes its answer once it has one, and names the
//   format of a stream whose first message the codec accepts;
// - the server's contiguous envelope read (read_contiguous_envelope), on
//   every in-place frame, accepts only what read_envelope reads the same
//   way.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/binary_protocol.h"
#include "codec/compact_protocol.h"
#include "runtime/io_buf.h"
#include "transport/thrift/envelope.h"
#include "transport/thrift/framing.h"

namespace {

using ferry::IoBuf;
using ferry::codec::DecodeLimits;
using ferry::codec::ProtocolId;
using ferry::thrift::Detect;
using ferry::thrift::Framing;
using ferry::thrift::MessageSplitter;
using ferry::thrift::WireFormat;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

// Small limits so the fuzzer reaches them, and the defaults.
constexpr DecodeLimits kLimits[4] = {
    {.max_string_length = 64,
     .max_container_size = 16,
     .max_depth = 8,
     .max_message_size = 256},
    {.max_string_length = 4096,
     .max_container_size = 4096,
     .max_depth = 32,
     .max_message_size = 4096},
    {.max_string_length = 16,
     .max_container_size = 4,
     .max_depth = 3,
     .max_message_size = 64},
    {},
};

struct Run {
  std::vector<std::string> messages;
  std::string error;  // empty: ended waiting for more bytes
  // Without an error: partial_bytes() and the bytes still pending (after an
  // error both depend on how much had arrived, so they are left at 0).
  std::size_t partial = 0;
  std::size_t left = 0;
  friend bool operator==(const Run&, const Run&) = default;
};

// (read_envelope bounds the name by itself: the limits do not matter.)
void check_contiguous_envelope(ProtocolId protocol, std::string_view frame) {
  ferry::thrift::detail::Envelope fast;
  if (!ferry::thrift::detail::read_contiguous_envelope(frame, protocol, fast))
    return;
  ferry::thrift::detail::Envelope full;
  check(ferry::thrift::detail::read_envelope(
            ferry::codec::ChainInput(frame.data(), frame.size()), protocol,
            DecodeLimits{}, full)
            .ok());
  check(fast.name == full.name);
  check(fast.name.empty() || fast.name.data() == full.name.data());
  check(fast.type == full.type && fast.seqid == full.seqid);
  check(fast.header_size == full.header_size);
  check(fast.header_size <= frame.size());
}

// Takes every complete message off `pending`; on an error checks that it is
// final. `in_place`: first the frames wholly inside the first slice, the
// way the server serves them.
void drain(MessageSplitter& splitter, IoBuf& pending, Run& run, bool in_place) {
  while (run.error.empty()) {
    if (in_place) {
      std::size_t served = 0;
      while (auto frame = splitter.contiguous_frame(pending, served)) {
        check(splitter.format().framing == Framing::kFramed);
        check(!frame->empty());
        const IoBuf::Slice& first = pending.slices().front();
        check(frame->data() == first.data + served + 4);
        check(served + 4 + frame->size() <= first.size);
        check_contiguous_envelope(splitter.format().protocol, *frame);
        run.messages.emplace_back(*frame);
        served += 4 + frame->size();
      }
      pending.trim_front(served);
    }
    auto next = splitter.next(pending);
    if (!next.ok()) {
      check(next.status().code() == absl::StatusCode::kInvalidArgument);
      run.error = std::string(next.status().message());
      check(!run.error.empty());
      auto again = splitter.next(pending);
      check(!again.ok() && again.status() == next.status());
      return;
    }
    if (!next->has_value()) return;
    run.messages.push_back((*next)->to_string());
  }
}

// xorshift32: read sizes from the seed byte.
struct Rng {
  std::uint32_t state;
  std::uint32_t next() {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  }
};

enum class Feed { kWhole, kRandom, kBytes };

Run split(WireFormat format, const DecodeLimits& limits,
          std::string_view stream, Feed feed, std::uint8_t seed,
          bool in_place = false) {
  MessageSplitter splitter(format, limits);
  IoBuf pending;
  Run run;
  if (feed == Feed::kWhole) {
    pending.append(IoBuf::copy_from(stream));
    drain(splitter, pending, run, in_place);
  } else {
    Rng rng{0x9e3779b9u ^ (std::uint32_t{seed} << 8) ^
            static_cast<std::uint32_t>(stream.size())};
    std::size_t at = 0;
    while (at < stream.size() && run.error.empty()) {
      std::size_t n = 1;
      const std::uint32_t r = rng.next();
      if (feed == Feed::kRandom) {
        n = (r & 3) == 0 ? 1 + (r >> 8) % 300 : 1 + (r >> 8) % 9;
      }
      const std::string_view chunk = stream.substr(at, n);
      if ((r & 16) != 0) {
        pending.append(chunk);  // grows the last slice in place if it can
      } else {
        pending.append(IoBuf::copy_from(chunk));
      }
      at += chunk.size();
      // Now and then several reads arrive before the splitter runs, so it
      // walks across slice boundaries too.
      if (feed == Feed::kBytes || (r & 0x60) != 0 || at == stream.size())
        drain(splitter, pending, run, in_place);
    }
  }
  if (run.error.empty()) {
    run.partial = splitter.partial_bytes();
    run.left = pending.size();
  }
  return run;
}

// The codec's reading of one message at the front of `bytes`: the bytes it
// took, or nullopt if it fails.
std::optional<std::size_t> codec_read(ProtocolId protocol,
                                      std::string_view bytes,
                                      const DecodeLimits& limits) {
  std::string name;
  ferry::codec::MessageType type;
  std::int32_t seqid;
  auto read = [&](auto& r) -> std::optional<std::size_t> {
    if (!r.read_message_begin(name, type, seqid).ok()) return std::nullopt;
    if (!r.skip(ferry::codec::TType::kStruct).ok()) return std::nullopt;
    return bytes.size() - r.remaining();
  };
  if (protocol == ProtocolId::kBinary) {
    ferry::codec::BinaryReader<ferry::codec::SpanInput> r(
        ferry::codec::SpanInput(bytes), limits, /*strict_read=*/true);
    return read(r);
  }
  ferry::codec::CompactReader<ferry::codec::SpanInput> r(
      ferry::codec::SpanInput(bytes), limits);
  return read(r);
}

std::string frame_header(std::size_t length) {
  const char header[4] = {
      static_cast<char>(length >> 24), static_cast<char>(length >> 16),
      static_cast<char>(length >> 8), static_cast<char>(length)};
  return std::string(header, 4);
}

void check_detection(WireFormat format, const DecodeLimits& limits,
                     std::string_view stream, const Run& run) {
  // Stable once decided.
  std::optional<ferry::thrift::Detection> decided;
  for (std::size_t n = 0; n <= std::min<std::size_t>(stream.size(), 20); ++n) {
    const auto d = ferry::thrift::detect_wire_format(
        IoBuf::copy_from(stream.substr(0, n)), limits.max_message_size);
    check((d.result == Detect::kUnrecognized) == !d.error.empty());
    if (decided) {
      check(d.result == decided->result);
      if (d.result == Detect::kFound) check(d.format == decided->format);
    } else if (d.result != Detect::kNeedMore) {
      decided = d;
    }
  }
  // A stream that starts with a message the codec accepts is recognised.
  if (run.messages.empty()) return;
  const std::string& first = run.messages[0];
  const auto whole = ferry::thrift::detect_wire_format(IoBuf::copy_from(stream),
                                                       limits.max_message_size);
  if (format.framing == Framing::kFramed &&
      codec_read(format.protocol, first, limits) != first.size())
    return;
  check(whole.result == Detect::kFound && whole.format == format);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 2) return 0;
  const WireFormat format{
      (data[0] & 1) != 0 ? Framing::kBuffered : Framing::kFramed,
      (data[0] & 2) != 0 ? ProtocolId::kCompact : ProtocolId::kBinary};
  const DecodeLimits& limits = kLimits[(data[0] >> 2) & 3];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 2,
                                size - 2);

  const Run whole = split(format, limits, stream, Feed::kWhole, data[1]);
  check(split(format, limits, stream, Feed::kRandom, data[1]) == whole);
  check(split(format, limits, stream, Feed::kWhole, data[1], true) == whole);
  check(split(format, limits, stream, Feed::kRandom, data[1], true) == whole);
  if (stream.size() <= 1024) {
    check(split(format, limits, stream, Feed::kBytes, data[1]) == whole);
  }

  // The messages are the consumed prefix, split.
  const bool framed = format.framing == Framing::kFramed;
  std::string rebuilt;
  for (const std::string& m : whole.messages) {
    if (framed) {
      check(!m.empty() && m.size() <= limits.max_message_size);
      rebuilt += frame_header(m.size());
    } else {
      check(m.size() <= limits.max_message_size);
      check(codec_read(format.protocol, m, limits) == m.size());
    }
    rebuilt += m;
  }
  check(rebuilt.size() <= stream.size());
  check(stream.substr(0, rebuilt.size()) == rebuilt);
  if (whole.error.empty()) {
    check(rebuilt.size() + whole.left == stream.size());
    check(whole.partial == whole.left);
  }

  // Where the splitter stopped: framed, an incomplete frame or a bad length;
  // buffered, the codec cannot read a message either.
  const std::string_view rest = stream.substr(rebuilt.size());
  if (framed && rest.size() >= 4) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(rest.data());
    const std::uint32_t length = std::uint32_t{b[0]} << 24 |
                                 std::uint32_t{b[1]} << 16 |
                                 std::uint32_t{b[2]} << 8 | b[3];
    const bool bad =
        length == 0 || length > limits.max_message_size || length > 0x7fffffffu;
    check(bad == !whole.error.empty());
    if (!bad) check(rest.size() - 4 < length);
  }
  if (!framed && !rest.empty()) {
    const bool size_error =
        whole.error.rfind("message exceeds size limit", 0) == 0;
    const std::string_view within =
        size_error ? rest.substr(0, limits.max_message_size) : rest;
    check(!codec_read(format.protocol, within, limits).has_value());
  }

  check_detection(format, limits, stream, whole);
  return 0;
}
