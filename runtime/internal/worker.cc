#include "runtime/internal/worker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <utility>

#include "runtime/internal/log.h"
#include "runtime/runtime.h"
#include "runtime/time.h"

namespace ferry::internal {

thread_local Worker* Worker::current_ = nullptr;

Worker::Worker(std::size_t index, Runtime* runtime)
    : index_(index), runtime_(runtime), now_(Clock::now()) {}

Result<std::unique_ptr<Worker>> Worker::create(std::size_t index,
                                               Runtime* runtime,
                                               const RuntimeOptions& options) {
  if (current_ != nullptr) {
    return absl::FailedPreconditionError(
        "a ferry worker already runs on this thread (nested block_on?)");
  }
  FERRY_ASSIGN_OR_RETURN(IoBackend kind, resolve_backend(options));
  std::unique_ptr<Worker> w(new Worker(index, runtime));
  current_ = w.get();
  if (kind == IoBackend::kIoUring) {
    BackendOptions bo;
    bo.ring_entries = options.ring_entries;
    bo.recv_buffers = options.recv_buffers;
    bo.recv_buffer_size = options.recv_buffer_size;
    auto b = make_uring_backend(w.get(), bo);
    if (!b.ok()) {
      current_ = nullptr;
      return b.status();
    }
    w->backend_ = std::move(*b);
  } else {
    auto b = make_epoll_backend(w.get());
    if (!b.ok()) {
      current_ = nullptr;
      return b.status();
    }
    w->backend_ = std::move(*b);
  }
  const int flags =
      EFD_CLOEXEC | (kind == IoBackend::kEpoll ? EFD_NONBLOCK : 0);
  w->wake_fd_ = ::eventfd(0, flags);
  if (w->wake_fd_ < 0) {
    current_ = nullptr;
    return errno_status("eventfd", errno);
  }
  w->arm_wakeup();
  return w;
}

Worker::~Worker() {
  // Frames still alive die with the root group; their ops orphan themselves
  // and the backend's destructor reaps what the kernel still holds.
  root_.reset();
  if (wake_op_ != nullptr) {
    wake_op_->orphan();
    wake_op_ = nullptr;
  }
  // Deliver deferred completions (epoll cancellations) so those ops free.
  while (ReadyNode* n = ready_.pop()) n->run(n);
  backend_.reset();
  {
    std::lock_guard lock(inbox_mu_);  // no post() is mid-write
    if (wake_fd_ >= 0) ::close(wake_fd_);
    wake_fd_ = -1;
  }
  if (current_ == this) current_ = nullptr;
}

void Worker::arm_wakeup() {
  wake_op_ = Op::create(this, OpCode::kRead, wake_fd_);
  wake_op_->recv_buf = reinterpret_cast<char*>(&wake_value_);
  wake_op_->recv_len = sizeof(wake_value_);
  wake_op_->on_complete = &Worker::on_wakeup;
  wake_op_->user = this;
  if (backend_->start(wake_op_)) {
    // Completed synchronously (epoll, already signalled): handle now.
    Op* op = std::exchange(wake_op_, nullptr);
    Op::destroy(op);
    drain_inbox();
    arm_wakeup();
  }
}

void Worker::on_wakeup(Op* op, int32_t res, uint32_t) noexcept {
  auto* self = static_cast<Worker*>(op->user);
  if (op->orphaned) return;
  self->wake_op_ = nullptr;
  Op::destroy(op);
  if (res < 0 && res != -EAGAIN && res != -EINTR && res != -ECANCELED) {
    log_error("worker {}: eventfd read failed: {}", self->index_, -res);
  }
  self->drain_inbox();
  if (res != -ECANCELED) self->arm_wakeup();
}

void Worker::post(absl::AnyInvocable<void() &&> fn) {
  std::lock_guard lock(inbox_mu_);
  const bool was_empty = inbox_.empty();
  inbox_.push_back(std::move(fn));
  if (was_empty) {
    // Written under the lock: once the worker has drained the inbox it may
    // exit and close wake_fd_, which it does holding this lock too.
    const uint64_t one = 1;
    // A full eventfd counter (EAGAIN) already guarantees a wake-up.
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }
}

void Worker::drain_inbox() {
  {
    std::lock_guard lock(inbox_mu_);
    inbox_batch_.swap(inbox_);
  }
  for (auto& fn : inbox_batch_) std::move(fn)();
  inbox_batch_.clear();
}

void Worker::run_ready() {
  // Run what is ready. Bounded so a task that keeps yielding cannot
  // starve I/O: whatever it queues runs after the next poll.
  for (int budget = 4096; budget > 0; --budget) {
    ReadyNode* n = ready_.pop();
    if (n == nullptr) break;
    n->run(n);
  }
}

void Worker::poll_io(std::optional<std::chrono::nanoseconds> cap) {
  // One poll: submit everything queued this turn and wait, bounded by
  // the earliest timer (zero when more work is already ready).
  std::optional<std::chrono::nanoseconds> timeout;
  if (!ready_.empty() || !after_timers_.empty()) {
    timeout = std::chrono::nanoseconds(0);
  } else if (!timers_.empty()) {
    // Under a manual clock only `advance` makes timers due; no real wait
    // brings them closer.
    const auto left = timers_.earliest() - clock_now();
    if (!manual_now_ || left <= Clock::duration::zero()) {
      timeout = std::max(left, Clock::duration::zero());
    }
  }
  if (cap && (!timeout || *timeout > *cap)) timeout = cap;
  backend_->poll(timeout);
  // Then the timers that are due.
  bool advance_done = true;
  if (manual_now_ && !after_timers_.empty()) {
    // Step to the next deadline within the target, or to the target.
    Clock::time_point next = manual_target_;
    if (!timers_.empty() && timers_.earliest() < next) {
      next = std::max(timers_.earliest(), *manual_now_);
      advance_done = false;
    }
    manual_now_ = next;
  }
  now_ = clock_now();
  // Only timers armed before this point fire now: a task that keeps sleeping
  // until an instant already past must not starve the loop.
  const uint64_t armed_before = timers_.next_seq();
  while (TimerNode* t = timers_.pop_expired(now_, armed_before)) t->fire(t);
  if (advance_done) {
    while (ReadyNode* n = after_timers_.pop()) ready_.push(n);
  }
}

void Worker::stop() {
  post([this] { stop_requested_.store(true); });
}

void Worker::run_until_stopped() {
  run_until([this] { return stop_requested_.load(); });
  shutdown();
}

void Worker::shutdown(std::chrono::milliseconds grace) {
  root_->cancel();
  const auto deadline = Clock::now() + grace;
  // Ops that belong to no task (the wake-up read) stay alive: exclude it.
  auto settled = [&] {
    return root_->size() == 0 && live_ops_ <= (wake_op_ != nullptr ? 1 : 0);
  };
  for (;;) {
    run_ready();
    if (settled() || Clock::now() >= deadline) break;
    poll_io(deadline - Clock::now());
  }
  if (!settled()) {
    log_error(
        "worker {}: {} tasks / {} ops still running {} ms after shutdown; "
        "destroying them",
        index_, root_->size(), live_ops_, grace.count());
  }
}

}  // namespace ferry::internal

namespace ferry {
namespace internal {

Clock::time_point worker_now() noexcept { return Worker::current()->now(); }
Clock::time_point clock_now() noexcept {
  Worker* w = Worker::current();
  return w != nullptr ? w->clock_now() : Clock::now();
}
void worker_add_timer(TimerNode* t, Clock::time_point deadline) {
  Worker::current()->timers().insert(t, deadline);
}
void worker_remove_timer(TimerNode* t) noexcept {
  if (t->armed()) Worker::current()->timers().remove(t);
}
void worker_schedule(ReadyNode* n) noexcept { Worker::current()->schedule(n); }
Status deadline_status(std::chrono::nanoseconds after) {
  return absl::DeadlineExceededError(
      fmt::format("deadline exceeded after {} ms",
                  std::chrono::duration<double, std::milli>(after).count()));
}

}  // namespace internal

ManualClock::ManualClock() {
  internal::Worker* w = internal::Worker::current();
  w->set_manual_clock(w->clock_now());
}
ManualClock::~ManualClock() {
  internal::Worker::current()->set_manual_clock(std::nullopt);
}
void ManualClock::Advance::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter_ = h;
  internal::Worker::current()->advance_manual_clock(d_, this);
}

}  // namespace ferry
