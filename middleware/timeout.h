#pragma once

// `Timeout<S>` / `TimeoutLayer`: bounds every call by the tighter of a
// per-call timeout and the deadline already in the Context (propagated from
// the caller or the wire). When the deadline passes, the inner call is
// cancelled *and awaited* (so nothing it owns outlives the call) and the
// result is kDeadlineExceeded naming the method.
//
//   auto svc = ServiceBuilder().layer(TimeoutLayer(100ms)).service(inner);
//
// The narrowed deadline is written back to `Context::deadline`, so inner
// layers and the transport see it (and a client sends it on). With neither a
// per-call timeout nor a deadline, the call goes straight to the inner
// service: no timer, no coroutine frame.

#include <fmt/core.h>

#include <chrono>
#include <optional>
#include <utility>

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

template <class S>
class Timeout {
 public:
  using Response = typename S::Response;

  Timeout(S inner, std::optional<Clock::duration> per_call)
      : inner_(std::move(inner)), per_call_(per_call) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    if (per_call_) cx.narrow_deadline(clock_now() + *per_call_);
    if (!cx.deadline) return inner_.call(cx, std::move(req));
    return call_with_deadline(cx, std::move(req));
  }

  S& inner() noexcept { return inner_; }

 private:
  template <class Req>
  Task<Result<Response>> call_with_deadline(Context& cx, Req req) {
    const Clock::duration left = *cx.deadline - clock_now();
    if (left <= Clock::duration::zero()) co_return expired(cx);
    Result<Response> r =
        co_await with_timeout(inner_.call(cx, std::move(req)), left);
    if (!r.ok() && absl::IsDeadlineExceeded(r.status()) &&
        clock_now() >= *cx.deadline) {
      co_return expired(cx);
    }
    co_return r;
  }

  [[gnu::cold, gnu::noinline]] static Status expired(const Context& cx) {
    return absl::DeadlineExceededError(fmt::format(
        "{}: deadline exceeded", cx.method.empty() ? "call" : cx.method));
  }

  S inner_;
  std::optional<Clock::duration> per_call_;
};

class TimeoutLayer {
 public:
  // Only the Context's deadline applies.
  TimeoutLayer() = default;
  template <class Rep, class Period>
  explicit TimeoutLayer(std::chrono::duration<Rep, Period> per_call)
      : per_call_(std::chrono::duration_cast<Clock::duration>(per_call)) {}

  template <class S>
  Timeout<S> layer(S inner) const {
    return Timeout<S>(std::move(inner), per_call_);
  }

 private:
  std::optional<Clock::duration> per_call_;
};

}  // namespace ferry
