#pragma once

// `TaskGroup`: structured concurrency for tasks on one worker. Tasks spawned
// into a group start on the next loop turn, run concurrently with the
// spawner, and are awaited by `join()`; nothing is ever detached. Every
// worker has a root group (behind `ferry::spawn`) that the runtime cancels
// and drains on shutdown.
//
//   TaskGroup conns;
//   while (auto s = co_await listener.accept()) {
//     conns.spawn(serve(std::move(*s)));
//   }
//   conns.cancel();          // ask every connection task to stop
//   co_await conns.join();   // and wait until they have
//
// Contract:
// - `spawn` takes ownership of the task; it runs on the calling thread's
//   worker under the group's CancelSource.
// - An exception escaping a spawned task is logged and dropped; use
//   Task<Status> inside and report errors as values.
// - `join()` completes once no task is left. If the task awaiting `join()` is
//   cancelled, the group is cancelled and `join()` still waits for the tasks
//   to finish, so nothing outlives the join.
// - Destroying a group with tasks still running destroys their frames (each
//   pending op cancels itself; see Task). Prefer `cancel()` + `join()`.
// - Not thread-safe: use a group from the worker it was first spawned on.

#include <coroutine>
#include <cstddef>

#include "runtime/cancel.h"
#include "runtime/task.h"

namespace ferry {

namespace internal {
class SpawnedPromise;
}

class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  // Starts `task` (on the next turn of the current worker's loop).
  void spawn(Task<void> task);
  // Runs `task` now, inside this call, until it first suspends (or ends);
  // it then continues in the group like a spawned task. For work that
  // usually finishes without waiting (a server's synchronous handlers),
  // this saves the trip through the ready queue. The caller must not be
  // affected by what `task` does before suspending (it runs first).
  void start(Task<void> task);

  // Cancels every task in the group (and any spawned later).
  void cancel() noexcept { cancel_.cancel(); }
  bool cancelled() const noexcept { return cancel_.cancelled(); }

  // Number of tasks spawned and not yet finished.
  std::size_t size() const noexcept { return size_; }

  // Completes when size() == 0.
  class JoinAwaiter;
  JoinAwaiter join() noexcept;

 private:
  friend class internal::SpawnedPromise;
  // Wraps `task` in a spawn record linked into the group (not started).
  internal::SpawnedPromise& adopt(Task<void> task);
  void finished(internal::SpawnedPromise* p) noexcept;

  CancelSource cancel_;
  internal::SpawnedPromise* head_ = nullptr;  // live tasks, intrusive list
  std::size_t size_ = 0;
  std::coroutine_handle<> joiner_;
};

class TaskGroup::JoinAwaiter : private CancelCallback {
 public:
  explicit JoinAwaiter(TaskGroup* g) noexcept
      : CancelCallback(&JoinAwaiter::cancel_group), group_(g) {}
  // The joining frame destroyed while the group lives on: forget it.
  ~JoinAwaiter() {
    if (self_ && group_->joiner_ == self_) group_->joiner_ = nullptr;
  }
  bool await_ready() const noexcept { return group_->size_ == 0; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) noexcept {
    group_->joiner_ = self_ = h;
    register_with(internal::cancel_source_of(h));
  }
  void await_resume() noexcept { unregister(); }

 private:
  static void cancel_group(CancelCallback* cb) noexcept {
    static_cast<JoinAwaiter*>(cb)->group_->cancel();
  }
  TaskGroup* group_;
  std::coroutine_handle<> self_;
};

inline TaskGroup::JoinAwaiter TaskGroup::join() noexcept {
  return JoinAwaiter(this);
}

// Spawns `task` into the current worker's root group. Must be called on a
// worker thread (inside a task run by a Runtime or block_on).
void spawn(Task<void> task);

}  // namespace ferry
