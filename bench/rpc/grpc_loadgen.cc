// grpc_loadgen: a closed-loop gRPC load generator on ferry's gRPC client
// (transport/grpc/channel.h), for the gRPC benchmark: ferry's gRPC servers
// against gRPC C++'s (scripts/bench_grpc.py). The same client drives every
// server, so the comparison is of servers.
//
//   grpc_loadgen --port 7000 --mode unary --connections 64 --inflight 1
//                --payload 32 --duration 5 --warmup 1 [--threads 1]
//                [--stream-messages 1000] [--host 127.0.0.1]
//                                         (one command line; wrapped here)
//
// Every connection is its own grpc::Channel (one HTTP/2 connection) with
// --inflight calls outstanding on it, each call one HTTP/2 stream; as soon
// as a call ends, its slot starts the next.
//
// --mode unary: Echo.Echo of ../shared/bench/bench.proto
//   (/ferry.bench.Echo/Echo) with Small{id = 1, msg = <--payload bytes>};
//   every reply must equal the request. Latency is per call, from its start
//   to its response; qps counts calls.
// --mode stream: grpc.testing.TestService/StreamingOutputCall asking for
//   --stream-messages responses of --payload bytes each; every response's
//   payload must have that size, and every call must end OK with all of
//   them. qps counts response messages, mb_per_s their payload bytes (10^6
//   bytes per second), streams_per_s whole calls; the latency is of a whole
//   call (request to the final status).
//
// Only what completes in the measurement window (after --warmup seconds,
// for --duration) counts. After the window no call starts; the ones under
// way finish. The load loop (workers, window, deadline, flags, latency
// histogram) is bench/common/loadgen.h's, shared with thrift_loadgen: this
// file supplies per-connection `drive`s for gRPC (see below).
// Two lines go to stdout, a human one and one JSON object:
//
//   grpc_loadgen: mode=unary conns=64 inflight=1 payload=32 seconds=5
//       qps=... p50_us=... p99_us=... p999_us=... errors=0   (one line)
//   {"tool":"grpc_loadgen","mode":"unary",...,"qps":...,"p50_us":...}
//
// The exit status is 1 if any connection failed or nothing completed in the
// window. Pin it with taskset from outside.

#include <fmt/core.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bench.ferry.h"
#include "bench/common/loadgen.h"
#include "middleware/context.h"
#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "src/proto/grpc/testing/test.ferry.h"
#include "transport/grpc/channel.h"

namespace ferry::grpc_loadgen {
namespace {

namespace gt = ::grpc::testing;
using bench_common::parse_flag_number;
using bench_common::SteadyClock;
using bench_common::Window;
using bench_common::WorkerResult;

constexpr std::string_view kUsage =
    R"(usage: grpc_loadgen --port N [--mode unary|stream] [--host 127.0.0.1]
                    [--connections 64] [--inflight 1] [--payload 32]
                    [--stream-messages 1000] [--duration 5] [--warmup 1]
                    [--threads 1]
Drives a gRPC server with ferry's gRPC client: --connections HTTP/2
connections, each with --inflight calls outstanding.
  unary:  Echo.Echo (bench.proto) of a Small with a --payload byte msg.
  stream: TestService.StreamingOutputCall for --stream-messages responses of
          --payload bytes each.
Prints a human line and a JSON line: qps (calls, or response messages for
stream) and p50/p99/p999 latency (per call) in microseconds.
Flags are written --name value or --name=value (--seconds is --duration).
)";

enum class Mode { kUnary, kStream };

// bench_common's, with --duration for --seconds, --mode and
// --stream-messages.
struct Options : bench_common::LoadOptions {
  Mode mode = Mode::kUnary;
  std::size_t stream_messages = 1000;
};

bool in_window(const Window& w, SteadyClock::time_point t) noexcept {
  return t >= w.start && t < w.end;
}

void record_call(const Window& w, SteadyClock::time_point start,
                 SteadyClock::time_point end, WorkerResult* out) {
  if (!in_window(w, end)) return;
  out->latency.record(static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start)
          .count()));
}

// ---- Unary ------------------------------------------------------------------

using EchoClient = bench::Echo::Client<>;

// One connection's Echo load.
struct UnaryLoad {
  const bench::Small* request;
  static Task<Status> drive(UnaryLoad load, std::size_t inflight,
                            SocketAddress addr, Window window,
                            WorkerResult* out);
};

// One of a connection's --inflight slots: calls Echo back to back until
// the window ends.
Task<Status> echo_loop(EchoClient& client, UnaryLoad load, Window window,
                       WorkerResult* out) {
  const bench::Small& request = *load.request;
  for (;;) {
    const SteadyClock::time_point start = SteadyClock::now();
    if (start >= window.end) co_return Status();
    Context cx;
    Result<bench::Small> reply = co_await client.Echo_(cx, request);
    if (!reply.ok()) co_return std::move(reply).status();
    const SteadyClock::time_point end = SteadyClock::now();
    if (reply->id() != request.id() || reply->msg() != request.msg()) {
      co_return absl::DataLossError(fmt::format(
          "echo has id {} and a {} byte msg, want id {} and the {} byte "
          "payload",
          reply->id(), reply->msg().size(), request.id(),
          request.msg().size()));
    }
    record_call(window, start, end, out);
    if (in_window(window, end)) ++out->responses;
  }
}

// ---- Streaming --------------------------------------------------------------

using TestClient = gt::TestService::Client<>;

// One connection's StreamingOutputCall load.
struct StreamLoad {
  const gt::StreamingOutputCallRequest* request;
  std::size_t messages;  // responses per call
  std::size_t payload;   // bytes per response
  static Task<Status> drive(StreamLoad load, std::size_t inflight,
                            SocketAddress addr, Window window,
                            WorkerResult* out);
};

// One of a connection's --inflight slots: runs whole streaming calls back
// to back until the window ends. Each response message counts when it
// arrives in the window; the call's latency when the call ends in it.
Task<Status> stream_loop(TestClient& client, StreamLoad load, Window window,
                         WorkerResult* out) {
  gt::StreamingOutputCallResponse response;
  for (;;) {
    const SteadyClock::time_point start = SteadyClock::now();
    if (start >= window.end) co_return Status();
    Context cx;
    auto reader = co_await client.StreamingOutputCall(cx, *load.request);
    if (!reader.ok()) co_return std::move(reader).status();
    std::size_t got = 0;
    for (;;) {
      Result<bool> more = co_await reader->read(response);
      if (!more.ok()) co_return std::move(more).status();
      if (!*more) break;
      if (response.payload().body().size() != load.payload) {
        co_return absl::DataLossError(
            fmt::format("response payload of {} bytes, want {}",
                        response.payload().body().size(), load.payload));
      }
      ++got;
      if (in_window(window, SteadyClock::now())) ++out->responses;
    }
    Status finished = co_await reader->finish();
    if (!finished.ok()) co_return finished;
    if (got != load.messages) {
      co_return absl::DataLossError(fmt::format(
          "the call ended OK after {} responses, want {}", got, load.messages));
    }
    record_call(window, start, SteadyClock::now(), out);
  }
}

// ---- Connections ------------------------------------------------------------

// Runs `inflight` copies of `loop(client, ...)` on one channel, then closes
// it; the first failure is the connection's.
template <class Client, class Loop, class Load>
Task<Status> run_connection(SocketAddress addr, std::size_t inflight, Loop loop,
                            Load load, Window window, WorkerResult* out) {
  ferry::grpc::Channel channel = ferry::grpc::Channel::create(addr);
  Client client(channel);
  std::vector<Task<Status>> slots;
  slots.reserve(inflight);
  for (std::size_t i = 0; i < inflight; ++i) {
    slots.push_back(loop(client, load, window, out));
  }
  std::vector<Status> results = co_await when_all(std::move(slots));
  co_await channel.close();
  for (Status& s : results) {
    if (!s.ok()) co_return std::move(s);
  }
  co_return Status();
}

// bench_common::run_load runs each connection through the Load's own
// `drive` (see drive_connection): a gRPC channel instead of raw bytes.
Task<Status> UnaryLoad::drive(UnaryLoad load, std::size_t inflight,
                              SocketAddress addr, Window window,
                              WorkerResult* out) {
  return run_connection<EchoClient>(addr, inflight, &echo_loop, load, window,
                                    out);
}

Task<Status> StreamLoad::drive(StreamLoad load, std::size_t inflight,
                               SocketAddress addr, Window window,
                               WorkerResult* out) {
  return run_connection<TestClient>(addr, inflight, &stream_loop, load, window,
                                    out);
}

// ---- Flags ------------------------------------------------------------------

Status set_flag(std::string_view name, std::string_view value, Options* o) {
  if (name == "mode") {
    if (value == "unary") {
      o->mode = Mode::kUnary;
    } else if (value == "stream") {
      o->mode = Mode::kStream;
    } else {
      return absl::InvalidArgumentError(
          fmt::format("--mode: '{}' is neither unary nor stream", value));
    }
    return Status();
  }
  if (name == "payload") {
    // Under the client's 4 MiB receive limit, with room for the framing.
    return parse_flag_number<std::size_t>(name, value, 0, (4u << 20) - 1024,
                                          &o->payload);
  }
  if (name == "stream-messages") {
    return parse_flag_number<std::size_t>(name, value, 1, 1u << 24,
                                          &o->stream_messages);
  }
  if (name == "duration" || name == "seconds") {
    return parse_flag_number<double>(name, value, 0.001, 86400, &o->seconds);
  }
  return bench_common::set_common_flag(name, value, o);
}

int run(int argc, char** argv) {
  Options o;
  if (std::optional<int> done = bench_common::parse_flags_or_exit(
          "grpc_loadgen", kUsage, argc, argv,
          [&](std::string_view name, std::string_view value) {
            return set_flag(name, value, &o);
          })) {
    return *done;
  }

  bench::Small small;
  small.set_id(1);
  small.set_msg(std::string(o.payload, 'x'));
  gt::StreamingOutputCallRequest stream_request;
  for (std::size_t i = 0; i < o.stream_messages; ++i) {
    stream_request.add_response_parameters()->set_size(
        static_cast<int32_t>(o.payload));
  }

  const bool unary = o.mode == Mode::kUnary;
  Result<WorkerResult> total;
  if (unary) {
    total = bench_common::run_load(&o, [&] { return UnaryLoad{&small}; });
  } else {
    const StreamLoad load{&stream_request, o.stream_messages, o.payload};
    total = bench_common::run_load(&o, [&] { return load; });
  }
  if (!total.ok()) {
    fmt::print(stderr, "grpc_loadgen: {}\n", message_of(total.status()));
    return 1;
  }

  const double qps = static_cast<double>(total->responses) / o.seconds;
  const bench_common::Percentiles p =
      bench_common::percentiles_us(total->latency);
  const std::string_view mode = unary ? "unary" : "stream";
  // Stream mode only: whole calls per second and payload MB/s.
  const double streams_per_s =
      static_cast<double>(total->latency.total()) / o.seconds;
  const double mb_per_s = qps * static_cast<double>(o.payload) / 1e6;
  std::string stream_fields;
  std::string stream_json;
  if (!unary) {
    stream_fields =
        fmt::format(" messages={} streams_per_s={:.1f} mb_per_s={:.1f}",
                    o.stream_messages, streams_per_s, mb_per_s);
    stream_json = fmt::format(
        ",\"stream_messages\":{},\"streams_per_s\":{:.1f},"
        "\"mb_per_s\":{:.1f}",
        o.stream_messages, streams_per_s, mb_per_s);
  }
  fmt::print(
      "grpc_loadgen: mode={} conns={} inflight={} payload={} seconds={:g}{} "
      "qps={:.0f} p50_us={:.1f} p99_us={:.1f} p999_us={:.1f} errors={}\n",
      mode, o.connections, o.inflight, o.payload, o.seconds, stream_fields, qps,
      p.p50_us, p.p99_us, p.p999_us, total->errors);
  fmt::print(
      "{{\"tool\":\"grpc_loadgen\",\"mode\":\"{}\",\"connections\":{},"
      "\"inflight\":{},\"payload\":{},\"threads\":{},\"seconds\":{:g},"
      "\"warmup\":{:g},\"responses\":{},\"qps\":{:.0f},\"p50_us\":{:.1f},"
      "\"p99_us\":{:.1f},\"p999_us\":{:.1f},\"errors\":{}{}}}\n",
      mode, o.connections, o.inflight, o.payload, o.threads, o.seconds,
      o.warmup, total->responses, qps, p.p50_us, p.p99_us, p.p999_us,
      total->errors, stream_json);
  return bench_common::exit_status(
      "grpc_loadgen", unary ? "reply" : "response message", *total);
}

}  // namespace
}  // namespace ferry::grpc_loadgen

int main(int argc, char** argv) { return ferry::grpc_loadgen::run(argc, argv); }
