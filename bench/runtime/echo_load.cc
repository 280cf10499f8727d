// echo_load: a closed-loop load generator for raw_echo
// (examples/raw_echo), on ferry's runtime.
//
//   echo_load --port 7000 --connections 64 --inflight 1 --payload 32
//             --seconds 5 --warmup 1 [--threads 1] [--host 127.0.0.1]
//   (one command line; wrapped here)
//
// Every connection keeps --inflight requests outstanding: it writes that
// many frames at once, and for each response it reads (checking its length)
// it sends one more, batching the replacements of one read into one write.
// Latency is from the write of a request to the read that completed its
// response. Only responses that arrive in the measurement window (after
// --warmup seconds, for --seconds) count. After the window each connection
// stops sending and drains its outstanding requests, so the server never
// sees a reset (that loop is bench/common/loadgen.h's, shared with
// bench/rpc/thrift_loadgen). The result is one line on stdout:
//
//   echo_load: conns=64 inflight=1 payload=32 seconds=5 qps=... p50_us=...
//       p99_us=... p999_us=... errors=0     (one line)
//
// The exit status is 1 if any connection failed or
// no response arrived in the window.

#include <fmt/core.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "bench/common/loadgen.h"
#include "examples/raw_echo/frame.h"

namespace ferry::echo_load {
namespace {

using bench_common::LoadOptions;
using bench_common::parse_flag_number;
using raw_echo::encode_header;
using raw_echo::kHeaderSize;
using raw_echo::peek_length;

constexpr std::string_view kUsage =
    R"(usage: echo_load --port N [--host 127.0.0.1] [--connections 64]
                 [--inflight 1] [--payload 32] [--seconds 5] [--warmup 1]
                 [--threads 1]
Drives a raw_echo server: each connection keeps --inflight requests of
--payload bytes outstanding. Prints one line: conns, inflight, payload,
seconds, qps, p50/p99/p999 latency in microseconds, errors.
Flags are written --name value or --name=value.
)";

// ---- Load -------------------------------------------------------------------

// One connection's requests and the checks on its responses (a Protocol of
// bench_common::drive).
class EchoProtocol {
 public:
  // Every request is the same frame. K of them in one chunk are sent by
  // reference (clone + trim), so sending copies nothing.
  explicit EchoProtocol(const LoadOptions& o)
      : payload_(o.payload),
        frame_size_(kHeaderSize + o.payload),
        k_(o.inflight) {
    std::string frames(frame_size_ * k_, 'x');
    for (std::size_t i = 0; i < k_; ++i) {
      encode_header(static_cast<uint32_t>(payload_), &frames[i * frame_size_]);
    }
    batch_ = IoBuf::copy_from(frames);
  }

  IoBuf requests(std::size_t n) const {
    IoBuf more = batch_.clone();
    more.trim_front((k_ - n) * frame_size_);
    return more;
  }

  Status take_reply(IoBuf& pending, bool* took) const {
    const std::optional<uint32_t> len = peek_length(pending, 0);
    if (!len) return Status();
    if (*len != payload_) {
      return absl::DataLossError(fmt::format(
          "response of {} bytes to a {} byte request", *len, payload_));
    }
    if (pending.size() < frame_size_) return Status();
    pending.trim_front(frame_size_);
    *took = true;
    return Status();
  }

 private:
  std::size_t payload_;
  std::size_t frame_size_;
  std::size_t k_;
  IoBuf batch_;
};

// ---- Flags ------------------------------------------------------------------

Status set_flag(std::string_view name, std::string_view value, LoadOptions* o) {
  if (name == "payload") {
    return parse_flag_number<std::size_t>(name, value, 0,
                                          raw_echo::kMaxFrameSize, &o->payload);
  }
  if (name == "seconds") {
    return parse_flag_number<double>(name, value, 0.001, 86400, &o->seconds);
  }
  return bench_common::set_common_flag(name, value, o);
}

int run(int argc, char** argv) {
  LoadOptions o;
  if (std::optional<int> done = bench_common::parse_flags_or_exit(
          "echo_load", kUsage, argc, argv,
          [&](std::string_view name, std::string_view value) {
            return set_flag(name, value, &o);
          })) {
    return *done;
  }
  Result<bench_common::WorkerResult> total =
      bench_common::run_load(&o, [&] { return EchoProtocol(o); });
  if (!total.ok()) {
    fmt::print(stderr, "echo_load: {}\n", message_of(total.status()));
    return 1;
  }
  const bench_common::Percentiles p =
      bench_common::percentiles_us(total->latency);
  fmt::print(
      "echo_load: conns={} inflight={} payload={} seconds={:g} qps={:.0f} "
      "p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} errors={}\n",
      o.connections, o.inflight, o.payload, o.seconds,
      static_cast<double>(total->responses) / o.seconds, p.p50_us, p.p99_us,
      p.p999_us, total->errors);
  return bench_common::exit_status("echo_load", "response", *total);
}

}  // namespace
}  // namespace ferry::echo_load

int main(int argc, char** argv) { return ferry::echo_load::run(argc, argv); }
