#include "runtime/time.h"

#include <chrono>
#include <optional>
#include <vector>

#include "gtest/gtest.h"

#include "runtime/internal/timer_heap.h"
#include "runtime/task_group.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using internal::TimerHeap;
using internal::TimerNode;

struct Fired : TimerNode {
  Fired() : TimerNode([](TimerNode*) noexcept {}) {}
};

TEST(TimerHeapTest, PopsInDeadlineOrderAndFifoOnTies) {
  TimerHeap heap;
  const auto t0 = Clock::time_point{};
  std::vector<Fired> timers(6);
  const int offsets[] = {5, 1, 3, 1, 0, 9};
  for (int i = 0; i < 6; ++i) heap.insert(&timers[i], t0 + offsets[i] * 1ms);
  std::vector<TimerNode*> order;
  while (TimerNode* t = heap.pop_expired(t0 + 100ms)) order.push_back(t);
  ASSERT_EQ(order.size(), 6u);
  EXPECT_EQ(order[0], &timers[4]);
  EXPECT_EQ(order[1], &timers[1]);  // tie at 1ms: inserted first, fires first
  EXPECT_EQ(order[2], &timers[3]);
  EXPECT_EQ(order[3], &timers[2]);
  EXPECT_EQ(order[4], &timers[0]);
  EXPECT_EQ(order[5], &timers[5]);
}

TEST(TimerHeapTest, RemovesFromAnyPosition) {
  TimerHeap heap;
  const auto t0 = Clock::time_point{};
  std::vector<Fired> timers(100);
  for (int i = 0; i < 100; ++i)
    heap.insert(&timers[i], t0 + ((i * 37) % 100) * 1ms);
  for (int i = 0; i < 100; i += 2) heap.remove(&timers[i]);
  EXPECT_EQ(heap.size(), 50u);
  auto last = t0;
  while (TimerNode* t = heap.pop_expired(t0 + 1s)) {
    EXPECT_GE(t->deadline, last);
    last = t->deadline;
    EXPECT_EQ((static_cast<Fired*>(t) - timers.data()) % 2, 1);
  }
  EXPECT_TRUE(heap.empty());
}

TEST(TimerHeapTest, NothingFiresBeforeItsDeadline) {
  TimerHeap heap;
  Fired t;
  heap.insert(&t, Clock::time_point{} + 10ms);
  EXPECT_EQ(heap.pop_expired(Clock::time_point{} + 9ms), nullptr);
  EXPECT_EQ(heap.pop_expired(Clock::time_point{} + 10ms), &t);
}

Task<void> sleep_and_record(std::chrono::milliseconds d, int id,
                            std::vector<int>* order) {
  Status s = co_await sleep_for(d);
  EXPECT_TRUE(s.ok()) << s;
  order->push_back(id);
}

FERRY_CO_TEST(SleepTest, WakesSleepersInDeadlineOrder) {
  std::vector<int> order;
  TaskGroup g;
  g.spawn(sleep_and_record(30ms, 3, &order));
  g.spawn(sleep_and_record(10ms, 1, &order));
  g.spawn(sleep_and_record(20ms, 2, &order));
  g.spawn(sleep_and_record(0ms, 0, &order));
  co_await g.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

FERRY_CO_TEST(SleepTest, SleepsAtLeastTheRequestedTime) {
  const auto start = Clock::now();
  Status s = co_await sleep_for(15ms);
  EXPECT_TRUE(s.ok());
  EXPECT_GE(Clock::now() - start, 15ms);
}

Task<Result<int>> slow_value(std::chrono::milliseconds d) {
  FERRY_CO_RETURN_IF_ERROR(co_await sleep_for(d));
  co_return 5;
}

FERRY_CO_TEST(WithTimeoutTest, ReturnsTheResultWhenInTime) {
  Result<int> r = co_await with_timeout(slow_value(1ms), 5s);
  EXPECT_THAT(r, testing::IsOkAndHolds(5));
}

FERRY_CO_TEST(WithTimeoutTest, CancelsAndReportsDeadlineExceeded) {
  const auto start = Clock::now();
  Result<int> r = co_await with_timeout(slow_value(10s), 20ms);
  EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kDeadlineExceeded,
                                   ::testing::HasSubstr("deadline exceeded")));
  EXPECT_LT(Clock::now() - start, 5s);  // the 10 s sleep was cancelled
}

FERRY_CO_TEST(WithTimeoutTest, NestedDeadlinesTheInnerOneWins) {
  auto inner = []() -> Task<Result<int>> {
    co_return co_await with_timeout(slow_value(10s), 10ms);
  };
  Result<int> r = co_await with_timeout(inner(), 10s);
  EXPECT_THAT(r, testing::StatusIs(absl::StatusCode::kDeadlineExceeded));
}

FERRY_CO_TEST(SleepTest, PastDeadlinesDoNotStarveOtherTasks) {
  // A task sleeping until an instant already past, over and over, still
  // lets a ready task run: timers armed while firing wait for the next turn.
  bool other_ran = false;
  TaskGroup g;
  g.spawn([](bool* ran) -> Task<void> {
    int sleeps = 0;
    while (!*ran && sleeps < 1'000'000) {
      co_await sleep_until(Clock::time_point{});
      ++sleeps;
    }
    EXPECT_LT(sleeps, 10);
  }(&other_ran));
  g.spawn([](bool* ran) -> Task<void> {
    *ran = true;
    co_return;
  }(&other_ran));
  co_await g.join();
  EXPECT_TRUE(other_ran);
}

FERRY_CO_TEST(ManualClockTest, TimersFireOnlyWhenTimeIsAdvanced) {
  ManualClock clock;
  const auto start = clock.now();
  std::vector<int> woke;
  TaskGroup g;
  g.spawn(sleep_and_record(std::chrono::hours(1), 2, &woke));
  g.spawn(sleep_and_record(std::chrono::minutes(1), 1, &woke));
  co_await yield_now();
  co_await clock.advance(std::chrono::seconds(59));
  EXPECT_TRUE(woke.empty());
  co_await clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(woke, (std::vector<int>{1}));
  co_await clock.advance(std::chrono::hours(1));
  EXPECT_EQ(woke, (std::vector<int>{1, 2}));
  EXPECT_EQ(clock.now() - start,
            std::chrono::hours(1) + std::chrono::minutes(1));
  co_await g.join();
}

FERRY_CO_TEST(ManualClockTest, AdvanceStopsAtEachDeadlineOnTheWay) {
  ManualClock clock;
  const auto start = clock.now();
  std::vector<Clock::duration> woke_at;
  auto sleeper = [](ManualClock* c, Clock::time_point t0,
                    std::chrono::seconds d,
                    std::vector<Clock::duration>* out) -> Task<void> {
    co_await sleep_for(d);
    out->push_back(c->now() - t0);
  };
  TaskGroup g;
  g.spawn(sleeper(&clock, start, std::chrono::seconds(2), &woke_at));
  g.spawn(sleeper(&clock, start, std::chrono::seconds(1), &woke_at));
  co_await yield_now();
  co_await clock.advance(std::chrono::seconds(3));
  EXPECT_EQ(woke_at, (std::vector<Clock::duration>{std::chrono::seconds(1),
                                                   std::chrono::seconds(2)}));
  EXPECT_EQ(clock.now() - start, std::chrono::seconds(3));
  co_await g.join();
}

FERRY_CO_TEST(ManualClockTest, DrivesWithTimeoutWithoutWaiting) {
  ManualClock clock;
  std::optional<Result<int>> result;
  TaskGroup g;
  g.spawn([](std::optional<Result<int>>* out) -> Task<void> {
    out->emplace(co_await with_timeout(slow_value(std::chrono::hours(1)),
                                       std::chrono::milliseconds(100)));
  }(&result));
  co_await yield_now();
  co_await clock.advance(99ms);
  EXPECT_FALSE(result.has_value());
  co_await clock.advance(1ms);
  // The deadline fired, the 1 h sleep was cancelled and awaited.
  FERRY_CO_ASSERT_TRUE(result.has_value());
  EXPECT_THAT(*result, testing::StatusIs(absl::StatusCode::kDeadlineExceeded));
  co_await g.join();
}

FERRY_CO_TEST(YieldTest, LetsOtherTasksRun) {
  std::vector<int> order;
  auto step = [](std::vector<int>* o, int id) -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      o->push_back(id);
      co_await yield_now();
    }
  };
  TaskGroup g;
  g.spawn(step(&order, 1));
  g.spawn(step(&order, 2));
  co_await g.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2, 1, 2, 1, 2}));
}

}  // namespace
}  // namespace ferry
