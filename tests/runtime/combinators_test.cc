#include "runtime/combinators.h"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "gtest/gtest.h"

#include "runtime/task_group.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;

Task<int> after(std::chrono::milliseconds d, int v) {
  Status s = co_await sleep_for(d);
  co_return s.ok() ? v : -1;
}

Task<std::string> text() { co_return "hi"; }
Task<void> nothing() { co_return; }

FERRY_CO_TEST(WhenAllTest, ReturnsEveryResultInArgumentOrder) {
  auto [a, b, c, d] =
      co_await when_all(after(30ms, 1), after(10ms, 2), text(), nothing());
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(c, "hi");
  EXPECT_EQ(d, std::monostate{});
}

FERRY_CO_TEST(WhenAllTest, CompletesInCompletionOrderNotArgumentOrder) {
  std::vector<int> done;
  auto rec = [](std::vector<int>* log, std::chrono::milliseconds d,
                int id) -> Task<void> {
    co_await sleep_for(d);
    log->push_back(id);
  };
  co_await when_all(rec(&done, 20ms, 1), rec(&done, 1ms, 2));
  EXPECT_EQ(done, (std::vector<int>{2, 1}));
}

FERRY_CO_TEST(WhenAllTest, VectorOverloadRunsManyTasks) {
  std::vector<Task<int>> tasks;
  for (int i = 0; i < 100; ++i)
    tasks.push_back(after(std::chrono::milliseconds(i % 5), i));
  std::vector<int> out = co_await when_all(std::move(tasks));
  FERRY_CO_ASSERT_EQ(out.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(out[i], i);
}

FERRY_CO_TEST(WhenAllTest, HandlesTasksThatFinishWithoutSuspending) {
  auto [a, b] = co_await when_all(text(), text());
  EXPECT_EQ(a + b, "hihi");
}

Task<int> thrower() {
  co_await sleep_for(1ms);
  throw std::runtime_error("branch failed");
}

FERRY_CO_TEST(WhenAllTest, RethrowsAfterEveryBranchFinished) {
  bool other_finished = false;
  auto other = [](bool* f) -> Task<int> {
    co_await sleep_for(5ms);
    *f = true;
    co_return 1;
  };
  bool threw = false;
  try {
    co_await when_all(thrower(), other(&other_finished));
  } catch (const std::runtime_error&) {
    threw = true;
  }
  EXPECT_TRUE(threw);
  EXPECT_TRUE(other_finished);
}

FERRY_CO_TEST(SelectTest, ReturnsTheFirstAndCancelsTheRest) {
  bool loser_cancelled = false;
  auto loser = [](bool* cancelled) -> Task<int> {
    Status s = co_await sleep_for(10s);
    *cancelled = absl::IsCancelled(s);
    co_return 0;
  };
  auto r = co_await select(after(1ms, 7), loser(&loser_cancelled));
  FERRY_CO_ASSERT_EQ(r.index(), 0u);
  EXPECT_EQ(std::get<0>(r), 7);
  // select awaited the loser: it has observed its cancellation already.
  EXPECT_TRUE(loser_cancelled);
}

FERRY_CO_TEST(SelectTest, SecondCanWin) {
  auto r = co_await select(after(10s, 1), text());
  FERRY_CO_ASSERT_EQ(r.index(), 1u);
  EXPECT_EQ(std::get<1>(r), "hi");
}

FERRY_CO_TEST(SelectTest, CancellingTheCallerCancelsEveryBranch) {
  // select under with_timeout: the deadline cancels both sleeping branches.
  auto both_sleep = []() -> Task<Result<int>> {
    auto r = co_await select(after(10s, 1), after(10s, 2));
    co_return r.index() == 0 ? std::get<0>(r) : std::get<1>(r);
  };
  Result<int> r = co_await with_timeout(both_sleep(), 10ms);
  // Branches saw kCancelled and returned -1; the deadline decides.
  EXPECT_THAT(r, testing::IsOkAndHolds(-1));
}

FERRY_CO_TEST(TaskGroupTest, JoinWaitsForEverySpawnedTask) {
  int finished = 0;
  auto work = [](int* n, std::chrono::milliseconds d) -> Task<void> {
    co_await sleep_for(d);
    ++*n;
  };
  TaskGroup g;
  for (int i = 0; i < 10; ++i)
    g.spawn(work(&finished, std::chrono::milliseconds(i)));
  EXPECT_EQ(g.size(), 10u);
  co_await g.join();
  EXPECT_EQ(finished, 10);
  EXPECT_EQ(g.size(), 0u);
}

FERRY_CO_TEST(TaskGroupTest, StartRunsTheTaskInlineUntilItWaits) {
  std::vector<int> log;
  auto work = [](std::vector<int>* log, int id, bool wait) -> Task<void> {
    log->push_back(id);
    if (wait) (void)co_await sleep_for(1ms);
    log->push_back(-id);
  };
  TaskGroup g;
  g.start(work(&log, 1, false));  // runs to the end inside start()
  EXPECT_EQ(log, (std::vector<int>{1, -1}));
  EXPECT_EQ(g.size(), 0u);
  g.start(work(&log, 2, true));  // runs until the sleep
  EXPECT_EQ(log, (std::vector<int>{1, -1, 2}));
  EXPECT_EQ(g.size(), 1u);
  co_await g.join();
  EXPECT_EQ(log, (std::vector<int>{1, -1, 2, -2}));
}

FERRY_CO_TEST(TaskGroupTest, CancelStopsSleepingTasks) {
  int cancelled = 0;
  auto work = [](int* n) -> Task<void> {
    Status s = co_await sleep_for(1h);
    if (absl::IsCancelled(s)) ++*n;
  };
  TaskGroup g;
  for (int i = 0; i < 5; ++i) g.spawn(work(&cancelled));
  co_await yield_now();  // let them start
  g.cancel();
  co_await g.join();
  EXPECT_EQ(cancelled, 5);
}

FERRY_CO_TEST(TaskGroupTest, DestroyingAGroupDestroysUnfinishedTasks) {
  int finished = 0;
  auto work = [](int* n) -> Task<void> {
    co_await sleep_for(1h);
    ++*n;
  };
  {
    TaskGroup g;
    g.spawn(work(&finished));
    co_await yield_now();
  }  // frames destroyed here; their timers leave the heap (ASan checks)
  co_await sleep_for(1ms);
  EXPECT_EQ(finished, 0);
}

FERRY_CO_TEST(TaskGroupTest, ExceptionsInSpawnedTasksDoNotEscape) {
  TaskGroup g;
  g.spawn([]() -> Task<void> {
    throw std::runtime_error("spawned failure");
    co_return;
  }());
  co_await g.join();
  EXPECT_EQ(g.size(), 0u);
}

}  // namespace
}  // namespace ferry
