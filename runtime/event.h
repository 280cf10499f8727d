#pragma once

// `Event`: a level-triggered flag tasks on one worker can wait for.
//
//   Event has_output;
//   // writer task                         // producers
//   for (;;) {                             out.append(bytes);
//     co_await has_output.wait();          has_output.set();
//     has_output.reset();
//     co_await stream.write(take(out));
//   }
//
// `set()` wakes every waiter on the next loop turn (never inside set(), so
// a producer keeps running and a burst of set() calls in one turn costs
// one wake-up); waits that start while the event is set complete at once.
// A waiting task that is cancelled resumes with kCancelled. Allocation-free:
// each waiter links itself into the event's list from its own frame.
//
// Not thread-safe: an Event and its waiters belong to one worker. Destroying
// an Event with tasks still waiting on it is a bug (they would never wake).

#include <cassert>
#include <coroutine>

#include "runtime/cancel.h"
#include "runtime/internal/ready_queue.h"
#include "runtime/status.h"
#include "runtime/task.h"

namespace ferry {

namespace internal {
void worker_schedule(ReadyNode* n) noexcept;
}  // namespace internal

class Event {
 public:
  class [[nodiscard]] Wait;

  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  ~Event() { assert(head_ == nullptr && "Event destroyed with waiters"); }

  bool is_set() const noexcept { return set_; }
  // Sets the flag and schedules every waiter.
  void set() noexcept;
  void reset() noexcept { set_ = false; }
  // Completes (OK) once the event is set; kCancelled if cancelled first.
  Wait wait() noexcept;

 private:
  bool set_ = false;
  Wait* head_ = nullptr;
};

class Event::Wait : private internal::ReadyNode, private CancelCallback {
 public:
  explicit Wait(Event* event) noexcept
      : ReadyNode(&Wait::on_ready),
        CancelCallback(&Wait::on_cancel),
        event_(event) {}
  Wait(const Wait&) = delete;
  ~Wait() { unlink(); }

  bool await_ready() const noexcept { return event_->set_; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    CancelSource* source = internal::cancel_source_of(h);
    if (source != nullptr && source->cancelled()) {
      cancelled_ = true;
      return false;
    }
    waiter_ = h;
    next_ = event_->head_;
    if (next_ != nullptr) next_->prev_ = this;
    event_->head_ = this;
    linked_ = true;
    register_with(source);
    return true;
  }
  Status await_resume() const {
    if (cancelled_) [[unlikely]]
      return cancelled_status("event wait");
    return Status();
  }

 private:
  friend class Event;

  void unlink() noexcept {
    if (!linked_) return;
    if (prev_ != nullptr) {
      prev_->next_ = next_;
    } else {
      event_->head_ = next_;
    }
    if (next_ != nullptr) next_->prev_ = prev_;
    prev_ = next_ = nullptr;
    linked_ = false;
  }
  // Removes this waiter from the event and resumes it on the loop.
  void wake() noexcept {
    unlink();
    CancelCallback::unregister();
    internal::worker_schedule(this);
  }
  static void on_cancel(CancelCallback* c) noexcept {
    auto* self = static_cast<Wait*>(c);
    self->cancelled_ = true;
    self->wake();
  }
  static void on_ready(ReadyNode* n) noexcept {
    static_cast<Wait*>(n)->waiter_.resume();
  }

  Event* event_;
  Wait* prev_ = nullptr;
  Wait* next_ = nullptr;
  std::coroutine_handle<> waiter_;
  bool linked_ = false;
  bool cancelled_ = false;
};

inline void Event::set() noexcept {
  set_ = true;
  while (head_ != nullptr) head_->wake();
}

inline Event::Wait Event::wait() noexcept { return Wait(this); }

}  // namespace ferry
