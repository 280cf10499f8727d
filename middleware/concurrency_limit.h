#pragma once

// `ConcurrencyLimit<S>` / `ConcurrencyLimitLayer`: at most `max` calls in
// flight through one service object; the next one is refused at once with
// kResourceExhausted instead of queueing (load shedding: a caller or a
// retry layer elsewhere decides what to do).
//
//   auto svc = ServiceBuilder()
//                  .layer(ConcurrencyLimitLayer(64))
//                  .service(handler);
//   // the 65th concurrent call: "concurrency limit 64 reached for Echo"
//
// A call counts from the moment its Task starts running until it finishes,
// by whatever path: a result, an error, cancellation, or destruction of the
// calling task's frame mid-call (the count is held by an RAII guard in this
// layer's coroutine frame). A Task created and destroyed unawaited never
// counted.
//
// Threading: the count lives in the service object, without atomics. A
// stack is built per worker and a service object is used only from the
// worker that built it, so the limit is per worker (per stack). Copies have
// their own count. The service object must stay put while calls through it
// are in flight.

#include <fmt/core.h>

#include <cstddef>
#include <string_view>
#include <utility>

#include "middleware/service.h"

namespace ferry {

namespace internal {

// Holds one unit of an in-flight count for its lifetime.
class InFlightGuard {
 public:
  explicit InFlightGuard(std::size_t* count) noexcept : count_(count) {
    ++*count_;
  }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;
  ~InFlightGuard() { --*count_; }

 private:
  std::size_t* count_;
};

}  // namespace internal

// Contract: while fewer than `max` calls are in flight, a call goes to the
// inner service and its result is returned unchanged; otherwise it fails with
// kResourceExhausted naming the limit and the method, and the inner service
// is not called. `max == 0` refuses everything.
template <class S>
class ConcurrencyLimit {
 public:
  using Response = typename S::Response;

  ConcurrencyLimit(S inner, std::size_t max)
      : inner_(std::move(inner)), max_(max) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    if (in_flight_ >= max_) [[unlikely]]
      co_return limit_reached(cx.method, max_);
    internal::InFlightGuard guard(&in_flight_);
    co_return co_await inner_.call(cx, std::move(req));
  }

  // Calls currently in flight through this object.
  std::size_t in_flight() const noexcept { return in_flight_; }
  std::size_t max() const noexcept { return max_; }

  S& inner() noexcept { return inner_; }

 private:
  [[gnu::cold, gnu::noinline]] static Status limit_reached(
      std::string_view method, std::size_t max) {
    return absl::ResourceExhaustedError(
        fmt::format("concurrency limit {} reached for {}", max,
                    method.empty() ? std::string_view("call") : method));
  }

  S inner_;
  std::size_t max_;
  std::size_t in_flight_ = 0;
};

class ConcurrencyLimitLayer {
 public:
  explicit ConcurrencyLimitLayer(std::size_t max) : max_(max) {}

  // Each stack built gets its own count.
  template <class S>
  ConcurrencyLimit<S> layer(S inner) const {
    return ConcurrencyLimit<S>(std::move(inner), max_);
  }

 private:
  std::size_t max_;
};

}  // namespace ferry
