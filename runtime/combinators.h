#pragma once

// Running tasks concurrently on the current worker.
//
// - `when_all(a, b, ...)` runs every task to completion and returns all
//   results (void becomes std::monostate). A vector overload takes N tasks of
//   one type.
// - `select(a, b, ...)` ("first of") returns the result of the first task to
//   finish as a std::variant whose index says which; the others are
//   cancelled and *awaited* before select returns, so nothing they own
//   outlives the call.
//
//   auto [user, posts] = co_await when_all(load_user(id), load_posts(id));
//   auto first = co_await select(read_reply(conn), sleep_task(100ms));
//   if (first.index() == 1) { /* timed out */ }
//
// Children run under the caller's CancelSource (when_all) or a source
// chained to it (select), so cancelling the caller cancels them all. An
// exception in a child is rethrown after every child has finished.

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "runtime/cancel.h"
#include "runtime/task.h"

namespace ferry {

namespace internal {

template <class T>
using NonVoid = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

// Shared by the branches of one when_all/select.
struct BranchState {
  static constexpr std::size_t kNoWinner = ~std::size_t{0};
  std::size_t remaining = 0;
  std::coroutine_handle<> parent;
  CancelSource* cancel_on_first = nullptr;  // select: cancel the losers
  std::size_t winner = kNoWinner;
};

class BranchPromise;

class Branch {
 public:
  using promise_type = BranchPromise;
  using Handle = std::coroutine_handle<BranchPromise>;
  explicit Branch(Handle h) noexcept : h_(h) {}
  Branch(Branch&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Branch& operator=(Branch&&) = delete;
  ~Branch() {
    if (h_) h_.destroy();
  }
  Handle handle() const noexcept { return h_; }

 private:
  Handle h_;
};

class BranchPromise : public PromiseBase {
 public:
  template <class... Args>
  BranchPromise(BranchState* state, std::size_t index, Args&&...) noexcept
      : state_(state), index_(index) {}
  Branch get_return_object() noexcept {
    return Branch(Branch::Handle::from_promise(*this));
  }
  void return_void() noexcept {}

  struct Final {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(
        std::coroutine_handle<BranchPromise> h) noexcept {
      BranchState* st = h.promise().state_;
      if (st->winner == BranchState::kNoWinner) {
        st->winner = h.promise().index_;
        if (st->cancel_on_first != nullptr) st->cancel_on_first->cancel();
      }
      if (--st->remaining == 0) return st->parent;
      return std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  Final final_suspend() noexcept { return {}; }

 private:
  BranchState* state_;
  std::size_t index_;
};

template <class T>
struct Slot {
  std::optional<NonVoid<T>> value;
  std::exception_ptr error;
  NonVoid<T> take() { return std::move(*value); }
};

template <class T>
Branch run_branch(BranchState*, std::size_t, Task<T> task, Slot<T>* slot) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(task);
      slot->value.emplace();
    } else {
      slot->value.emplace(co_await std::move(task));
    }
  } catch (...) {
    slot->error = std::current_exception();
  }
}

// Starts every branch, then suspends the caller until the last finishes.
struct StartBranches {
  BranchState* state;
  Branch* branches;
  std::size_t count;
  CancelSource* source;
  bool await_ready() const noexcept { return count == 0; }
  bool await_suspend(std::coroutine_handle<> parent) noexcept {
    state->parent = parent;
    state->remaining = count + 1;  // +1: ours, so no branch resumes us early
    for (std::size_t i = 0; i < count; ++i) {
      branches[i].handle().promise().set_cancel_source(source);
      branches[i].handle().resume();
    }
    return --state->remaining != 0;
  }
  void await_resume() const noexcept {}
};

template <class Slots, std::size_t... I>
void rethrow_first(Slots& slots, std::index_sequence<I...>) {
  std::exception_ptr e;
  ((e = e ? e : std::get<I>(slots).error), ...);
  if (e) std::rethrow_exception(e);
}

template <class... T, std::size_t... I>
Task<std::tuple<NonVoid<T>...>> when_all_impl(std::index_sequence<I...> seq,
                                              Task<T>... tasks) {
  BranchState state;
  std::tuple<Slot<T>...> slots;
  Branch branches[] = {
      run_branch<T>(&state, I, std::move(tasks), &std::get<I>(slots))...};
  CancelSource* parent = co_await current_cancel_source();
  co_await StartBranches{&state, branches, sizeof...(T), parent};
  rethrow_first(slots, seq);
  co_return std::tuple<NonVoid<T>...>(std::get<I>(slots).take()...);
}

template <class... T, std::size_t... I>
Task<std::variant<NonVoid<T>...>> select_impl(std::index_sequence<I...> seq,
                                              Task<T>... tasks) {
  BranchState state;
  std::tuple<Slot<T>...> slots;
  Branch branches[] = {
      run_branch<T>(&state, I, std::move(tasks), &std::get<I>(slots))...};
  CancelSource losers(co_await current_cancel_source());
  state.cancel_on_first = &losers;
  co_await StartBranches{&state, branches, sizeof...(T), &losers};
  rethrow_first(slots, seq);
  std::optional<std::variant<NonVoid<T>...>> out;
  ((state.winner == I
        ? (void)out.emplace(std::in_place_index<I>, std::get<I>(slots).take())
        : (void)0),
   ...);
  co_return std::move(*out);
}

}  // namespace internal

template <class... T>
Task<std::tuple<internal::NonVoid<T>...>> when_all(Task<T>... tasks) {
  return internal::when_all_impl(std::index_sequence_for<T...>{},
                                 std::move(tasks)...);
}

template <class... T>
requires(sizeof...(T) >= 1) Task<std::variant<internal::NonVoid<T>...>> select(
    Task<T>... tasks) {
  return internal::select_impl(std::index_sequence_for<T...>{},
                               std::move(tasks)...);
}

// Runs every task in `tasks` concurrently; results in the same order.
template <class T>
Task<std::vector<internal::NonVoid<T>>> when_all(std::vector<Task<T>> tasks) {
  internal::BranchState state;
  std::vector<internal::Slot<T>> slots(tasks.size());
  std::vector<internal::Branch> branches;
  branches.reserve(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    branches.push_back(
        internal::run_branch<T>(&state, i, std::move(tasks[i]), &slots[i]));
  }
  CancelSource* parent = co_await current_cancel_source();
  co_await internal::StartBranches{&state, branches.data(), branches.size(),
                                   parent};
  std::vector<internal::NonVoid<T>> out;
  out.reserve(slots.size());
  for (auto& s : slots) {
    if (s.error) std::rethrow_exception(s.error);
    out.push_back(s.take());
  }
  co_return out;
}

}  // namespace ferry
