#pragma once

// `Task<T>`: ferry's coroutine type. Lazy (nothing runs until awaited or
// spawned), move-only, `[[nodiscard]]`, and resumed by symmetric transfer, so
// a chain of awaits neither grows the stack nor goes through a scheduler.
// Frames come from a per-thread recycling allocator
// (runtime/internal/frame_allocator.h).
//
//   Task<int> answer() { co_return 42; }
//   Task<Result<int>> twice() {
//     int a = co_await answer();
//     co_return 2 * a;
//   }
//   // run it: ferry::block_on(twice())  (runtime/runtime.h)
//
// Contract:
// - A Task owns its frame; destroying a Task that has not finished destroys
//   the frame and everything it awaits (each pending op cancels itself and
//   hands its buffers to the runtime until the kernel is done with them).
// - A Task is awaited at most once, as an rvalue: `co_await std::move(t)`.
// - The awaiting task's CancelSource (runtime/cancel.h) is inherited by the
//   awaited one.
// - An exception escaping the body is rethrown at the `co_await`. ferry's
//   own failures are `Status` values (runtime/status.h), never exceptions.

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "runtime/cancel.h"
#include "runtime/internal/frame_allocator.h"

namespace ferry {

template <class T = void>
class Task;

namespace internal {

// Shared by every Task promise: frame allocation, continuation, the
// cancellation source, and the exception slot.
class PromiseBase {
 public:
  static void* operator new(std::size_t n) { return frame_alloc(n); }
  static void operator delete(void* p, std::size_t n) noexcept {
    frame_free(p, n);
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<P> h) const noexcept {
      std::coroutine_handle<> next = h.promise().continuation_;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { exception_ = std::current_exception(); }

  void set_continuation(std::coroutine_handle<> c) noexcept {
    continuation_ = c;
  }
  CancelSource* cancel_source() const noexcept { return cancel_; }
  void set_cancel_source(CancelSource* s) noexcept { cancel_ = s; }

 protected:
  void rethrow_if_failed() {
    if (exception_) [[unlikely]]
      std::rethrow_exception(std::exchange(exception_, nullptr));
  }

 private:
  std::coroutine_handle<> continuation_;
  CancelSource* cancel_ = nullptr;
  std::exception_ptr exception_;
};

// The CancelSource governing the coroutine `h`, or null when `h` is not a
// ferry Task (then its operations cannot be cancelled from outside).
template <class P>
CancelSource* cancel_source_of(std::coroutine_handle<P> h) noexcept {
  if constexpr (std::is_base_of_v<PromiseBase, P>) {
    return h.promise().cancel_source();
  } else {
    return nullptr;
  }
}

template <class T>
class Promise final : public PromiseBase {
 public:
  Task<T> get_return_object() noexcept;

  template <class U>
  requires std::is_convertible_v<U&&, T>
  void return_value(U&& value) noexcept(
      std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(&value_)) T(std::forward<U>(value));
    has_value_ = true;
  }

  Promise() noexcept {}
  T take() {
    rethrow_if_failed();
    return std::move(value_);
  }

  ~Promise() {
    if (has_value_) value_.~T();
  }

 private:
  union {
    T value_;
  };
  bool has_value_ = false;
};

template <>
class Promise<void> final : public PromiseBase {
 public:
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() { rethrow_if_failed(); }
};

}  // namespace internal

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = internal::Promise<T>;
  using Handle = std::coroutine_handle<promise_type>;
  using value_type = T;

  Task() noexcept = default;
  explicit Task(Handle h) noexcept : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() { reset(); }

  bool valid() const noexcept { return static_cast<bool>(h_); }
  bool done() const noexcept { return h_ && h_.done(); }

  // Gives up ownership of the frame (used by spawn and the combinators).
  Handle release() noexcept { return std::exchange(h_, nullptr); }
  Handle handle() const noexcept { return h_; }

  // Result of a finished task (rethrows its exception, if any).
  T take_result() { return h_.promise().take(); }

  struct Awaiter {
    Handle h;
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<P> parent) noexcept {
      h.promise().set_continuation(parent);
      h.promise().set_cancel_source(internal::cancel_source_of(parent));
      return h;
    }
    T await_resume() { return h.promise().take(); }
  };

  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }

 private:
  void reset() noexcept {
    if (h_) std::exchange(h_, nullptr).destroy();
  }
  Handle h_;
};

namespace internal {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace internal

// `co_await current_cancel_source()` yields the CancelSource of the calling
// task (null when it runs without one).
struct current_cancel_source {
  CancelSource* source = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    source = internal::cancel_source_of(h);
    return false;
  }
  CancelSource* await_resume() const noexcept { return source; }
};

}  // namespace ferry
