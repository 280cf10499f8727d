// libFuzzer: gRPC's Length-Prefixed-Message deframer and gzip decompression
// (transport/grpc/wire.h) over arbitrary DATA streams.
//
// Input: byte 0 picks the message size limit (bits 0-1) and seeds the read
// sizes; the rest is the stream.
//
// Properties:
// - the same bytes give the same frames, the same final error and the same
//   leftover whether they arrive at once, in pseudo-random pieces (next()
//   called after some of them) or one byte per piece;
// - an error is final (the next call returns it again) and is kInternal
//   (flag byte) or kResourceExhausted (length over the limit), decided by
//   the prefix of the message after the last frame returned;
// - the frames re-framed with frame_message are exactly the consumed prefix
//   of the stream; without an error, that prefix plus buffered() is the
//   whole stream and has_partial() == (buffered() > 0);
// - bounded memory: once next() returns nullopt, fewer than 5 + limit bytes
//   are buffered;
// - compressed frames: gzip_decompress with a 1 MiB limit never crashes,
//   gives the same answer for the payload in one slice and in many, returns
//   at most 1 MiB, and its output survives a gzip round trip.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/io_buf.h"
#include "transport/grpc/wire.h"

namespace {

using ferry::IoBuf;
using ferry::grpc::Frame;
using ferry::grpc::MessageDeframer;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

constexpr std::size_t kLimits[4] = {0, 16, 4096, 1 << 20};
constexpr std::size_t kMaxDecompressed = 1 << 20;

struct Run {
  std::vector<bool> compressed;
  std::vector<std::string> payloads;
  std::vector<IoBuf> compressed_payloads;  // as the deframer returned them
  std::string error;                       // empty: no error
  std::size_t left = 0;                    // buffered() without an error
  bool same(const Run& o) const {
    return compressed == o.compressed && payloads == o.payloads &&
           error == o.error && left == o.left;
  }
};

void drain(MessageDeframer& d, Run& run) {
  while (run.error.empty()) {
    auto next = d.next();
    if (!next.ok()) {
      const auto code = next.status().code();
      check(code == absl::StatusCode::kInternal ||
            code == absl::StatusCode::kResourceExhausted);
      run.error = std::string(next.status().message());
      check(!run.error.empty());
      auto again = d.next();
      check(!again.ok() && again.status() == next.status());
      check(d.buffered() == 0 && !d.has_partial());
      return;
    }
    if (!next->has_value()) {
      check(d.buffered() <
            ferry::grpc::kMessagePrefixSize + d.max_message_size());
      check(d.has_partial() == (d.buffered() > 0));
      return;
    }
    Frame& f = **next;
    check(f.payload.size() <= d.max_message_size());
    run.compressed.push_back(f.compressed);
    run.payloads.push_back(f.payload.to_string());
    if (f.compressed) run.compressed_payloads.push_back(std::move(f.payload));
  }
}

// xorshift32: piece sizes from the seed byte.
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

Run deframe(std::size_t limit, std::string_view stream, Feed feed,
            std::uint8_t seed) {
  MessageDeframer d(limit);
  Run run;
  if (feed == Feed::kWhole) {
    d.feed(IoBuf::copy_from(stream));
    drain(d, run);
  } else {
    Rng rng{0x9e3779b9u ^ (std::uint32_t{seed} << 8) ^
            static_cast<std::uint32_t>(stream.size())};
    std::size_t at = 0;
    while (at < stream.size()) {
      const std::uint32_t r = rng.next();
      std::size_t n = 1;
      if (feed == Feed::kRandom) {
        n = (r & 3) == 0 ? 1 + (r >> 8) % 300 : 1 + (r >> 8) % 9;
      }
      const std::string_view piece = stream.substr(at, n);
      at += piece.size();
      d.feed(IoBuf::copy_from(piece));
      // Sometimes several pieces arrive before next() runs.
      if (feed == Feed::kBytes || (r & 0x60) != 0 || at == stream.size())
        drain(d, run);
    }
    drain(d, run);
  }
  if (run.error.empty()) run.left = d.buffered();
  return run;
}

void check_gzip(const IoBuf& whole, const IoBuf& pieces) {
  auto a = ferry::grpc::gzip_decompress(whole, kMaxDecompressed);
  auto b = ferry::grpc::gzip_decompress(pieces, kMaxDecompressed);
  check(a.ok() == b.ok());
  if (!a.ok()) {
    check(a.status().code() == b.status().code());
    check(a.status().code() == absl::StatusCode::kInternal ||
          a.status().code() == absl::StatusCode::kResourceExhausted);
    return;
  }
  check(a->size() <= kMaxDecompressed);
  const std::string out = a->to_string();
  check(*b == out);
  auto again = ferry::grpc::gzip_compress(*a);
  check(again.ok());
  auto round = ferry::grpc::gzip_decompress(*again, out.size());
  check(round.ok() && *round == out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 1) return 0;
  const std::size_t limit = kLimits[data[0] & 3];
  const std::string_view stream(reinterpret_cast<const char*>(data) + 1,
                                size - 1);

  const Run whole = deframe(limit, stream, Feed::kWhole, data[0]);
  const Run random = deframe(limit, stream, Feed::kRandom, data[0]);
  check(random.same(whole));
  if (stream.size() <= 1024) {
    const Run bytes = deframe(limit, stream, Feed::kBytes, data[0]);
    check(bytes.same(whole));
  }

  // The frames are the consumed prefix.
  std::string rebuilt;
  for (std::size_t i = 0; i < whole.payloads.size(); ++i) {
    rebuilt += ferry::grpc::frame_message(IoBuf::copy_from(whole.payloads[i]),
                                          whole.compressed[i])
                   .to_string();
  }
  check(rebuilt.size() <= stream.size());
  check(stream.substr(0, rebuilt.size()) == rebuilt);
  const std::string_view rest = stream.substr(rebuilt.size());
  if (whole.error.empty()) {
    check(rebuilt.size() + whole.left == stream.size());
  }
  // Where it stopped: an error exactly when the next prefix is bad.
  bool bad = false;
  if (!rest.empty() && static_cast<std::uint8_t>(rest[0]) > 1) bad = true;
  if (!bad && rest.size() >= 5) {
    const auto* b = reinterpret_cast<const std::uint8_t*>(rest.data());
    const std::uint32_t length = std::uint32_t{b[1]} << 24 |
                                 std::uint32_t{b[2]} << 16 |
                                 std::uint32_t{b[3]} << 8 | b[4];
    bad = length > limit;
    if (!bad) check(rest.size() - 5 < length);
  }
  check(bad == !whole.error.empty());

  // Compressed payloads: the whole run's are one slice, the random run's
  // usually several.
  check(whole.compressed_payloads.size() == random.compressed_payloads.size());
  for (std::size_t i = 0; i < whole.compressed_payloads.size(); ++i) {
    check_gzip(whole.compressed_payloads[i], random.compressed_payloads[i]);
  }
  return 0;
}
