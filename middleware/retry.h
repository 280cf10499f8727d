#pragma once

// `Retry<S>` / `RetryLayer`: repeats a failed call, with exponential backoff
// and jitter, bounded by a retry budget so that retries cannot amplify an
// outage. Only calls that are safe to repeat are retried: `cx.idempotent`,
// or a method listed in the policy's `retryable_methods`.
//
//   RetryPolicy policy;
//   policy.max_attempts = 4;
//   policy.retryable_codes = {absl::StatusCode::kUnavailable,
//                             absl::StatusCode::kDeadlineExceeded};
//   auto svc = ServiceBuilder()
//                  .layer(TimeoutLayer(1s))     // bounds the whole call
//                  .layer(RetryLayer(policy))
//                  .layer(TimeoutLayer(100ms))  // bounds each attempt
//                  .service(client);
//
// The rules, exactly:
// - Attempts. At most `max_attempts` calls of the inner service (the first
//   one included). A failed attempt is retried only if its code is in
//   `retryable_codes`, attempts are left, the backoff ends before the
//   deadline, and the budget grants a token. Otherwise the last attempt's
//   status is returned; after a retry (or a refused one) its message gets
//   " (after N attempts[; why])" appended (code and payloads kept).
// - Backoff. Before retry n (n = 1 for the second attempt) the call sleeps
//   base_n * (1 - jitter * u), where base_n = min(initial_backoff *
//   multiplier^(n-1), max_backoff) and u is uniform in [0, 1) from a
//   per-service xorshift64* generator (seeded from `seed`, or randomly when
//   `seed == 0`). jitter = 1 is "full jitter", 0.5 (the default) "equal
//   jitter", 0 none. A sleep never exceeds max_backoff.
// - Deadline. If `cx.deadline` (as it was when the call entered Retry) is at
//   or before now + backoff, the call gives up instead of sleeping. Before
//   each retry `cx.deadline` is restored to that entry value, so a per-attempt
//   Timeout layer inside Retry narrows it afresh for every attempt.
// - Cancellation. The backoff sleep is cancellable: if the caller is
//   cancelled, the call returns kCancelled at once (its message names the
//   last attempt's status), without another attempt.
// - Budget. Per service (one stack per worker: no atomics), two buckets of
//   tokens; a retry spends one token, from `earned` if it holds >= 1, else
//   from `reserve` if it holds >= 1, else the retry is refused:
//     earned:  starts at budget_max; every successful call adds
//              budget_ratio, capped at budget_max. So under sustained
//              failure retries are at most budget_ratio per success.
//     reserve: refilled by time at min_retries_per_second tokens per second
//              of clock_now(), holding at most max(1, min_retries_per_second)
//              tokens (starts full): a floor that keeps a low-traffic client
//              retrying when nothing succeeds.
//   Only calls eligible for retry (idempotent, or a listed method) touch the
//   budget.
// - Attempt count. `cx.stats.attempts` counts calls of the inner service: it
//   is set to 1 on entry if still 0 (an outer Retry/BackupRequest may have
//   counted already) and incremented for every retry.
// - Response metadata. Before each retry `cx.response_metadata` is cleared,
//   so the caller sees the metadata of the attempt whose result it gets.
//
// Cost: a call that is not eligible for retry (or with max_attempts <= 1)
// goes straight to the inner service: no coroutine frame, no copy. An
// eligible call costs one coroutine frame and, for every attempt but the
// last, one copy of the request: `Req` must be copy-constructible (a
// move-only request fails to compile; do not put Retry over streams).
//
// Not thread-safe (the budget and generator are plain members): build one
// stack per worker, as `Layer::layer` is meant to be used.

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

struct RetryPolicy {
  // Total attempts, the first included (values < 1 mean 1).
  int max_attempts = 3;
  // Codes worth another attempt.
  std::vector<absl::StatusCode> retryable_codes = {
      absl::StatusCode::kUnavailable};
  // Methods retried even when `cx.idempotent` is false.
  std::vector<std::string> retryable_methods;

  // Exponential backoff (see the header comment for the formula).
  Clock::duration initial_backoff = std::chrono::milliseconds(10);
  double multiplier = 2.0;
  Clock::duration max_backoff = std::chrono::seconds(1);
  // Fraction of each backoff that is randomised, in [0, 1].
  double jitter = 0.5;
  // Generator seed; 0 picks one per service. Nonzero makes the jitter of
  // every service built from the layer the same sequence (tests).
  uint64_t seed = 0;

  // Retry budget (see the header comment).
  double budget_ratio = 0.1;
  double budget_max = 10.0;
  double min_retries_per_second = 10.0;
};

namespace internal {

// xorshift64*: tiny, fast, good enough for jitter.
class XorShift64 {
 public:
  explicit XorShift64(uint64_t seed) noexcept {
    // splitmix64 of the seed: never zero for the xorshift state.
    uint64_t z = seed + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    state_ = z != 0 ? z : 0x9E3779B97F4A7C15ull;
  }
  uint64_t next() noexcept {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1Dull;
  }
  // Uniform in [0, 1).
  double next_unit() noexcept {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

 private:
  uint64_t state_;
};

// The token buckets of RetryPolicy's budget. `earned` is kept in millionths
// of a token so that deposits of e.g. 0.1 add up exactly.
class RetryBudget {
 public:
  static constexpr int64_t kUnit = 1'000'000;

  RetryBudget(double ratio, double max, double per_second) noexcept
      : deposit_(to_units(ratio)),
        max_(to_units(max)),
        earned_(max_),
        per_second_(std::max(per_second, 0.0)),
        reserve_cap_(per_second_ > 0 ? std::max(1.0, per_second_) : 0.0),
        reserve_(reserve_cap_) {}

  void on_success() noexcept { earned_ = std::min(max_, earned_ + deposit_); }

  // Spends a token for one retry at `now`, or returns false.
  bool try_withdraw(Clock::time_point now) noexcept {
    refill(now);
    if (earned_ >= kUnit) {
      earned_ -= kUnit;
      return true;
    }
    if (reserve_ >= 1.0) {
      reserve_ -= 1.0;
      return true;
    }
    return false;
  }

  double earned() const noexcept {
    return static_cast<double>(earned_) / kUnit;
  }
  double reserve() const noexcept { return reserve_; }

 private:
  static int64_t to_units(double tokens) noexcept {
    return static_cast<int64_t>(std::max(tokens, 0.0) * kUnit + 0.5);
  }
  void refill(Clock::time_point now) noexcept {
    if (per_second_ <= 0) return;
    if (last_refill_ == Clock::time_point{} || now < last_refill_) {
      last_refill_ = now;
      return;
    }
    const double seconds =
        std::chrono::duration<double>(now - last_refill_).count();
    reserve_ = std::min(reserve_cap_, reserve_ + seconds * per_second_);
    last_refill_ = now;
  }

  int64_t deposit_;
  int64_t max_;
  int64_t earned_;
  double per_second_;
  double reserve_cap_;
  double reserve_;
  Clock::time_point last_refill_{};
};

[[gnu::cold, gnu::noinline]] inline Status annotate_attempts(
    const Status& last, int attempts, std::string_view why) {
  Status out(
      last.code(),
      fmt::format("{} (after {} attempt{}{}{})", message_of(last), attempts,
                  attempts == 1 ? "" : "s", why.empty() ? "" : "; ", why));
  last.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    out.SetPayload(url, payload);
  });
  return out;
}

[[gnu::cold, gnu::noinline]] inline Status cancelled_in_backoff(
    const Status& last, int attempts) {
  return absl::CancelledError(
      fmt::format("cancelled during retry backoff (after {} attempt{}; last: "
                  "{})",
                  attempts, attempts == 1 ? "" : "s", last.ToString()));
}

}  // namespace internal

// Retries failed calls of `S` per a RetryPolicy. Contract: see the header
// comment; in short, at most max_attempts inner calls, only for idempotent
// calls (or listed methods) failing with a retryable code, never sleeping
// past the deadline, stopping promptly when cancelled, and within budget.
template <class S>
class Retry {
 public:
  using Response = typename S::Response;

  Retry(S inner, const RetryPolicy& policy)
      : inner_(std::move(inner)),
        max_attempts_(std::max(policy.max_attempts, 1)),
        retryable_methods_(policy.retryable_methods),
        initial_backoff_(std::max(policy.initial_backoff, Clock::duration{})),
        max_backoff_(std::max(policy.max_backoff, Clock::duration{})),
        multiplier_(policy.multiplier),
        jitter_(std::clamp(policy.jitter, 0.0, 1.0)),
        rng_(policy.seed != 0 ? policy.seed : random_seed()),
        budget_(policy.budget_ratio, policy.budget_max,
                policy.min_retries_per_second) {
    for (absl::StatusCode c : policy.retryable_codes) {
      const auto bit = static_cast<unsigned>(c);
      if (bit < 32) retryable_codes_ |= uint32_t{1} << bit;
    }
  }

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    static_assert(std::copy_constructible<Req>,
                  "Retry copies the request for every attempt but the last: "
                  "Req must be copy-constructible");
    if (cx.stats.attempts == 0) cx.stats.attempts = 1;
    if (max_attempts_ == 1 || !eligible(cx)) {
      return inner_.call(cx, std::move(req));
    }
    return call_with_retries(cx, std::move(req));
  }

  S& inner() noexcept { return inner_; }
  const internal::RetryBudget& budget() const noexcept { return budget_; }

 private:
  bool eligible(const Context& cx) const noexcept {
    if (cx.idempotent) return true;
    for (const std::string& m : retryable_methods_) {
      if (m == cx.method) return true;
    }
    return false;
  }
  bool retryable(absl::StatusCode code) const noexcept {
    const auto bit = static_cast<unsigned>(code);
    return bit < 32 && (retryable_codes_ >> bit & 1u) != 0;
  }

  template <class Req>
  Task<Result<Response>> call_with_retries(Context& cx, Req req) {
    const std::optional<Clock::time_point> deadline = cx.deadline;
    double base = std::chrono::duration<double>(initial_backoff_).count();
    const double cap = std::chrono::duration<double>(max_backoff_).count();
    for (int attempt = 1;; ++attempt) {
      std::optional<Result<Response>> r;
      if (attempt < max_attempts_) {
        r.emplace(co_await inner_.call(cx, req));
      } else {
        r.emplace(co_await inner_.call(cx, std::move(req)));
      }
      if (r->ok()) {
        budget_.on_success();
        co_return std::move(*r);
      }
      if (!retryable(r->status().code()) || attempt == max_attempts_) {
        if (attempt == 1) co_return std::move(*r);
        co_return internal::annotate_attempts(r->status(), attempt, "");
      }
      const double seconds =
          std::min(base, cap) * (1 - jitter_ * rng_.next_unit());
      base *= multiplier_;
      const auto backoff = std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(seconds));
      const Clock::time_point now = clock_now();
      if (deadline && now + backoff >= *deadline) {
        co_return internal::annotate_attempts(r->status(), attempt,
                                              "no time left for a retry");
      }
      if (!budget_.try_withdraw(now)) {
        co_return internal::annotate_attempts(r->status(), attempt,
                                              "retry budget exhausted");
      }
      Status slept = co_await sleep_for(backoff);
      if (!slept.ok()) [[unlikely]] {
        co_return internal::cancelled_in_backoff(r->status(), attempt);
      }
      cx.deadline = deadline;
      cx.response_metadata.clear();
      ++cx.stats.attempts;
    }
  }

  uint64_t random_seed() const noexcept {
    return static_cast<uint64_t>(Clock::now().time_since_epoch().count()) ^
           reinterpret_cast<uintptr_t>(this);
  }

  S inner_;
  int max_attempts_;
  uint32_t retryable_codes_ = 0;
  std::vector<std::string> retryable_methods_;
  Clock::duration initial_backoff_;
  Clock::duration max_backoff_;
  double multiplier_;
  double jitter_;
  internal::XorShift64 rng_;
  internal::RetryBudget budget_;
};

// Builds `Retry<S>` services from one policy. Each service gets its own
// budget and jitter generator.
class RetryLayer {
 public:
  RetryLayer() = default;
  explicit RetryLayer(RetryPolicy policy) : policy_(std::move(policy)) {}

  template <class S>
  Retry<S> layer(S inner) const {
    return Retry<S>(std::move(inner), policy_);
  }

  const RetryPolicy& policy() const noexcept { return policy_; }

 private:
  RetryPolicy policy_;
};

}  // namespace ferry
