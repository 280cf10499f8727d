#include "runtime/event.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "runtime/combinators.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;

Task<void> wait_and_record(Event& e, std::vector<int>& log, int id) {
  Status s = co_await e.wait();
  log.push_back(s.ok() ? id : -id);
}

FERRY_CO_TEST(EventTest, SetWakesEveryWaiterOnTheNextTurn) {
  Event e;
  std::vector<int> log;
  TaskGroup g;
  g.spawn(wait_and_record(e, log, 1));
  g.spawn(wait_and_record(e, log, 2));
  co_await yield_now();  // both are waiting now
  EXPECT_TRUE(log.empty());
  e.set();
  e.set();                   // a second set in the same turn wakes nobody twice
  EXPECT_TRUE(log.empty());  // not inside set()
  co_await g.join();
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(e.is_set());
}

FERRY_CO_TEST(EventTest, WaitOnASetEventCompletesAtOnce) {
  Event e;
  e.set();
  EXPECT_TRUE((co_await e.wait()).ok());
  e.reset();
  EXPECT_FALSE(e.is_set());
}

FERRY_CO_TEST(EventTest, CancelledWaiterResumesWithCancelled) {
  Event e;
  std::vector<int> log;
  TaskGroup g;
  g.spawn(wait_and_record(e, log, 3));
  co_await yield_now();
  g.cancel();
  co_await g.join();
  EXPECT_EQ(log, std::vector<int>{-3});
  // The event has no waiter left; setting it now wakes nothing.
  e.set();
}

Task<Status> wait_for(Event& e) { co_return co_await e.wait(); }

FERRY_CO_TEST(EventTest, TimeoutLeavesTheEventUsable) {
  Event e;
  EXPECT_EQ((co_await with_timeout(wait_for(e), 10ms)).code(),
            absl::StatusCode::kDeadlineExceeded);
  std::vector<int> log;
  TaskGroup g;
  g.spawn(wait_and_record(e, log, 4));
  co_await yield_now();
  e.set();
  co_await g.join();
  EXPECT_EQ(log, std::vector<int>{4});
}

}  // namespace
}  // namespace ferry
