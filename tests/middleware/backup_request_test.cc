#include "middleware/backup_request.h"

#include <fmt/core.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/builder.h"
#include "middleware/service.h"
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
using testing::IsOkAndHolds;
using testing::StatusIs;

constexpr auto kOk = absl::StatusCode::kOk;
constexpr auto kUnavailable = absl::StatusCode::kUnavailable;
constexpr auto kInternal = absl::StatusCode::kInternal;

static_assert(Service<BackupRequest<Scripted>, std::string>);
static_assert(Layer<BackupRequestLayer, Scripted>);

FERRY_CO_TEST(BackupRequestTest, TheBackupStartsOnlyAfterTheDelay) {
  ManualClock clock;
  Script script{.steps = {{kOk, 100ms}, {kOk, 100ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  const auto start = clock.now();
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  EXPECT_EQ(script.calls, 1);
  EXPECT_EQ(cx.stats.attempts, 1);
  co_await clock.advance(19ms);
  EXPECT_EQ(script.calls, 1);
  co_await clock.advance(1ms);
  EXPECT_EQ(script.calls, 2);
  EXPECT_EQ(cx.stats.attempts, 2);
  EXPECT_THAT(script.started, ElementsAre(start, start + 20ms));
  // The first attempt finishes first (at 100ms) and wins.
  co_await clock.advance(79ms);
  EXPECT_FALSE(r.has_value());
  co_await clock.advance(1ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, IsOkAndHolds("x#1"));
  EXPECT_EQ(script.live, 0);  // the backup was cancelled and awaited
  EXPECT_EQ(script.cancelled, 1);
  co_await g.join();
}

FERRY_CO_TEST(BackupRequestTest, TheFirstSuccessWinsAndTheLoserIsCancelled) {
  ManualClock clock;
  Script script{.steps = {{kOk, 1h}, {kOk, 10ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  // ManualClock::advance jumps: step to each instant a timer is armed from.
  co_await clock.advance(20ms);  // the backup starts
  co_await clock.advance(9ms);
  EXPECT_FALSE(r.has_value());
  EXPECT_EQ(script.live, 2);
  co_await clock.advance(1ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, IsOkAndHolds("x#2"));
  // The first attempt saw the cancellation and finished before the call
  // returned.
  EXPECT_EQ(script.cancelled, 1);
  EXPECT_EQ(script.live, 0);
  EXPECT_EQ(cx.stats.attempts, 2);
  // Shared Context: both attempts' metadata is there.
  EXPECT_EQ(cx.response_metadata.entries().size(), 2u);
  co_await g.join();
}

FERRY_CO_TEST(BackupRequestTest, AFailureBeforeTheDelayIsNotHedged) {
  ManualClock clock;
  Script script{.steps = {{kUnavailable, 5ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(5ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(kUnavailable, "attempt 1"));
  co_await clock.advance(1h);
  EXPECT_EQ(script.calls, 1);
  EXPECT_EQ(cx.stats.attempts, 1);
  co_await g.join();

  // Nor is an immediate one.
  Script script2{.steps = {{kUnavailable}}};
  auto svc2 = BackupRequestLayer(20ms).layer(Scripted{&script2});
  Context cx2;
  cx2.idempotent = true;
  EXPECT_THAT(co_await svc2.call(cx2, "x"), StatusIs(kUnavailable));
  EXPECT_EQ(script2.calls, 1);
}

FERRY_CO_TEST(BackupRequestTest, WhenBothFailTheLastFailureIsReturned) {
  ManualClock clock;
  // The backup fails first (at 30ms), the first attempt later (at 50ms).
  Script script{.steps = {{kUnavailable, 50ms}, {kInternal, 10ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(20ms);  // the backup starts
  co_await clock.advance(10ms);
  EXPECT_FALSE(r.has_value());  // a failure does not end the race
  EXPECT_EQ(script.live, 1);
  co_await clock.advance(20ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(kUnavailable, "attempt 1"));
  EXPECT_EQ(script.cancelled, 0);
  co_await g.join();
}

FERRY_CO_TEST(BackupRequestTest, ASuccessAfterTheOtherFailedStillWins) {
  ManualClock clock;
  Script script{.steps = {{kUnavailable, 25ms}, {kOk, 30ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(20ms);  // the backup starts
  co_await clock.advance(5ms);   // the first attempt fails after the delay
  EXPECT_FALSE(r.has_value());
  co_await clock.advance(25ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, IsOkAndHolds("x#2"));
  co_await g.join();
}

FERRY_CO_TEST(BackupRequestTest, OnlyIdempotentCallsAreHedgedByDefault) {
  ManualClock clock;
  Script script{.steps = {{kOk, 100ms}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;  // not idempotent
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(100ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, IsOkAndHolds("x#1"));
  EXPECT_EQ(script.calls, 1);
  co_await g.join();

  // hedge_all = true hedges them too.
  Script script2{.steps = {{kOk, 100ms}, {kOk, 100ms}}};
  auto svc2 =
      BackupRequestLayer(20ms, /*hedge_all=*/true).layer(Scripted{&script2});
  Context cx2;
  std::optional<Result<std::string>> r2;
  start_call(g, svc2, cx2, "x", &r2);
  co_await yield_now();
  co_await clock.advance(20ms);
  EXPECT_EQ(script2.calls, 2);
  co_await clock.advance(80ms);
  FERRY_CO_ASSERT_TRUE(r2.has_value());
  EXPECT_THAT(*r2, IsOkAndHolds("x#1"));
  co_await g.join();
}

FERRY_CO_TEST(BackupRequestTest, CancellingTheCallerCancelsBothAttempts) {
  ManualClock clock;
  Script script{.steps = {{kOk, 1h}, {kOk, 1h}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(20ms);
  EXPECT_EQ(script.live, 2);
  g.cancel();
  co_await g.join();
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(script.live, 0);
  EXPECT_EQ(script.cancelled, 2);
}

FERRY_CO_TEST(BackupRequestTest, CancellingDuringTheDelayStartsNoBackup) {
  ManualClock clock;
  Script script{.steps = {{kOk, 1h}}};
  auto svc = BackupRequestLayer(20ms).layer(Scripted{&script});
  Context cx;
  cx.idempotent = true;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  g.cancel();
  co_await g.join();
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kCancelled));
  co_await clock.advance(1h);
  EXPECT_EQ(script.calls, 1);
}

}  // namespace
}  // namespace ferry
