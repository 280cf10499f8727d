#pragma once

// What ferry's servers (Thrift, gRPC) share: the thread-per-core runtime,
// one listener and accept loop per worker, connection bookkeeping (max
// connections, idle sweep, rate-limited logging) and graceful shutdown.
// Each protocol's server adds only its connection type and its options.
//
// Shutdown (`ServerCore::stop`): every worker stops accepting and drains
// its connections (each stops reading new requests, finishes the ones in
// flight and flushes); after `shutdown_grace` whatever is left is
// cancelled; then the runtime stops.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/event.h"
#include "runtime/net.h"
#include "runtime/runtime.h"
#include "runtime/status.h"
#include "runtime/task.h"
#include "runtime/task_group.h"
#include "runtime/time.h"

namespace ferry::transport {

// Counters summed over the workers.
struct ServerStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_refused = 0;  // over max_connections
  uint64_t connections_open = 0;
  uint64_t connections_closed_malformed = 0;
  uint64_t connections_closed_idle = 0;
  uint64_t requests = 0;
};

// The server-wide settings the shared machinery needs.
struct ServerCoreOptions {
  std::string_view name;  // "thrift server": prefixes log lines
  std::size_t threads = 1;
  std::vector<int> pin_cpus;
  std::chrono::milliseconds idle_timeout{0};
  std::size_t max_connections = 10000;
  std::chrono::milliseconds shutdown_grace{0};
};

class ServerConnectionBase;

// What a worker's connections share. Lives on (and is used only by) its
// worker. Servers derive from it to add their own per-worker state.
struct ServerWorker {
  virtual ~ServerWorker() = default;

  const ServerCoreOptions* core = nullptr;
  std::atomic<std::size_t>* open_connections = nullptr;  // all workers
  CancelSource accept_cancel;
  TaskGroup connections;
  // Live connections, for draining and the idle sweep.
  std::vector<ServerConnectionBase*> live;
  bool draining = false;
  Event drained;  // set once draining and no connection is left
  ServerStats stats;
};

// The protocol-independent half of a connection: what the worker drives.
class ServerConnectionBase {
 public:
  virtual ~ServerConnectionBase() = default;
  // Stop reading requests; finish the ones in flight, flush, close.
  virtual void drain() noexcept = 0;
  // Input seen last (the loop turn's time), and calls in flight.
  virtual Clock::time_point last_activity() const noexcept = 0;
  virtual std::size_t in_flight() const noexcept = 0;

  std::size_t live_index = 0;  // position in ServerWorker::live
};

void register_connection(ServerWorker& w, ServerConnectionBase* c);
void unregister_connection(ServerWorker& w, ServerConnectionBase* c);

// Closes idle connections of this worker until cancelled.
Task<void> idle_sweep(ServerWorker& w);
// Accepts on `listener` and starts `serve(stream)` for each connection in
// `w.connections`, until w.accept_cancel; then closes the listener and
// waits for the connections.
using ServeFn = Task<void> (*)(void* ctx, TcpStream stream);
Task<void> accept_loop(ServerWorker& w, TcpListener listener, ServeFn serve,
                       void* ctx);

// Rate-limited (per worker) log line about one connection.
[[gnu::cold]] void log_connection(const ServerWorker& w,
                                  const SocketAddress& peer,
                                  std::string_view what);

// "host:port", bracketing a bare IPv6 host.
Result<SocketAddress> parse_listen_address(const std::string& host,
                                           uint16_t port);

// The runtime and worker records of one server.
class ServerCore {
 public:
  ServerCore() = default;
  ServerCore(const ServerCore&) = delete;
  ServerCore& operator=(const ServerCore&) = delete;
  ~ServerCore() { stop(); }

  // Starts the runtime; `workers` holds one record per thread (made by the
  // caller, so it can be a derived type).
  template <class Worker>
  Status start(ServerCoreOptions options) {
    options_ = std::move(options);
    FERRY_RETURN_IF_ERROR(start_runtime());
    for (std::size_t i = 0; i < runtime_->size(); ++i) {
      add_worker(std::make_unique<Worker>());
    }
    return Status();
  }

  // Runs `task` on worker `i` and waits for it; wraps a failure as
  // "worker i: ...".
  template <class T>
  T block_on(Task<T> task, std::size_t i) {
    return runtime_->block_on(std::move(task), i);
  }
  [[gnu::cold]] static Status worker_error(std::size_t worker,
                                           const Status& why);

  std::size_t size() const noexcept { return workers_.size(); }
  ServerWorker& worker(std::size_t i) noexcept { return *workers_[i]; }
  IoBackend backend() const noexcept { return runtime_->backend(); }

  ServerStats stats();
  // Graceful shutdown (see the file comment). Idempotent; call from
  // outside the server's workers.
  void stop();

 private:
  Status start_runtime();
  void add_worker(std::unique_ptr<ServerWorker> w);

  ServerCoreOptions options_;
  std::unique_ptr<std::atomic<std::size_t>> open_connections_;
  std::vector<std::unique_ptr<ServerWorker>> workers_;
  std::unique_ptr<Runtime> runtime_;
  bool stopped_ = false;
};

}  // namespace ferry::transport
