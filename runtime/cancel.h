#pragma once

// Cooperative cancellation for tasks on one worker.
//
// Every `Task` carries a pointer to the `CancelSource` that governs it,
// inherited from the task that awaits it. `select`, `with_timeout` and
// `TaskGroup` give their children a fresh source chained to the parent's, so
// cancelling a parent cancels the whole subtree. When a source is cancelled,
// every registered `CancelCallback` runs once: an in-flight io_uring op
// submits IORING_OP_ASYNC_CANCEL, an epoll wait unparks, a sleep leaves the
// timer heap. The cancelled operation then *completes* (with kCancelled, or
// its real result if it won the race), so nothing is freed while the kernel
// still owns it. Cancelling is a request: the task observes it as a status and
// unwinds normally.
//
//   CancelSource source;
//   Task<void> t = some_task();           // runs under `source` when awaited
//   ...
//   source.cancel();                      // ops in `t` complete kCancelled
//
// Thread-safety: none. A source and its callbacks belong to one worker.
// Callbacks must not throw; they may register or unregister other callbacks.

#include <cstddef>

namespace ferry {

class CancelSource;

// A registration in a CancelSource's callback list. Intrusive: the object
// lives in the awaiter (or op) that registers it and must be unregistered
// (or destroyed, which unregisters) before that storage goes away.
class CancelCallback {
 public:
  using Fn = void (*)(CancelCallback*) noexcept;

  explicit CancelCallback(Fn fn) noexcept : fn_(fn) {}
  CancelCallback(const CancelCallback&) = delete;
  CancelCallback& operator=(const CancelCallback&) = delete;
  ~CancelCallback() { unregister(); }

  // Registers with `source`. If `source` is null nothing happens; if it is
  // already cancelled, `fn` runs immediately (before register_with returns).
  void register_with(CancelSource* source) noexcept;
  void unregister() noexcept;
  bool registered() const noexcept { return source_ != nullptr; }

 private:
  friend class CancelSource;
  Fn fn_;
  CancelSource* source_ = nullptr;
  CancelCallback* prev_ = nullptr;
  CancelCallback* next_ = nullptr;
};

// Owns the cancelled flag and the list of callbacks to run on `cancel()`.
// A source may be chained to a parent: when the parent is cancelled, so is
// this source. Destroying a source unregisters everything still registered.
class CancelSource {
 public:
  CancelSource() noexcept : parent_link_(&CancelSource::on_parent_cancel) {}
  explicit CancelSource(CancelSource* parent) noexcept : CancelSource() {
    chain_to(parent);
  }
  CancelSource(const CancelSource&) = delete;
  CancelSource& operator=(const CancelSource&) = delete;
  ~CancelSource();

  // Makes this source follow `parent` (which may be null).
  void chain_to(CancelSource* parent) noexcept;

  bool cancelled() const noexcept { return cancelled_; }

  // Marks the source cancelled and runs every registered callback once, in
  // registration order. Idempotent.
  void cancel() noexcept;

 private:
  friend class CancelCallback;
  static void on_parent_cancel(CancelCallback* link) noexcept;

  bool cancelled_ = false;
  CancelCallback* head_ = nullptr;
  CancelCallback* tail_ = nullptr;
  CancelCallback parent_link_;
};

inline void CancelCallback::register_with(CancelSource* source) noexcept {
  unregister();
  if (source == nullptr) return;
  if (source->cancelled_) {
    fn_(this);
    return;
  }
  source_ = source;
  prev_ = source->tail_;
  next_ = nullptr;
  if (prev_ != nullptr) {
    prev_->next_ = this;
  } else {
    source->head_ = this;
  }
  source->tail_ = this;
}

inline void CancelCallback::unregister() noexcept {
  if (source_ == nullptr) return;
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    source_->head_ = next_;
  }
  if (next_ != nullptr) {
    next_->prev_ = prev_;
  } else {
    source_->tail_ = prev_;
  }
  source_ = nullptr;
  prev_ = next_ = nullptr;
}

}  // namespace ferry
