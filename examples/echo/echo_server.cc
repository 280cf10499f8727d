// echo_server: the Echo service of ../shared/bench/bench.thrift on ferry's
// Thrift server, for the README demo and the RPC benchmark.
//
//   echo_server [--host H] [--port N] [--threads N]
//               [--transport framed|buffered] [--protocol binary|compact]
//
// Without --transport/--protocol every combination is accepted (detected
// per connection). Prints "LISTENING <port>" when ready (--port 0 picks a
// free port); SIGINT/SIGTERM stop it gracefully and print the request
// count.

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "bench_services.h"
#include "examples/common/server_flags.h"
#include "transport/thrift/processor.h"
#include "transport/thrift/server.h"

namespace {

using namespace ferry;
namespace bench = ::ferry_demo::ferry::bench;

// Synchronous: no coroutine frame for the handler itself.
struct EchoHandler {
  bench::Small echo(bench::Small req) { return req; }
};

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(
      argc, argv, {"host", "port", "threads", "transport", "protocol", "cpus"});
  if (!flags.ok()) {
    fmt::print(stderr, "echo_server: {}\n", message_of(flags.status()));
    return 2;
  }
  auto listen = examples::server_options(*flags);
  if (!listen.ok()) {
    fmt::print(stderr, "echo_server: {}\n", message_of(listen.status()));
    return 2;
  }
  thrift::ServerOptions options = *std::move(listen);
  if (auto cpus = flags->get("cpus")) {  // "0,2": pin worker i to cpus[i]
    for (std::size_t at = 0; at < cpus->size();) {
      std::size_t comma = cpus->find(',', at);
      if (comma == std::string::npos) comma = cpus->size();
      auto cpu = examples::parse_uint(
          "--cpus", std::string_view(*cpus).substr(at, comma - at), 4095);
      if (!cpu.ok()) {
        fmt::print(stderr, "echo_server: {}\n", message_of(cpu.status()));
        return 2;
      }
      options.pin_cpus.push_back(static_cast<int>(*cpu));
      at = comma + 1;
    }
  }
  if (Status s = examples::set_server_format(*flags, "framed", &options);
      !s.ok()) {
    fmt::print(stderr, "echo_server: {}\n", message_of(s));
    return 2;
  }

  examples::StopSignals stop_signals;

  static EchoHandler handler;
  using Processor = thrift::Processor<bench::EchoService, EchoHandler>;
  auto server =
      thrift::Server::start(options, [] { return Processor(&handler); });
  if (!server.ok()) {
    fmt::print(stderr, "echo_server: {}\n", message_of(server.status()));
    return 1;
  }
  fmt::print("LISTENING {}\n", (*server)->address().port());
  fmt::print(
      "echo_server: {} ({} workers, backend {}, {})\n",
      (*server)->address().to_string(), (*server)->workers(),
      backend_name((*server)->backend()),
      options.format
          ? fmt::format("{} {}", thrift::framing_name(options.format->framing),
                        thrift::protocol_name(options.format->protocol))
          : std::string("any transport and protocol"));
  std::fflush(stdout);
  stop_signals.wait();
  const thrift::ServerStats stats = (*server)->stats();
  (*server)->stop();
  fmt::print("echo_server: served {} requests on {} connections\n",
             stats.requests, stats.connections_accepted);
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
