#include <chrono>
#include <optional>
#include <string>
#include <type_traits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/builder.h"
#include "middleware/circuit_breaker.h"
#include "middleware/concurrency_limit.h"
#include "middleware/rate_limit.h"
#include "middleware/service.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"
#include "tests/support/middleware_script.h"

namespace ferry {
namespace {

using testing::Backend;
using testing::BackendService;
using testing::start_call;

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::IsOkAndHolds;
using ::testing::Optional;
using testing::StatusIs;
using Code = absl::StatusCode;

static_assert(Service<ConcurrencyLimit<BackendService>, std::string>);
static_assert(Service<RateLimit<BackendService>, std::string>);
static_assert(Layer<ConcurrencyLimitLayer, BackendService>);
static_assert(Layer<RateLimitLayer, BackendService>);

Context echo_cx() {
  Context cx;
  cx.method = "Echo";
  return cx;
}

// --- ConcurrencyLimit ------------------------------------------------------

FERRY_CO_TEST(ConcurrencyLimitTest, RejectsTheCallBeyondMax) {
  ManualClock clock;
  Backend b{.nap = 10ms};
  auto svc = ConcurrencyLimitLayer(2).layer(BackendService{&b});
  Context cx = echo_cx();
  std::optional<Result<std::string>> r1, r2;
  TaskGroup g;
  start_call(g, svc, cx, std::string("x"), &r1);
  start_call(g, svc, cx, std::string("x"), &r2);
  co_await yield_now();
  EXPECT_EQ(svc.in_flight(), 2u);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kResourceExhausted,
                       "concurrency limit 2 reached for Echo"));
  EXPECT_EQ(b.calls, 2);
  co_await clock.advance(10ms);
  co_await g.join();
  EXPECT_THAT(r1, Optional(IsOkAndHolds("x")));
  EXPECT_THAT(r2, Optional(IsOkAndHolds("x")));
  EXPECT_EQ(svc.in_flight(), 0u);
}

FERRY_CO_TEST(ConcurrencyLimitTest, RecoversWhenOneFinishes) {
  ManualClock clock;
  Backend b{.nap = 10ms};
  auto svc = ConcurrencyLimitLayer(2).layer(BackendService{&b});
  Context cx = echo_cx();
  std::optional<Result<std::string>> r1, r2, r3;
  TaskGroup g;
  start_call(g, svc, cx, std::string("x"), &r1);
  co_await yield_now();
  co_await clock.advance(5ms);
  start_call(g, svc, cx, std::string("x"), &r2);  // finishes 5 ms after r1
  co_await yield_now();
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kResourceExhausted));
  co_await clock.advance(5ms);
  EXPECT_THAT(r1, Optional(IsOkAndHolds("x")));
  EXPECT_FALSE(r2.has_value());
  EXPECT_EQ(svc.in_flight(), 1u);
  start_call(g, svc, cx, std::string("x"),
             &r3);  // the freed slot is usable again
  co_await yield_now();
  EXPECT_EQ(svc.in_flight(), 2u);
  EXPECT_EQ(b.calls, 3);
  co_await clock.advance(10ms);
  co_await g.join();
  EXPECT_THAT(r3, Optional(IsOkAndHolds("x")));
  EXPECT_EQ(svc.in_flight(), 0u);
}

FERRY_CO_TEST(ConcurrencyLimitTest, RecoversAfterACancelledCall) {
  ManualClock clock;
  Backend b{.nap = 1h};
  auto svc = ConcurrencyLimitLayer(1).layer(BackendService{&b});
  Context cx = echo_cx();
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, std::string("x"), &r);
  co_await yield_now();
  EXPECT_EQ(svc.in_flight(), 1u);
  g.cancel();
  co_await g.join();
  EXPECT_THAT(r, Optional(StatusIs(Code::kCancelled)));
  EXPECT_EQ(svc.in_flight(), 0u);
  b.nap = {};
  EXPECT_THAT(co_await svc.call(cx, "y"), IsOkAndHolds("y"));
}

FERRY_CO_TEST(ConcurrencyLimitTest, RecoversAfterTheCallingTaskIsDestroyed) {
  ManualClock clock;
  Backend b{.nap = 1h};
  auto svc = ConcurrencyLimitLayer(1).layer(BackendService{&b});
  Context cx = echo_cx();
  std::optional<Result<std::string>> r;
  {
    TaskGroup g;  // destroyed with the call suspended inside the backend
    start_call(g, svc, cx, std::string("x"), &r);
    co_await yield_now();
    EXPECT_EQ(svc.in_flight(), 1u);
  }
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(svc.in_flight(), 0u);
  {
    Task<Result<std::string>> never = svc.call(cx, "z");  // not awaited
    EXPECT_EQ(svc.in_flight(), 0u);
  }
  b.nap = {};
  EXPECT_THAT(co_await svc.call(cx, "y"), IsOkAndHolds("y"));
  EXPECT_EQ(b.calls, 2);
}

FERRY_CO_TEST(ConcurrencyLimitTest, CountsErrorsAsFinished) {
  Backend b{.next = absl::InternalError("bug")};
  auto svc = ConcurrencyLimitLayer(1).layer(BackendService{&b});
  Context cx = echo_cx();
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kInternal));
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kInternal));
  EXPECT_EQ(svc.in_flight(), 0u);
  EXPECT_EQ(b.calls, 2);
}

FERRY_CO_TEST(ConcurrencyLimitTest, ZeroRefusesEverything) {
  Backend b;
  auto svc = ConcurrencyLimitLayer(0).layer(BackendService{&b});
  Context cx;
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kResourceExhausted,
                       "concurrency limit 0 reached for call"));
  EXPECT_EQ(b.calls, 0);
}

// --- RateLimit -------------------------------------------------------------

FERRY_CO_TEST(RateLimitTest, AllowsTheBurstThenRejects) {
  ManualClock clock;
  Backend b;
  auto svc = RateLimitLayer(100, 5).layer(BackendService{&b});
  Context cx = echo_cx();
  for (int i = 0; i < 5; ++i) {
    EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  }
  EXPECT_THAT(
      co_await svc.call(cx, "x"),
      StatusIs(Code::kResourceExhausted, "rate limit 100/s exceeded for Echo"));
  EXPECT_EQ(b.calls, 5);
}

FERRY_CO_TEST(RateLimitTest, RefillsAtTheConfiguredRate) {
  ManualClock clock;
  Backend b;
  auto svc = RateLimitLayer(100, 5).layer(BackendService{&b});  // one per 10 ms
  Context cx = echo_cx();
  for (int i = 0; i < 5; ++i) (void)co_await svc.call(cx, "x");
  EXPECT_EQ(svc.available(), 0u);
  co_await clock.advance(9ms);
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kResourceExhausted));
  co_await clock.advance(1ms);
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kResourceExhausted));
  co_await clock.advance(30ms);
  EXPECT_EQ(svc.available(), 3u);
  co_await clock.advance(1s);
  EXPECT_EQ(svc.available(), 5u);  // capped at the burst
  EXPECT_EQ(b.calls, 6);
}

FERRY_CO_TEST(RateLimitTest, RefillHasNoDriftAtRatesThatDoNotDivideASecond) {
  ManualClock clock;
  Backend b;
  auto svc =
      RateLimitLayer(3, 10).layer(BackendService{&b});  // 333.33... ms each
  Context cx = echo_cx();
  for (int i = 0; i < 10; ++i) (void)co_await svc.call(cx, "x");
  // A thousand 1 ms steps, each observed (so each refill is tiny).
  for (int i = 0; i < 999; ++i) {
    co_await clock.advance(1ms);
    (void)svc.available();
  }
  EXPECT_EQ(svc.available(), 2u);  // 2.997 tokens
  co_await clock.advance(1ms);
  EXPECT_EQ(svc.available(), 3u);  // exactly 3 after exactly 1 s
  co_await clock.advance(333ms);
  EXPECT_EQ(svc.available(), 3u);  // 3.999
  co_await clock.advance(1ms);
  EXPECT_EQ(svc.available(), 4u);
}

FERRY_CO_TEST(RateLimitTest, BucketsArePerStack) {
  ManualClock clock;
  Backend b;
  const RateLimitLayer layer(10, 1);
  auto one = layer.layer(BackendService{&b});
  auto two = layer.layer(BackendService{&b});
  Context cx = echo_cx();
  EXPECT_THAT(co_await one.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_THAT(co_await one.call(cx, "x"), StatusIs(Code::kResourceExhausted));
  EXPECT_THAT(co_await two.call(cx, "x"), IsOkAndHolds("x"));
}

// --- All three through ServiceBuilder ---------------------------------------

FERRY_CO_TEST(ConcurrencyAndRateLimitTest, ComposeWithTheCircuitBreaker) {
  ManualClock clock;
  Backend b;
  auto svc = ServiceBuilder()
                 .layer(ConcurrencyLimitLayer(2))
                 .layer(RateLimitLayer(10, 4))
                 .layer(CircuitBreakerLayer(
                     CircuitBreakerPolicy{.min_requests = 2, .threshold = 0.5}))
                 .service(BackendService{&b});
  static_assert(std::is_same_v<
                decltype(svc),
                ConcurrencyLimit<RateLimit<CircuitBreaker<BackendService>>>>);
  static_assert(Service<decltype(svc), std::string>);
  Context cx = echo_cx();

  // Concurrency: two calls in flight, the third is shed before the bucket.
  b.nap = 10ms;
  std::optional<Result<std::string>> r1, r2;
  TaskGroup g;
  start_call(g, svc, cx, std::string("x"), &r1);
  start_call(g, svc, cx, std::string("x"), &r2);
  co_await yield_now();
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kResourceExhausted, HasSubstr("concurrency")));
  co_await clock.advance(10ms);
  co_await g.join();
  EXPECT_THAT(r1, Optional(IsOkAndHolds("x")));
  EXPECT_THAT(r2, Optional(IsOkAndHolds("x")));

  // The breaker opens on failures; its fast fails still spend tokens.
  b.nap = {};
  b.next = absl::UnavailableError("down");
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kUnavailable));
  EXPECT_EQ(svc.inner().inner().state("Echo"), CircuitState::kOpen);
  EXPECT_EQ(b.calls, 4);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kResourceExhausted, HasSubstr("rate limit")));
  EXPECT_EQ(b.calls, 4);
  co_await clock.advance(100ms);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kUnavailable, HasSubstr("circuit open")));
  EXPECT_EQ(b.calls, 4);
  EXPECT_EQ(svc.in_flight(), 0u);
}

}  // namespace
}  // namespace ferry
