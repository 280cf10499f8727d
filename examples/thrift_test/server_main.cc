// thrift_test_server: ThriftTest (../shared/interop/thrift) served by ferry,
// with Apache TestServer's flags:
//
//   thrift_test_server [--port N] [--protocol binary|compact]
//                      [--transport framed|buffered] [--threads N]
//
// Without --protocol and --transport it accepts all four combinations on
// one port (detected per connection). Prints "LISTENING <port>" once ready
// (--port 0 picks a free port) and serves until SIGINT or SIGTERM, then
// stops gracefully.

#include <fmt/core.h>

#include <cstdio>

#include "examples/common/server_flags.h"
#include "examples/thrift_test/handler.h"
#include "transport/thrift/processor.h"
#include "transport/thrift/server.h"

namespace {

using namespace ferry;

int run(int argc, char** argv) {
  auto flags = examples::Flags::parse(
      argc, argv, {"port", "protocol", "transport", "threads", "host"});
  if (!flags.ok()) {
    fmt::print(stderr, "thrift_test_server: {}\n", message_of(flags.status()));
    return 2;
  }
  auto listen = examples::server_options(*flags);
  if (!listen.ok()) {
    fmt::print(stderr, "thrift_test_server: {}\n", message_of(listen.status()));
    return 2;
  }
  thrift::ServerOptions options = *std::move(listen);
  if (Status s = examples::set_server_format(*flags, "buffered", &options);
      !s.ok()) {
    fmt::print(stderr, "thrift_test_server: {}\n", message_of(s));
    return 2;
  }

  // Before the workers start, so only stop_signals.wait() sees them.
  examples::StopSignals stop_signals;

  static examples::ThriftTestHandler handler;
  using Processor = thrift::Processor<examples::tt::ThriftTestService,
                                      examples::ThriftTestHandler>;
  auto server =
      thrift::Server::start(options, [] { return Processor(&handler); });
  return examples::serve_until_signalled("thrift_test_server", server,
                                         stop_signals);
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
