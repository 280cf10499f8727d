#pragma once

// One event loop: the I/O backend, the ready queue, the timer heap, the
// root task group and the cross-thread inbox of one worker thread. Users
// reach it through runtime/runtime.h; ops and awaiters use it directly.
//
// A loop turn: run everything ready, then one backend `poll` (submit all new
// SQEs and wait for completions, bounded by the earliest timer), dispatch the
// completions (resuming their coroutines inline), fire expired timers.

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/functional/any_invocable.h"

#include "runtime/internal/backend.h"
#include "runtime/internal/op.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/internal/timer_heap.h"
#include "runtime/task_group.h"

namespace ferry {
struct RuntimeOptions;
class Runtime;
}  // namespace ferry

namespace ferry::internal {

class Worker {
 public:
  // Creates the loop on the calling thread (the thread that will run it).
  static Result<std::unique_ptr<Worker>> create(std::size_t index,
                                                Runtime* runtime,
                                                const RuntimeOptions& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // The worker running on this thread, or null.
  static Worker* current() noexcept { return current_; }

  std::size_t index() const noexcept { return index_; }
  Runtime* runtime() const noexcept { return runtime_; }
  Backend& backend() noexcept { return *backend_; }
  Clock::time_point now() const noexcept { return now_; }

  // The current time: the manual clock's when one is installed, else the
  // steady clock.
  Clock::time_point clock_now() const noexcept {
    return manual_now_ ? *manual_now_ : Clock::now();
  }
  // Installs (or, with nullopt, removes) a manual clock at `start`: timers
  // then fire only as `advance_manual_clock` moves time (tests).
  void set_manual_clock(std::optional<Clock::time_point> start) noexcept {
    manual_now_ = start;
    if (start) now_ = *start;
  }
  // Moves the manual clock forward by `d`, stopping at each timer deadline
  // on the way (so a timer fires at its own time and the tasks it wakes run
  // before time moves on); `after` runs once the target is reached.
  void advance_manual_clock(Clock::duration d, ReadyNode* after) noexcept {
    manual_target_ = *manual_now_ + d;
    after_timers_.push(after);
  }
  TimerHeap& timers() noexcept { return timers_; }
  TaskGroup& root_group() noexcept { return *root_; }

  // Runs `node` on this loop turn or the next (this thread only).
  void schedule(ReadyNode* node) noexcept { ready_.push(node); }

  // Thread-safe: runs `fn` on this worker's thread soon.
  void post(absl::AnyInvocable<void() &&> fn);

  // Runs the loop until `done()` is true (checked after every turn).
  template <class Pred>
  void run_until(Pred done) {
    for (;;) {
      run_ready();
      if (done()) return;
      poll_io();
    }
  }
  // Runs the loop until `stop()` is called from any thread, then shuts down.
  void run_until_stopped();
  void stop();  // thread-safe

  // Cancels the root group and runs until every spawned task and every
  // orphaned op has finished (bounded by `grace`; leftovers are destroyed).
  void shutdown(std::chrono::milliseconds grace = std::chrono::seconds(5));

  // Counts ops alive (in flight or orphaned), for shutdown and tests.
  void op_created() noexcept { ++live_ops_; }
  void op_destroyed() noexcept { --live_ops_; }
  std::size_t live_ops() const noexcept { return live_ops_; }

 private:
  Worker(std::size_t index, Runtime* runtime);
  void run_ready();
  // One backend poll; waits at most until the earliest timer, and at most
  // `cap` when given.
  void poll_io(std::optional<std::chrono::nanoseconds> cap = std::nullopt);
  void arm_wakeup();
  static void on_wakeup(Op* op, int32_t res, uint32_t flags) noexcept;
  void drain_inbox();

  static thread_local Worker* current_;

  std::size_t index_;
  Runtime* runtime_;
  std::unique_ptr<Backend> backend_;
  ReadyQueue ready_;
  TimerHeap timers_;
  Clock::time_point now_;
  std::optional<Clock::time_point> manual_now_;
  Clock::time_point manual_target_{};
  ReadyQueue after_timers_;  // advance_manual_clock waiters
  std::unique_ptr<TaskGroup> root_ = std::make_unique<TaskGroup>();
  std::size_t live_ops_ = 0;

  // Cross-thread inbox, woken through an eventfd read that stays armed.
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  Op* wake_op_ = nullptr;
  std::mutex inbox_mu_;
  std::vector<absl::AnyInvocable<void() &&>> inbox_;
  std::vector<absl::AnyInvocable<void() &&>> inbox_batch_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace ferry::internal
