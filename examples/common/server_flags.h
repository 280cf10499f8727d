#pragma once

// What the example servers' mains share: the Thrift ones' common flags as
// ServerOptions (examples/echo, examples/thrift_test), and serving until
// SIGINT or SIGTERM (every example server, Thrift and gRPC).

#include <fmt/core.h>
#include <pthread.h>
#include <signal.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "examples/common/flags.h"
#include "runtime/status.h"
#include "transport/thrift/server.h"

namespace ferry::examples {

// Where and on how many workers an example server listens, as the server's
// options (Thrift's or gRPC's): --host (default 127.0.0.1), --port (default
// `default_port`; 0 picks a free port) and --threads (default 1). A
// malformed number is an error naming the flag.
template <class Options>
Result<Options> listen_options(const Flags& flags, std::uint16_t default_port) {
  FERRY_ASSIGN_OR_RETURN(std::uint64_t port,
                         flags.get_uint("port", default_port, 65535));
  FERRY_ASSIGN_OR_RETURN(std::uint64_t threads,
                         flags.get_uint("threads", 1, 1024));
  Options options;
  options.host = flags.get_or("host", "127.0.0.1");
  options.port = static_cast<std::uint16_t>(port);
  options.threads = static_cast<std::size_t>(threads);
  return options;
}

// The Thrift servers' listen flags (default port 9090).
inline Result<thrift::ServerOptions> server_options(const Flags& flags) {
  return listen_options<thrift::ServerOptions>(flags, 9090);
}

// Sets options->format from --transport and --protocol if either is given
// (see wire_format; the transport defaults to `default_transport`). Without
// either, the server accepts every combination, detected per connection.
inline Status set_server_format(const Flags& flags,
                                std::string_view default_transport,
                                thrift::ServerOptions* options) {
  if (!flags.has("transport") && !flags.has("protocol")) return Status();
  FERRY_ASSIGN_OR_RETURN(options->format,
                         wire_format(flags, default_transport));
  return Status();
}

// SIGINT and SIGTERM, blocked from construction on in this thread and in
// the threads it starts after: construct it before the server, so that only
// wait() sees the signals.
class StopSignals {
 public:
  StopSignals() noexcept {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Blocks until SIGINT or SIGTERM arrives; returns which.
  int wait() noexcept {
    int sig = 0;
    sigwait(&signals_, &sig);
    return sig;
  }

 private:
  sigset_t signals_;
};

// Prints "LISTENING <port>", serves until SIGINT or SIGTERM, then stops
// `server` gracefully; returns main's exit code (1, with the reason on
// stderr, if the server did not start). Any ferry server type.
template <class Server>
int serve_until_signalled(std::string_view program,
                          Result<std::unique_ptr<Server>>& server,
                          StopSignals& signals) {
  if (!server.ok()) {
    fmt::print(stderr, "{}: {}\n", program, message_of(server.status()));
    return 1;
  }
  fmt::print("LISTENING {}\n", (*server)->address().port());
  std::fflush(stdout);
  signals.wait();
  (*server)->stop();
  return 0;
}

}  // namespace ferry::examples
