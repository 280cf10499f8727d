#pragma once

// The raw_echo server: a length-prefixed echo server, thread-per-core.
// Every worker binds its own listener on one port (SO_REUSEPORT), so the
// kernel spreads connections across workers and a connection never changes
// threads. A connection reads with zero copies (the received chunks are the
// kernel's buffers), peels off every complete frame with one split_front,
// and writes them back with one gathered write.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/status.h"

namespace ferry::raw_echo {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: an ephemeral port, shared by every worker
  std::size_t threads = 1;
};

// Counters summed over the workers. Allocations are counted per worker after
// its first kWarmupMessages messages (connection setup, the pools filling
// up and the vectors reaching their working size are not steady state).
struct ServerStats {
  static constexpr uint64_t kWarmupMessages = 1000;
  uint64_t messages = 0;
  uint64_t allocations_after_warmup = 0;
  std::size_t workers = 0;
  std::size_t workers_warmed_up = 0;  // the others count no allocations
};

class EchoServer {
 public:
  // Starts the runtime and a listener on every worker; returns once all of
  // them accept connections.
  static Result<std::unique_ptr<EchoServer>> start(
      const ServerOptions& options);
  ~EchoServer();  // stop()

  // The bound address (with the real port when options.port was 0).
  const SocketAddress& address() const noexcept { return address_; }
  std::size_t workers() const noexcept { return runtime_->size(); }
  IoBackend backend() const noexcept { return runtime_->backend(); }

  // Reads every worker's counters (runs a short task on each). Call before
  // stop(): shutdown's own allocations are not part of the steady state.
  ServerStats stats();

  // Closes the listeners and every connection and joins the workers.
  // Idempotent.
  void stop();

 private:
  explicit EchoServer(std::unique_ptr<Runtime> runtime)
      : runtime_(std::move(runtime)) {}

  std::unique_ptr<Runtime> runtime_;
  SocketAddress address_;
};

// "raw_echo: listening on 127.0.0.1:PORT (T workers, backend io_uring)"
std::string listening_line(const EchoServer& server);
// "raw_echo: N messages echoed, A allocations after warm-up (R per message)"
// where R = A / N.
std::string stats_line(const ServerStats& stats);
// Prints stats_line to stdout, and to stderr which workers never got past
// warm-up (their allocations are not in A, so a 0 there may mean little).
void print_stats(const ServerStats& stats);

}  // namespace ferry::raw_echo
