#include "transport/server_core.h"

#include <fmt/core.h>

#include <algorithm>

#include "runtime/internal/log.h"

namespace ferry::transport {

namespace {

using namespace std::chrono_literals;

// Per-worker log budget: a flood of bad connections must not turn into a
// flood of log lines (or of the time spent writing them).
struct LogLimiter {
  static constexpr int kLinesPerSecond = 5;
  Clock::time_point window_start{};
  int lines = 0;
  uint64_t suppressed = 0;
};
thread_local LogLimiter t_log_limiter;

Task<Status> sleep_task(Clock::duration d) { co_return co_await sleep_for(d); }

Task<Status> wait_drained(ServerWorker* w) {
  co_return co_await w->drained.wait();
}

}  // namespace

void log_connection(const ServerWorker& w, const SocketAddress& peer,
                    std::string_view what) {
  LogLimiter& l = t_log_limiter;
  const Clock::time_point t = clock_now();
  if (t - l.window_start >= 1s) {
    if (l.suppressed > 0) {
      internal::log_error("{}: {} more connection errors not shown",
                          w.core->name, l.suppressed);
    }
    l.window_start = t;
    l.lines = 0;
    l.suppressed = 0;
  }
  if (l.lines >= LogLimiter::kLinesPerSecond) {
    ++l.suppressed;
    return;
  }
  ++l.lines;
  internal::log_error("{}: closing connection from {}: {}", w.core->name,
                      peer.to_string(), what);
}

Result<SocketAddress> parse_listen_address(const std::string& host,
                                           uint16_t port) {
  std::string h = host;
  if (h.find(':') != std::string::npos && h.front() != '[') {
    h = fmt::format("[{}]", h);  // a bare IPv6 address
  }
  return SocketAddress::parse(fmt::format("{}:{}", h, port));
}

void register_connection(ServerWorker& w, ServerConnectionBase* c) {
  c->live_index = w.live.size();
  w.live.push_back(c);
  ++w.stats.connections_accepted;
}

void unregister_connection(ServerWorker& w, ServerConnectionBase* c) {
  ServerConnectionBase* last = w.live.back();
  w.live[c->live_index] = last;
  last->live_index = c->live_index;
  w.live.pop_back();
  w.open_connections->fetch_sub(1, std::memory_order_relaxed);
  if (w.draining && w.live.empty()) w.drained.set();
}

Task<void> idle_sweep(ServerWorker& w) {
  const auto idle = w.core->idle_timeout;
  if (idle.count() <= 0) co_return;
  const auto period = std::max<Clock::duration>(idle / 4, 10ms);
  for (;;) {
    if (!(co_await sleep_for(period)).ok()) co_return;
    const Clock::time_point t = now();
    for (ServerConnectionBase* c : w.live) {
      if (c->in_flight() == 0 && t - c->last_activity() >= idle) {
        ++w.stats.connections_closed_idle;
        c->drain();
      }
    }
  }
}

Task<void> accept_loop(ServerWorker& w, TcpListener listener, ServeFn serve,
                       void* ctx) {
  w.accept_cancel.chain_to(co_await current_cancel_source());
  for (;;) {
    Result<TcpStream> conn =
        co_await run_under(&w.accept_cancel, listener.accept());
    if (!conn.ok()) {
      if (conn.status().code() == absl::StatusCode::kCancelled) break;
      internal::log_error("{}: accept: {}", w.core->name,
                          message_of(conn.status()));
      // EMFILE and friends: back off rather than spin on a full fd table.
      if (!(co_await run_under(&w.accept_cancel, sleep_task(10ms))).ok()) {
        break;
      }
      continue;
    }
    if (w.open_connections->fetch_add(1, std::memory_order_relaxed) >=
        w.core->max_connections) {
      w.open_connections->fetch_sub(1, std::memory_order_relaxed);
      ++w.stats.connections_refused;
      log_connection(w, conn->peer_address(),
                     fmt::format("{} connections open (max_connections)",
                                 w.core->max_connections));
      continue;  // ~TcpStream closes it
    }
    w.connections.spawn(serve(ctx, std::move(*conn)));
  }
  co_await listener.close();
  // Stop drains the connections; what they use lives in our caller's
  // frame, so wait for them before returning.
  co_await w.connections.join();
}

Status ServerCore::worker_error(std::size_t worker, const Status& why) {
  return Status(why.code(),
                fmt::format("worker {}: {}", worker, message_of(why)));
}

Status ServerCore::start_runtime() {
  if (options_.threads == 0) {
    return absl::InvalidArgumentError("threads must be at least 1");
  }
  RuntimeOptions runtime_options;
  runtime_options.workers = options_.threads;
  runtime_options.pin_cpus = options_.pin_cpus;
  FERRY_ASSIGN_OR_RETURN(runtime_, Runtime::create(runtime_options));
  open_connections_ = std::make_unique<std::atomic<std::size_t>>(0);
  return Status();
}

void ServerCore::add_worker(std::unique_ptr<ServerWorker> w) {
  w->core = &options_;
  w->open_connections = open_connections_.get();
  workers_.push_back(std::move(w));
}

namespace {

Task<void> begin_drain(ServerWorker* w) {
  w->draining = true;
  w->accept_cancel.cancel();
  for (ServerConnectionBase* c : w->live) c->drain();
  if (w->live.empty()) w->drained.set();
  co_return;
}

Task<void> finish_drain(ServerWorker* w, Clock::time_point deadline) {
  // A deadline already past still gives connections this turn to finish.
  const Status waited = co_await with_timeout(
      wait_drained(w), std::max<Clock::duration>(deadline - clock_now(), {}));
  if (!waited.ok()) {
    if (!w->live.empty()) {
      internal::log_error(
          "{}: {} connections still busy after the shutdown grace period; "
          "cancelling them",
          w->core->name, w->live.size());
    }
    w->connections.cancel();
  }
}

Task<ServerStats> worker_stats(ServerWorker* w) {
  ServerStats s = w->stats;
  s.connections_open = w->live.size();
  co_return s;
}

}  // namespace

ServerStats ServerCore::stats() {
  ServerStats total;
  if (stopped_ || runtime_ == nullptr) return total;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    const ServerStats s =
        runtime_->block_on(worker_stats(workers_[i].get()), i);
    total.connections_accepted += s.connections_accepted;
    total.connections_refused += s.connections_refused;
    total.connections_open += s.connections_open;
    total.connections_closed_malformed += s.connections_closed_malformed;
    total.connections_closed_idle += s.connections_closed_idle;
    total.requests += s.requests;
  }
  return total;
}

void ServerCore::stop() {
  if (stopped_ || runtime_ == nullptr) return;
  stopped_ = true;
  const Clock::time_point deadline = Clock::now() + options_.shutdown_grace;
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    runtime_->block_on(begin_drain(workers_[i].get()), i);
  }
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    runtime_->block_on(finish_drain(workers_[i].get(), deadline), i);
  }
  runtime_->shutdown();
}

}  // namespace ferry::transport
