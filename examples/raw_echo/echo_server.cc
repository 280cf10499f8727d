#include "examples/raw_echo/echo_server.h"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <utility>

#include "examples/raw_echo/alloc_counter.h"
#include "examples/raw_echo/frame.h"
#include "runtime/task_group.h"
#include "runtime/time.h"

namespace ferry::raw_echo {
namespace {

using namespace std::chrono_literals;

// Per-worker counters. Thread-local because a worker owns its thread for
// the runtime's lifetime and a connection never leaves its worker: counting
// costs the hot path an add to memory no other core touches.
struct WorkerCounters {
  uint64_t messages = 0;
  uint64_t allocations_at_warmup = 0;
  bool warmed_up = false;
};
constinit thread_local WorkerCounters t_counters{};

void count_echoed(uint64_t frames) noexcept {
  WorkerCounters& c = t_counters;
  c.messages += frames;
  if (!c.warmed_up && c.messages >= ServerStats::kWarmupMessages) {
    c.warmed_up = true;
    c.allocations_at_warmup = thread_allocations();
  }
}

bool is_cancelled(const Status& s) noexcept {
  return s.code() == absl::StatusCode::kCancelled;
}

// Echoes frames until the peer closes its side, an I/O error, an oversized
// frame, or cancellation (server shutdown).
Task<void> serve_connection(TcpStream conn) {
  IoBuf pending;  // received bytes not yet echoed: at most a partial frame
  for (;;) {
    Result<IoBuf> got = co_await conn.read();
    if (!got.ok()) {
      if (!is_cancelled(got.status())) {
        fmt::print(stderr, "raw_echo: connection from {}: {}\n",
                   conn.peer_address().to_string(), message_of(got.status()));
      }
      break;
    }
    if (got->empty()) break;  // peer closed; a partial frame dies with it
    pending.append(std::move(*got));

    // Walk the headers to where the complete frames end; then one
    // split_front hands them all to one gathered write. Payload bytes are
    // never copied: they go back out in the chunks they arrived in.
    std::size_t complete = 0;
    uint64_t frames = 0;
    uint32_t oversized = 0;
    while (std::optional<uint32_t> len = peek_length(pending, complete)) {
      if (*len > kMaxFrameSize) {
        oversized = *len;
        break;
      }
      if (pending.size() - complete - kHeaderSize < *len) break;
      complete += kHeaderSize + *len;
      ++frames;
    }
    if (complete > 0) {
      Status s = co_await conn.write(pending.split_front(complete));
      if (!s.ok()) {
        if (!is_cancelled(s)) {
          fmt::print(stderr, "raw_echo: connection from {}: {}\n",
                     conn.peer_address().to_string(), message_of(s));
        }
        break;
      }
      count_echoed(frames);
    }
    if (oversized != 0) {
      fmt::print(stderr,
                 "raw_echo: closing connection from {}: frame of {} bytes "
                 "exceeds the {} MiB limit\n",
                 conn.peer_address().to_string(), oversized,
                 kMaxFrameSize >> 20);
      break;
    }
  }
  co_await conn.close();
}

// Accepts connections on this worker until the runtime shuts down (which
// cancels the root group this runs in), then stops every connection.
Task<void> accept_loop(TcpListener listener) {
  CancelSource* shutdown = co_await current_cancel_source();
  TaskGroup connections;
  while (shutdown == nullptr || !shutdown->cancelled()) {
    Result<TcpStream> conn = co_await listener.accept();
    if (conn.ok()) {
      connections.spawn(serve_connection(std::move(*conn)));
      continue;
    }
    if (is_cancelled(conn.status())) break;
    fmt::print(stderr, "raw_echo: {}\n", message_of(conn.status()));
    // EMFILE and friends: back off rather than spin on a full fd table.
    Status slept = co_await sleep_for(10ms);
    if (!slept.ok()) break;
  }
  // The connections run in their own group, not under our CancelSource.
  connections.cancel();
  co_await connections.join();
  co_await listener.close();
}

// Binds a listener on the calling worker and leaves its accept loop running
// in the worker's root group. Returns the bound address.
Task<Result<SocketAddress>> listen_on_this_worker(SocketAddress addr) {
  Result<TcpListener> listener = TcpListener::bind(addr);
  if (!listener.ok()) co_return listener.status();
  SocketAddress bound = listener->local_address();
  spawn(accept_loop(std::move(*listener)));
  co_return bound;
}

struct WorkerSnapshot {
  uint64_t messages = 0;
  uint64_t allocations_after_warmup = 0;
  bool warmed_up = false;
};

Task<WorkerSnapshot> snapshot_this_worker() {
  // Read first, so the only allocation of ours it can include is the spawn
  // record that runs this task (pooled once a connection task has ended).
  const uint64_t allocations = thread_allocations();
  const WorkerCounters& c = t_counters;
  WorkerSnapshot s;
  s.messages = c.messages;
  s.warmed_up = c.warmed_up;
  if (c.warmed_up) {
    s.allocations_after_warmup = allocations - c.allocations_at_warmup;
  }
  co_return s;
}

}  // namespace

Result<std::unique_ptr<EchoServer>> EchoServer::start(
    const ServerOptions& options) {
  if (options.threads == 0) {
    return absl::InvalidArgumentError("--threads must be at least 1");
  }
  std::string host = options.host;
  if (host.find(':') != std::string::npos && host.front() != '[') {
    host = fmt::format("[{}]", host);  // a bare IPv6 address
  }
  FERRY_ASSIGN_OR_RETURN(SocketAddress addr, SocketAddress::parse(fmt::format(
                                                 "{}:{}", host, options.port)));

  RuntimeOptions runtime_options;
  runtime_options.workers = options.threads;
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<Runtime> runtime,
                         Runtime::create(runtime_options));
  std::unique_ptr<EchoServer> server(new EchoServer(std::move(runtime)));

  // Worker 0 first: with port 0 it picks the port the others then share.
  for (std::size_t i = 0; i < server->workers(); ++i) {
    Result<SocketAddress> bound =
        server->runtime_->block_on(listen_on_this_worker(addr), i);
    if (!bound.ok()) {
      return Status(
          bound.status().code(),
          fmt::format("worker {}: {}", i, message_of(bound.status())));
    }
    if (i == 0) {
      server->address_ = *bound;
      addr = *bound;
    }
  }
  return server;
}

EchoServer::~EchoServer() { stop(); }

ServerStats EchoServer::stats() {
  ServerStats total;
  total.workers = runtime_->size();
  for (std::size_t i = 0; i < runtime_->size(); ++i) {
    const WorkerSnapshot s = runtime_->block_on(snapshot_this_worker(), i);
    total.messages += s.messages;
    total.allocations_after_warmup += s.allocations_after_warmup;
    total.workers_warmed_up += s.warmed_up ? 1 : 0;
  }
  return total;
}

void EchoServer::stop() {
  if (runtime_ != nullptr) runtime_->shutdown();
}

std::string listening_line(const EchoServer& server) {
  return fmt::format("raw_echo: listening on {} ({} workers, backend {})",
                     server.address().to_string(), server.workers(),
                     backend_name(server.backend()));
}

std::string stats_line(const ServerStats& stats) {
  const double per_message =
      stats.messages == 0
          ? 0.0
          : static_cast<double>(stats.allocations_after_warmup) /
                static_cast<double>(stats.messages);
  return fmt::format(
      "raw_echo: {} messages echoed, {} allocations after warm-up ({:.4f} per "
      "message)",
      stats.messages, stats.allocations_after_warmup, per_message);
}

void print_stats(const ServerStats& stats) {
  fmt::print("{}\n", stats_line(stats));
  std::fflush(stdout);
  if (stats.workers_warmed_up < stats.workers) {
    fmt::print(stderr,
               "raw_echo: note: {} of {} workers echoed fewer than {} "
               "messages; their allocations are not counted\n",
               stats.workers - stats.workers_warmed_up, stats.workers,
               ServerStats::kWarmupMessages);
  }
}

}  // namespace ferry::raw_echo
