#pragma once

// `RateLimit<S>` / `RateLimitLayer`: a token bucket in front of a service.
// The bucket holds up to `burst` tokens and refills at `rate_per_second`
// from the worker's clock (`clock_now()`, so a ManualClock drives it in
// tests); a call takes one token, and a call that finds none fails at once
// with kResourceExhausted.
//
//   auto svc = ServiceBuilder()
//                  .layer(RateLimitLayer(100, 20))  // 100/s, bursts of 20
//                  .service(handler);
//   // when empty: "rate limit 100/s exceeded for Echo"
//
// Exact arithmetic: the bucket keeps credit in integer units of 1e-9 token
// and every nanosecond of elapsed time adds `rate_per_second` units, so no
// fraction of a token is ever rounded away and N seconds always yield
// exactly N * rate tokens, however the calls are spaced.
//
// The bucket starts full, on its first call. The token is taken when `call`
// is invoked (the decision is synchronous), and an admitted call returns the
// inner service's Task itself: no coroutine frame of its own on the fast
// path.
//
// Threading: the bucket lives in the service object, without atomics. A
// stack is built per worker and a service object is used only from the
// worker that built it, so the rate is per worker (per stack). Copies have
// their own bucket.

#include <fmt/core.h>

#include <chrono>
#include <cstdint>
#include <string_view>
#include <utility>

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

// A token bucket on integer nanoseconds. Single-threaded.
class TokenBucket {
 public:
  static constexpr uint64_t kUnitsPerToken = 1'000'000'000;

  // `burst` is clamped to at least 1. `rate_per_second == 0` never refills.
  TokenBucket(uint32_t rate_per_second, uint32_t burst) noexcept
      : rate_(rate_per_second),
        capacity_(uint64_t{burst == 0 ? 1u : burst} * kUnitsPerToken) {}

  // Takes one token at time `now` if there is one.
  bool try_acquire(Clock::time_point now) noexcept {
    refill(now);
    if (units_ < kUnitsPerToken) return false;
    units_ -= kUnitsPerToken;
    return true;
  }

  // Whole tokens available at `now` (refills first).
  uint64_t available(Clock::time_point now) noexcept {
    refill(now);
    return units_ / kUnitsPerToken;
  }

  uint32_t rate_per_second() const noexcept { return rate_; }

 private:
  void refill(Clock::time_point now) noexcept {
    const int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          now.time_since_epoch())
                          .count();
    if (!started_) [[unlikely]] {
      started_ = true;
      last_ns_ = t;
      units_ = capacity_;
      return;
    }
    if (t <= last_ns_) return;  // same instant (or a clock step back)
    const uint64_t elapsed = static_cast<uint64_t>(t - last_ns_);
    last_ns_ = t;
    const uint64_t room = capacity_ - units_;
    if (rate_ == 0 || room == 0) return;
    // elapsed * rate >= room  <=>  elapsed >= ceil(room / rate); checked
    // this way round so the product below cannot overflow (it is < room).
    if (elapsed >= (room + rate_ - 1) / rate_) {
      units_ = capacity_;
    } else {
      units_ += elapsed * rate_;
    }
  }

  uint64_t rate_;      // units added per elapsed nanosecond
  uint64_t capacity_;  // burst * kUnitsPerToken
  uint64_t units_ = 0;
  int64_t last_ns_ = 0;
  bool started_ = false;
};

// Contract: a call that gets a token goes to the inner service (its Task is
// returned as is); one that does not fails with kResourceExhausted naming
// the rate and the method, without calling the inner service.
template <class S>
class RateLimit {
 public:
  using Response = typename S::Response;

  RateLimit(S inner, uint32_t rate_per_second, uint32_t burst)
      : inner_(std::move(inner)), bucket_(rate_per_second, burst) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    if (bucket_.try_acquire(clock_now())) [[likely]]
      return inner_.call(cx, std::move(req));
    return fail(exceeded(cx.method, bucket_.rate_per_second()));
  }

  // Whole tokens available now.
  uint64_t available() noexcept { return bucket_.available(clock_now()); }

  S& inner() noexcept { return inner_; }

 private:
  static Task<Result<Response>> fail(Status s) { co_return s; }

  [[gnu::cold, gnu::noinline]] static Status exceeded(std::string_view method,
                                                      uint32_t rate) {
    return absl::ResourceExhaustedError(
        fmt::format("rate limit {}/s exceeded for {}", rate,
                    method.empty() ? std::string_view("call") : method));
  }

  S inner_;
  TokenBucket bucket_;
};

class RateLimitLayer {
 public:
  RateLimitLayer(uint32_t rate_per_second, uint32_t burst)
      : rate_(rate_per_second), burst_(burst) {}

  // Each stack built gets its own (full) bucket.
  template <class S>
  RateLimit<S> layer(S inner) const {
    return RateLimit<S>(std::move(inner), rate_, burst_);
  }

 private:
  uint32_t rate_;
  uint32_t burst_;
};

}  // namespace ferry
