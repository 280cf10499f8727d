// echo_client: calls echo_server's Echo service through a middleware stack
// (metrics, timeout, retry over ferry's multiplexed Thrift channel), prints
// a few calls, then drives it for --duration seconds and prints the
// throughput and the stack's metrics.
//
//   echo_client [--host H] [--port N] [--transport framed|buffered]
//               [--protocol binary|compact] [--duration S] [--inflight K]
//               [--payload BYTES]

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_services.h"
#include "examples/common/flags.h"
#include "middleware/builder.h"
#include "middleware/metrics.h"
#include "middleware/retry.h"
#include "middleware/timeout.h"
#include "runtime/combinators.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "transport/thrift/channel.h"

namespace {

using namespace ferry;
using namespace std::chrono_literals;
namespace bench = ::ferry_demo::ferry::bench;

struct Settings {
  SocketAddress address;
  thrift::WireFormat format;
  std::chrono::seconds duration{5};
  int inflight = 64;
  std::size_t payload = 32;
};

// The client's stack, outermost first: every call is measured, bounded by
// 1 s, and retried (twice at most) if the connection was lost.
auto make_client(const Settings& s, MetricsRegistry& metrics) {
  thrift::ChannelOptions options;
  options.format = s.format;
  RetryPolicy retry;
  retry.retryable_methods = {"echo"};  // echo is idempotent
  auto stack = ServiceBuilder()
                   .layer(MetricsLayer(metrics))
                   .layer(TimeoutLayer(1s))
                   .layer(RetryLayer(retry))
                   .service(thrift::Channel::create(s.address, options));
  return bench::EchoClient<decltype(stack)>(std::move(stack));
}
using Client = decltype(make_client(std::declval<const Settings&>(),
                                    std::declval<MetricsRegistry&>()));

// Keeps calling until `end`; counts successes.
Task<uint64_t> caller(Client& client, std::string payload,
                      Clock::time_point end, uint64_t* failures) {
  uint64_t ok = 0;
  bench::Small req;
  req.msg = std::move(payload);
  while (clock_now() < end) {
    ++req.id;
    Result<bench::Small> r = co_await client.echo(req);
    if (r.ok() && r->id == req.id) {
      ++ok;
    } else {
      ++*failures;
    }
  }
  co_return ok;
}

Task<int> run_demo(Settings s) {
  MetricsRegistry metrics;
  Client client = make_client(s, metrics);
  for (int i = 1; i <= 3; ++i) {
    bench::Small req;
    req.id = i;
    req.msg = fmt::format("hello #{}", i);
    Result<bench::Small> r = co_await client.echo(req);
    if (!r.ok()) {
      fmt::print(stderr, "echo_client: echo failed: {}\n",
                 message_of(r.status()));
      co_return 1;
    }
    fmt::print("echo(id={}, msg=\"{}\") -> id={}, msg=\"{}\"\n", req.id,
               req.msg, r->id, r->msg);
  }

  fmt::print(
      "echo_client: {} callers in flight on one connection for {} s, "
      "{}-byte payload...\n",
      s.inflight, s.duration.count(), s.payload);
  std::fflush(stdout);
  uint64_t failures = 0;
  const auto start = clock_now();
  const auto end = start + s.duration;
  std::vector<Task<uint64_t>> callers;
  for (int i = 0; i < s.inflight; ++i) {
    callers.push_back(
        caller(client, std::string(s.payload, 'x'), end, &failures));
  }
  std::vector<uint64_t> counts = co_await when_all(std::move(callers));
  const double seconds =
      std::chrono::duration<double>(clock_now() - start).count();
  uint64_t total = 0;
  for (uint64_t c : counts) total += c;
  fmt::print("echo_client: {} calls in {:.2f} s = {:.0f} calls/s, {} failed\n",
             total, seconds, static_cast<double>(total) / seconds, failures);
  fmt::print("echo_client: metrics\n{}", render_prometheus(metrics));
  co_return failures == 0 && total > 0 ? 0 : 1;
}

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(argc, argv,
                                      {"host", "port", "transport", "protocol",
                                       "duration", "inflight", "payload"});
  if (!flags.ok()) {
    fmt::print(stderr, "echo_client: {}\n", message_of(flags.status()));
    return 2;
  }
  Settings s;
  auto address = SocketAddress::parse(
      fmt::format("{}:{}", flags->get_or("host", "127.0.0.1"),
                  flags->get_or("port", "9090")));
  auto format = examples::wire_format(*flags, "framed");
  for (const Status& st : {address.status(), format.status()}) {
    if (!st.ok()) {
      fmt::print(stderr, "echo_client: {}\n", message_of(st));
      return 2;
    }
  }
  s.address = *address;
  s.format = *format;
  auto duration = flags->get_uint("duration", 5, 24 * 3600);
  auto inflight = flags->get_uint("inflight", 64, 1 << 20);
  auto payload = flags->get_uint("payload", 32, 16 << 20);
  for (const Status& st :
       {duration.status(), inflight.status(), payload.status()}) {
    if (!st.ok()) {
      fmt::print(stderr, "echo_client: {}\n", message_of(st));
      return 2;
    }
  }
  s.duration = std::chrono::seconds(*duration);
  s.inflight = static_cast<int>(*inflight);
  s.payload = static_cast<std::size_t>(*payload);
  return block_on(run_demo(s));
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
