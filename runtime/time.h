#pragma once

// Timers on the current worker: `sleep_for`, `sleep_until`, `yield_now`, and
// `with_timeout`, which bounds any task by a deadline and cancels it (and
// waits for it) when the deadline passes.
//
//   Status s = co_await sleep_for(10ms);        // kCancelled if cancelled
//   Result<IoBuf> r = co_await with_timeout(stream.read(), 100ms);
//   // r: the read's own result, or kDeadlineExceeded
//
// Timers live in the worker's heap (runtime/internal/timer_heap.h): insert
// and cancel are O(log n) and allocation-free; the loop hands the kernel one
// timeout per turn. All of these must run on a worker thread.

#include <chrono>
#include <coroutine>
#include <type_traits>

#include "runtime/cancel.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/internal/timer_heap.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry {

using Clock = internal::Clock;

namespace internal {
Clock::time_point worker_now() noexcept;
// The worker's clock (manual under a ManualClock), or the steady clock off
// a worker.
Clock::time_point clock_now() noexcept;
void worker_add_timer(TimerNode* t, Clock::time_point deadline);
void worker_remove_timer(TimerNode* t) noexcept;
void worker_schedule(ReadyNode* n) noexcept;
[[gnu::cold]] Status deadline_status(std::chrono::nanoseconds after);
}  // namespace internal

// The cached time of the current loop turn (refreshed every turn).
inline Clock::time_point now() noexcept { return internal::worker_now(); }

// The current time on this worker's clock: the steady clock, or the
// ManualClock's time while one is installed. Deadlines and timers use it.
inline Clock::time_point clock_now() noexcept { return internal::clock_now(); }

// Awaitable returned by sleep_for/sleep_until. `co_await` yields OkStatus()
// when the deadline passes, or kCancelled if the awaiting task is cancelled
// first (the timer is removed at once).
class [[nodiscard]] Sleep : private internal::TimerNode,
                            private CancelCallback,
                            private internal::ReadyNode {
 public:
  explicit Sleep(Clock::time_point deadline) noexcept
      : TimerNode(&Sleep::on_fire),
        CancelCallback(&Sleep::on_cancel),
        ReadyNode(&Sleep::on_ready),
        deadline_(deadline) {}
  Sleep(const Sleep&) = delete;
  ~Sleep() { internal::worker_remove_timer(this); }

  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) {
    CancelSource* source = internal::cancel_source_of(h);
    if (source != nullptr && source->cancelled()) {
      cancelled_ = true;
      return false;
    }
    waiter_ = h;
    internal::worker_add_timer(this, deadline_);
    register_with(source);
    return true;
  }
  Status await_resume() const {
    if (cancelled_) [[unlikely]]
      return cancelled_status("sleep");
    return Status();
  }

 private:
  static void on_fire(TimerNode* t) noexcept {
    auto* self = static_cast<Sleep*>(t);
    self->unregister();
    self->waiter_.resume();
  }
  static void on_cancel(CancelCallback* c) noexcept {
    auto* self = static_cast<Sleep*>(c);
    internal::worker_remove_timer(self);
    self->cancelled_ = true;
    internal::worker_schedule(self);  // resume on the loop, not in cancel()
  }
  static void on_ready(ReadyNode* n) noexcept {
    static_cast<Sleep*>(n)->waiter_.resume();
  }

  Clock::time_point deadline_;
  std::coroutine_handle<> waiter_;
  bool cancelled_ = false;
};

inline Sleep sleep_until(Clock::time_point deadline) noexcept {
  return Sleep(deadline);
}
// Measured from the clock, not the turn's cached time, so a sleep is never
// shorter than asked.
template <class Rep, class Period>
Sleep sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  return Sleep(clock_now() + std::chrono::duration_cast<Clock::duration>(d));
}

// Lets every other ready task and the I/O poll run once before resuming.
class [[nodiscard]] YieldNow : private internal::ReadyNode {
 public:
  YieldNow() noexcept : ReadyNode(&YieldNow::on_ready) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    waiter_ = h;
    internal::worker_schedule(this);
  }
  void await_resume() const noexcept {}

 private:
  static void on_ready(ReadyNode* n) noexcept {
    static_cast<YieldNow*>(n)->waiter_.resume();
  }
  std::coroutine_handle<> waiter_;
};
inline YieldNow yield_now() noexcept { return {}; }

// Awaits `task` with `source` (instead of the caller's) as its CancelSource.
template <class T>
auto run_under(CancelSource* source, Task<T>&& task) {
  struct Awaiter {
    typename Task<T>::Handle h;
    CancelSource* source;
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) {
      h.promise().set_continuation(parent);
      h.promise().set_cancel_source(source);
      return h;
    }
    T await_resume() { return h.promise().take(); }
  };
  return Awaiter{task.handle(), source};
}

namespace internal {

// Fires `source.cancel()` at a deadline; removed when destroyed.
class DeadlineTimer : private TimerNode {
 public:
  DeadlineTimer(CancelSource* source, Clock::time_point deadline)
      : TimerNode(&DeadlineTimer::on_fire), source_(source) {
    worker_add_timer(this, deadline);
  }
  ~DeadlineTimer() { worker_remove_timer(this); }
  bool fired() const noexcept { return fired_; }

 private:
  static void on_fire(TimerNode* t) noexcept {
    auto* self = static_cast<DeadlineTimer*>(t);
    self->fired_ = true;
    self->source_->cancel();
  }
  CancelSource* source_;
  bool fired_ = false;
};

template <class T>
struct TimeoutResult {
  using type = Result<T>;
};
template <>
struct TimeoutResult<void> {
  using type = Status;
};
template <>
struct TimeoutResult<Status> {
  using type = Status;
};
template <class U>
struct TimeoutResult<Result<U>> {
  using type = Result<U>;
};

}  // namespace internal

// Runs `task` with a deadline `d` from now. If the deadline passes first the
// task is cancelled, awaited to completion, and kDeadlineExceeded returned
// (unless the task still succeeded, which wins). T = Status/Result<U>/void
// flatten into Status/Result<U>; any other T becomes Result<T>.
template <class T, class Rep, class Period>
Task<typename internal::TimeoutResult<T>::type> with_timeout(
    Task<T> task, std::chrono::duration<Rep, Period> d) {
  using Out = typename internal::TimeoutResult<T>::type;
  CancelSource source(co_await current_cancel_source());
  internal::DeadlineTimer timer(
      &source, clock_now() + std::chrono::duration_cast<Clock::duration>(d));
  if constexpr (std::is_void_v<T>) {
    co_await run_under(&source, std::move(task));
    if (timer.fired()) co_return internal::deadline_status(d);
    co_return Status();
  } else {
    T value = co_await run_under(&source, std::move(task));
    if constexpr (std::is_same_v<Out, T>) {
      if (!value.ok() && timer.fired()) co_return internal::deadline_status(d);
      co_return value;
    } else {
      co_return Out(std::move(value));
    }
  }
}

// A controllable clock for tests of time-dependent behaviour: while it
// lives, the current worker's time stands still except when `advance` moves
// it, so timeouts, backoffs and rate windows are tested without sleeping
// and without timing-sensitive asserts.
//
//   ManualClock clock;                       // on a worker
//   auto call = with_timeout(slow(), 100ms);
//   ... start `call` in a TaskGroup ...
//   co_await clock.advance(100ms);           // the timeout fires now
//
// Real I/O still runs; only timers and clock_now() follow the manual time.
class ManualClock {
 public:
  ManualClock();   // starts at the worker's current time
  ~ManualClock();  // back to the steady clock
  ManualClock(const ManualClock&) = delete;
  ManualClock& operator=(const ManualClock&) = delete;

  Clock::time_point now() const noexcept { return clock_now(); }

  // Moves time forward by `d`, stopping at every timer deadline on the way:
  // each timer fires at its own time and the tasks it wakes run (to their
  // next suspension) before time moves on. Resumes the caller at now + d.
  // Spawned tasks start on the next loop turn: `co_await yield_now()` after
  // spawning, before advancing, so they have armed their timers.
  class Advance : private internal::ReadyNode {
   public:
    explicit Advance(Clock::duration d) noexcept
        : ReadyNode(&Advance::on_ready), d_(d) {}
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept;
    void await_resume() const noexcept {}

   private:
    static void on_ready(ReadyNode* n) noexcept {
      static_cast<Advance*>(n)->waiter_.resume();
    }
    Clock::duration d_;
    std::coroutine_handle<> waiter_;
  };
  template <class Rep, class Period>
  Advance advance(std::chrono::duration<Rep, Period> d) const noexcept {
    return Advance(std::chrono::duration_cast<Clock::duration>(d));
  }
};

}  // namespace ferry
