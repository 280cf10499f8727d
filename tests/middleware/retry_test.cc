#include "middleware/retry.h"

#include <fmt/core.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/backup_request.h"
#include "middleware/builder.h"
#include "middleware/service.h"
#include "middleware/timeout.h"
#include "runtime/task_group.h"
#include "tests/support/co_test.h"
#include "tests/support/middleware_script.h"

namespace ferry {
namespace {

using testing::Script;
using testing::Scripted;
using testing::start_call;
using testing::Step;

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IsOkAndHolds;
using ::testing::Not;
using testing::StatusIs;

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kUnavailable = absl::StatusCode::kUnavailable;

static_assert(Service<Scripted, std::string>);
static_assert(Service<Retry<Scripted>, std::string>);
static_assert(Layer<RetryLayer, Scripted>);
static_assert(
    std::is_same_v<LayeredService<RetryLayer, Scripted>, Retry<Scripted>>);

// A policy without jitter, so backoffs are exact: 10ms, 20ms, 40ms, ...
RetryPolicy exact_policy() {
  RetryPolicy p;
  p.jitter = 0;
  return p;
}

// Runs one call to completion, moving the manual clock 1ms at a time.
template <class S>
Task<Result<std::string>> drive(ManualClock& clock, S& svc, Context& cx,
                                std::string req) {
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, std::move(req), &r);
  co_await yield_now();
  for (int i = 0; i < 100'000 && !r.has_value(); ++i) {
    co_await clock.advance(1ms);
  }
  co_await g.join();
  if (!r.has_value()) co_return absl::InternalError("call never finished");
  co_return std::move(*r);
}

FERRY_CO_TEST(RetryTest, RetriesUntilSuccessWithExponentialBackoff) {
  ManualClock clock;
  Script script{.steps = {{kUnavailable}, {kUnavailable}, {kOk}}};
  auto svc = RetryLayer(exact_policy()).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  EXPECT_EQ(script.calls, 1);
  co_await clock.advance(9ms);  // first backoff: 10ms
  EXPECT_EQ(script.calls, 1);
  co_await clock.advance(1ms);
  EXPECT_EQ(script.calls, 2);
  co_await clock.advance(19ms);  // second backoff: 20ms
  EXPECT_EQ(script.calls, 2);
  EXPECT_FALSE(r.has_value());
  co_await clock.advance(1ms);
  EXPECT_EQ(script.calls, 3);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, IsOkAndHolds("x#3"));
  EXPECT_EQ(cx.stats.attempts, 3);
  // Every attempt got the request (copies, then the original).
  EXPECT_THAT(script.requests, ElementsAre("x", "x", "x"));
  // Metadata of the failed attempts was dropped before each retry.
  EXPECT_EQ(cx.response_metadata.entries().size(), 1u);
  EXPECT_EQ(cx.response_metadata.get("attempt"), "3");
  co_await g.join();
}

FERRY_CO_TEST(RetryTest, GivesUpAfterMaxAttemptsWithTheLastStatus) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  auto svc = RetryLayer(exact_policy()).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  Result<std::string> r = co_await drive(clock, svc, cx, "x");
  EXPECT_THAT(r, StatusIs(kUnavailable, "attempt 3 (after 3 attempts)"));
  EXPECT_EQ(script.calls, 3);
  EXPECT_EQ(cx.stats.attempts, 3);
}

FERRY_CO_TEST(RetryTest, BackoffGrowsToTheCap) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  RetryPolicy p = exact_policy();
  p.max_attempts = 5;
  p.initial_backoff = 100ms;
  p.multiplier = 3;
  p.max_backoff = 500ms;
  p.budget_max = 100;
  auto svc = RetryLayer(p).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  Result<std::string> r = co_await drive(clock, svc, cx, "x");
  EXPECT_THAT(r, StatusIs(kUnavailable));
  FERRY_CO_ASSERT_EQ(script.started.size(), 5u);
  std::vector<Clock::duration> gaps;
  for (size_t i = 1; i < script.started.size(); ++i) {
    gaps.push_back(script.started[i] - script.started[i - 1]);
  }
  // 100ms, 300ms, then capped at 500ms.
  EXPECT_THAT(gaps,
              ElementsAre(Clock::duration(100ms), Clock::duration(300ms),
                          Clock::duration(500ms), Clock::duration(500ms)));
}

FERRY_CO_TEST(RetryTest, JitterStaysInRangeAndFollowsTheSeed) {
  ManualClock clock;
  RetryPolicy p;
  p.max_attempts = 4;
  p.initial_backoff = 100ms;
  p.multiplier = 2;
  p.jitter = 0.5;  // backoff n in [base_n / 2, base_n]
  p.seed = 42;
  std::vector<std::vector<Clock::duration>> runs;
  for (int run = 0; run < 2; ++run) {
    Script script{.otherwise = kUnavailable};
    auto svc = RetryLayer(p).layer(Scripted{&script});
    Context cx;
    cx.idempotent = true;
    Result<std::string> r = co_await drive(clock, svc, cx, "x");
    EXPECT_THAT(r, StatusIs(kUnavailable));
    FERRY_CO_ASSERT_EQ(script.started.size(), 4u);
    std::vector<Clock::duration> gaps;
    for (size_t i = 1; i < script.started.size(); ++i) {
      gaps.push_back(script.started[i] - script.started[i - 1]);
    }
    // The clock moves in 1ms steps: a gap is the backoff rounded up.
    Clock::duration base = 100ms;
    for (Clock::duration gap : gaps) {
      EXPECT_GE(gap, base / 2);
      EXPECT_LE(gap, base + 1ms);
      base *= 2;
    }
    runs.push_back(gaps);
  }
  EXPECT_EQ(runs[0], runs[1]);  // same seed, same jitter
}

FERRY_CO_TEST(RetryTest, NonIdempotentCallsAreNotRetried) {
  Script script{.steps = {{kUnavailable}}};
  auto svc = RetryLayer(exact_policy()).layer(Scripted{&script});
  Context cx;
  cx.method = "Transfer";
  Result<std::string> r = co_await svc.call(cx, "x");
  EXPECT_THAT(r, StatusIs(kUnavailable, "attempt 1"));  // untouched
  EXPECT_EQ(script.calls, 1);
  EXPECT_EQ(cx.stats.attempts, 1);
}

FERRY_CO_TEST(RetryTest, ListedMethodsAreRetriedWithoutTheIdempotentFlag) {
  ManualClock clock;
  Script script{.steps = {{kUnavailable}}};
  RetryPolicy p = exact_policy();
  p.retryable_methods = {"Get"};
  auto svc = RetryLayer(p).layer(Scripted{&script});
  Context cx;
  cx.method = "Get";
  EXPECT_THAT(co_await drive(clock, svc, cx, "x"), IsOkAndHolds("x#2"));
  EXPECT_EQ(script.calls, 2);
}

FERRY_CO_TEST(RetryTest, NonRetryableCodesAreNotRetried) {
  ManualClock clock;
  Script script{.steps = {{absl::StatusCode::kInvalidArgument}}};
  auto svc = RetryLayer(exact_policy()).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  EXPECT_THAT(co_await drive(clock, svc, cx, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, "attempt 1"));
  EXPECT_EQ(script.calls, 1);

  // The set of codes is configurable.
  Script script2{
      .steps = {{absl::StatusCode::kResourceExhausted}, {kUnavailable}}};
  RetryPolicy p = exact_policy();
  p.retryable_codes = {absl::StatusCode::kResourceExhausted};
  auto svc2 = RetryLayer(p).layer(Scripted{&script2});
  Context cx2;
  cx2.idempotent = true;
  EXPECT_THAT(co_await drive(clock, svc2, cx2, "x"),
              StatusIs(kUnavailable, "attempt 2 (after 2 attempts)"));
  EXPECT_EQ(script2.calls, 2);
}

FERRY_CO_TEST(RetryTest, NeverSleepsPastTheDeadline) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  RetryPolicy p = exact_policy();
  p.max_attempts = 10;
  auto svc = RetryLayer(p).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  const auto start = clock.now();
  cx.deadline = start + 25ms;  // room for the 10ms backoff, not the 20ms one
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(10ms);
  // Attempt 2 failed at 10ms; 10ms + 20ms passes the deadline: give up now.
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(kUnavailable, HasSubstr("after 2 attempts; no "
                                                   "time left for a retry")));
  EXPECT_EQ(script.calls, 2);
  EXPECT_EQ(clock.now() - start, 10ms);
  co_await g.join();
}

FERRY_CO_TEST(RetryTest, CancellationDuringBackoffReturnsPromptly) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  RetryPolicy p = exact_policy();
  p.initial_backoff = 1h;
  auto svc = RetryLayer(p).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  EXPECT_EQ(script.calls, 1);
  g.cancel();
  co_await g.join();  // no clock movement needed
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kCancelled,
                           HasSubstr("cancelled during retry backoff")));
  EXPECT_EQ(script.calls, 1);
}

FERRY_CO_TEST(RetryTest, BudgetStopsRetriesUnderSustainedFailure) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  RetryPolicy p = exact_policy();
  p.max_attempts = 2;
  p.budget_max = 2;
  p.budget_ratio = 0.5;
  p.min_retries_per_second = 0;  // no time-based floor
  auto svc = RetryLayer(p).layer(Scripted{&script});
  auto call = [&]() -> Task<Result<std::string>> {
    Context cx;
    cx.idempotent = true;
    co_return co_await drive(clock, svc, cx, "x");
  };
  // The bucket starts full (2 tokens): two calls get their retry.
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable));
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable));
  EXPECT_EQ(script.calls, 4);
  // Then retries stop, however long the outage lasts.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(co_await call(),
                StatusIs(kUnavailable, HasSubstr("retry budget exhausted")));
  }
  EXPECT_EQ(script.calls, 7);
  co_await clock.advance(1h);  // time alone does not refill `earned`
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable));
  EXPECT_EQ(script.calls, 8);

  // Two successes earn 2 * 0.5 = one retry.
  script.otherwise = kOk;
  EXPECT_THAT(co_await call(), IsOkAndHolds("x#9"));
  EXPECT_THAT(co_await call(), IsOkAndHolds("x#10"));
  EXPECT_DOUBLE_EQ(svc.budget().earned(), 1.0);
  script.otherwise = kUnavailable;
  EXPECT_THAT(co_await call(),
              StatusIs(kUnavailable, Not(HasSubstr("budget"))));
  EXPECT_EQ(script.calls, 12);  // retried once
  EXPECT_THAT(co_await call(),
              StatusIs(kUnavailable, HasSubstr("retry budget exhausted")));
  EXPECT_EQ(script.calls, 13);
}

FERRY_CO_TEST(RetryTest, TheReserveRefillsByTime) {
  ManualClock clock;
  Script script{.otherwise = kUnavailable};
  RetryPolicy p = exact_policy();
  p.max_attempts = 2;
  p.budget_max = 0;  // nothing earned: only the time-based floor
  p.min_retries_per_second = 2;
  auto svc = RetryLayer(p).layer(Scripted{&script});
  auto call = [&]() -> Task<Result<std::string>> {
    Context cx;
    cx.idempotent = true;
    co_return co_await drive(clock, svc, cx, "x");
  };
  // The reserve starts with 2 tokens (one second's worth) ...
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable,
                                        "attempt 2 (after 2 "
                                        "attempts)"));
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable,
                                        "attempt 4 (after 2 "
                                        "attempts)"));
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable, HasSubstr("budget")));
  EXPECT_EQ(script.calls, 5);
  // ... and regains one every 500ms (the calls above took 20ms).
  co_await clock.advance(490ms);
  EXPECT_THAT(co_await call(),
              StatusIs(kUnavailable, Not(HasSubstr("budget"))));
  EXPECT_THAT(co_await call(), StatusIs(kUnavailable, HasSubstr("budget")));
  EXPECT_EQ(script.calls, 8);
}

FERRY_CO_TEST(RetryTest, ComposesWithTimeoutAndBackupRequest) {
  ManualClock clock;
  // Attempt 1 and its hedge hang; the retry succeeds at once.
  Script script{.steps = {{kOk, 1h}, {kOk, 1h}, {kOk}}};
  RetryPolicy p = exact_policy();
  p.retryable_codes = {kUnavailable, absl::StatusCode::kDeadlineExceeded};
  auto svc = ServiceBuilder()
                 .layer(TimeoutLayer(1s))  // the whole call
                 .layer(RetryLayer(p))
                 .layer(TimeoutLayer(50ms))  // each attempt
                 .layer(BackupRequestLayer(20ms))
                 .service(Scripted{&script});
  static_assert(
      std::is_same_v<decltype(svc),
                     Timeout<Retry<Timeout<BackupRequest<Scripted>>>>>);
  static_assert(Service<decltype(svc), std::string>);
  Context cx;
  cx.method = "Get";
  cx.idempotent = true;
  const auto start = clock.now();
  Result<std::string> r = co_await drive(clock, svc, cx, "x");
  // 20ms: hedge; 50ms: per-attempt timeout cancels both; 60ms: the retry
  // (with a fresh 50ms: Retry restored the deadline) succeeds.
  EXPECT_THAT(r, IsOkAndHolds("x#3"));
  EXPECT_EQ(script.calls, 3);
  EXPECT_EQ(script.cancelled, 2);
  EXPECT_EQ(cx.stats.attempts, 3);
  EXPECT_THAT(script.started, ElementsAre(start, start + 20ms, start + 60ms));
  EXPECT_EQ(cx.deadline, start + 110ms);
}

}  // namespace
}  // namespace ferry
