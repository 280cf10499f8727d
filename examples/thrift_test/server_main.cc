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
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "examples/thrift_test/flags.h"
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
  thrift::ServerOptions options;
  options.host = flags->get_or("host", "127.0.0.1");
  options.port =
      static_cast<uint16_t>(std::stoi(flags->get_or("port", "9090")));
  options.threads = std::stoul(flags->get_or("threads", "1"));
  if (flags->has("protocol") || flags->has("transport")) {
    auto framing =
        thrift::parse_framing(flags->get_or("transport", "buffered"));
    auto protocol = thrift::parse_protocol(flags->get_or("protocol", "binary"));
    if (!framing.ok() || !protocol.ok()) {
      fmt::print(
          stderr, "thrift_test_server: {}\n",
          message_of(framing.ok() ? protocol.status() : framing.status()));
      return 2;
    }
    options.format = thrift::WireFormat{*framing, *protocol};
  }

  // Block the signals before the workers start, so only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  static examples::ThriftTestHandler handler;
  using Processor = thrift::Processor<examples::tt::ThriftTestService,
                                      examples::ThriftTestHandler>;
  auto server =
      thrift::Server::start(options, [] { return Processor(&handler); });
  if (!server.ok()) {
    fmt::print(stderr, "thrift_test_server: {}\n", message_of(server.status()));
    return 1;
  }
  fmt::print("LISTENING {}\n", (*server)->address().port());
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*server)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc, argv); }
