#include "runtime/task.h"

#include <memory>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "runtime/internal/frame_allocator.h"
#include "runtime/runtime.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

Task<int> answer() { co_return 42; }

Task<int> add_answers(int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) sum += co_await answer();
  co_return sum;
}

TEST(TaskTest, IsLazyUntilAwaited) {
  bool ran = false;
  auto body = [](bool* flag) -> Task<void> {
    *flag = true;
    co_return;
  };
  {
    Task<void> t = body(&ran);
    EXPECT_FALSE(ran);
  }  // destroyed without running
  EXPECT_FALSE(ran);
  block_on(body(&ran));
  EXPECT_TRUE(ran);
}

TEST(TaskTest, ReturnsValuesThroughAwaitChains) {
  EXPECT_EQ(block_on(add_answers(3)), 126);
}

// Symmetric transfer relies on the compiler turning `resume()` of the next
// coroutine into a tail call. Sanitizer instrumentation (ASan's stack
// checks) disables tail calls, so there the stack does grow per await.
#ifndef FERRY_SANITIZER_BUILD
TEST(TaskTest, DeepAwaitChainsDoNotGrowTheStack) {
  // A million sequential awaits of tasks that finish without suspending
  // must not overflow the stack.
  EXPECT_EQ(block_on(add_answers(1'000'000)), 42'000'000);
}
#endif

Task<std::unique_ptr<std::string>> move_only() {
  co_return std::make_unique<std::string>("moved");
}

TEST(TaskTest, CarriesMoveOnlyResults) {
  auto p = block_on(move_only());
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, "moved");
}

Task<int> throws() {
  throw std::runtime_error("boom");
  co_return 1;
}

Task<int> catches() {
  try {
    co_return co_await throws();
  } catch (const std::runtime_error& e) {
    co_return std::string(e.what()) == "boom" ? 7 : 0;
  }
}

TEST(TaskTest, PropagatesExceptionsToTheAwaiter) {
  EXPECT_EQ(block_on(catches()), 7);
  EXPECT_THROW(block_on(throws()), std::runtime_error);
}

Task<Result<int>> fails() { co_return absl::NotFoundError("nope"); }

Task<Result<int>> propagates() {
  FERRY_CO_ASSIGN_OR_RETURN(int v, co_await fails());
  co_return v + 1;
}

TEST(TaskTest, StatusMacrosPropagateErrorsInCoroutines) {
  EXPECT_THAT(block_on(propagates()),
              testing::StatusIs(absl::StatusCode::kNotFound, "nope"));
}

#ifndef FERRY_SANITIZER_BUILD
TEST(TaskTest, FramesAreRecycledPerThread) {
  block_on(add_answers(10));  // warm the free lists
  const std::size_t before = internal::frame_allocator_misses();
  block_on(add_answers(10'000));
  EXPECT_EQ(internal::frame_allocator_misses(), before);
}
#endif

FERRY_CO_TEST(TaskTest, AwaitsInsideTheTestRuntime) {
  const int v = co_await answer();
  EXPECT_EQ(v, 42);
  Status s = co_await sleep_for(std::chrono::milliseconds(1));
  EXPECT_TRUE(s.ok());
}

}  // namespace
}  // namespace ferry
