// grpc_interop_server: grpc.testing.TestService (../shared/interop/grpc)
// served by ferry, with gRPC's interop server flags:
//
//   grpc_interop_server --port N [--threads N] [--use_tls false]
//
// Prints "LISTENING <port>" once ready (--port 0 picks a free port) and
// serves until SIGINT or SIGTERM, then stops gracefully.

#include <fmt/core.h>

#include <cstdio>
#include <string>

#include "examples/common/server_flags.h"
#include "examples/grpc_interop/handler.h"
#include "transport/grpc/server.h"

namespace {

using namespace ferry;

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(argc, argv,
                                      {"port", "threads", "host", "use_tls"});
  if (!flags.ok()) {
    fmt::print(stderr, "grpc_interop_server: {}\n", message_of(flags.status()));
    return 2;
  }
  if (flags->get_or("use_tls", "false") != "false") {
    fmt::print(stderr, "grpc_interop_server: TLS is not supported yet\n");
    return 2;
  }
  auto options =
      examples::listen_options<ferry::grpc::ServerOptions>(*flags, 0);
  if (!options.ok()) {
    fmt::print(stderr, "grpc_interop_server: {}\n",
               message_of(options.status()));
    return 2;
  }

  examples::StopSignals stop_signals;
  static examples::InteropHandler handler;
  static ferry::grpc::ServiceRegistry services;
  services.add<::grpc::testing::TestService>(&handler);
  auto server = ferry::grpc::Server::start(*options, services);
  return examples::serve_until_signalled("grpc_interop_server", server,
                                         stop_signals);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
