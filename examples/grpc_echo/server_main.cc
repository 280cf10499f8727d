// grpc_echo_server: Echo.Echo from ../shared/bench/bench.proto
// (/ferry.bench.Echo/Echo: the reply is the request) served by ferry's gRPC
// server, for the gRPC echo benchmark (scripts/bench_grpc.sh, against
// bench/rpc/grpc_cpp_echo_server):
//
//   grpc_echo_server --port N [--threads N] [--host 127.0.0.1]
//
// Prints "LISTENING <port>" once ready (--port 0 picks a free port) and
// serves until SIGINT or SIGTERM, then stops gracefully.

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "bench.ferry.h"
#include "examples/common/server_flags.h"
#include "middleware/context.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "transport/grpc/server.h"

namespace {

using namespace ferry;

// `rpc Echo` inside `service Echo`: protoc-gen-ferry names the method
// `Echo_`, since a struct cannot hold a member named like itself.
struct EchoHandler {
  Task<Result<bench::Small>> Echo_(Context&, const bench::Small& req) {
    co_return req;
  }
};

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(argc, argv, {"port", "threads", "host"});
  if (!flags.ok()) {
    fmt::print(stderr, "grpc_echo_server: {}\n", message_of(flags.status()));
    return 2;
  }
  auto options =
      examples::listen_options<ferry::grpc::ServerOptions>(*flags, 0);
  if (!options.ok()) {
    fmt::print(stderr, "grpc_echo_server: {}\n", message_of(options.status()));
    return 2;
  }

  examples::StopSignals stop_signals;
  static EchoHandler handler;
  static ferry::grpc::ServiceRegistry services;
  services.add<bench::Echo>(&handler);
  auto server = ferry::grpc::Server::start(*options, services);
  return examples::serve_until_signalled("grpc_echo_server", server,
                                         stop_signals);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
