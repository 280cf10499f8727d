#pragma once

// Coroutine tests: FERRY_CO_TEST(Suite, Name) { ... co_await ...; } runs the
// body as a Task<void> on a one-worker runtime on the test thread, with the
// backend chosen by FERRY_IO_BACKEND (ctest registers backend suites twice,
// once per backend). If the requested backend is unavailable on this host
// the test is skipped with the reason.
//
// GoogleTest's ASSERT_* `return`, which a coroutine cannot; use
// FERRY_CO_ASSERT_TRUE / _EQ / _OK, which `co_return` on failure. EXPECT_*
// work unchanged.

#include "gtest/gtest.h"

#include "runtime/runtime.h"
#include "runtime/task.h"
#include "tests/support/status_matchers.h"

namespace ferry::testing {

// Why the requested backend cannot run here, or "" when it can.
inline std::string backend_unavailable_reason() {
  auto b = resolve_backend(RuntimeOptions{});
  return b.ok() ? std::string() : std::string(b.status().message());
}

// The backend the tests in this process run on.
inline IoBackend test_backend() {
  auto b = resolve_backend(RuntimeOptions{});
  return b.ok() ? *b : IoBackend::kEpoll;
}

}  // namespace ferry::testing

#define FERRY_CO_TEST(suite, name)                                 \
  class suite##_##name##_CoBody {                                  \
   public:                                                         \
    static ::ferry::Task<void> run();                              \
  };                                                               \
  TEST(suite, name) {                                              \
    if (auto why = ::ferry::testing::backend_unavailable_reason(); \
        !why.empty())                                              \
      GTEST_SKIP() << why;                                         \
    ::ferry::block_on(suite##_##name##_CoBody::run());             \
  }                                                                \
  ::ferry::Task<void> suite##_##name##_CoBody::run()

#define FERRY_CO_ASSERT_TRUE(cond)            \
  do {                                        \
    bool ferry_ok_ = static_cast<bool>(cond); \
    EXPECT_TRUE(ferry_ok_) << #cond;          \
    if (!ferry_ok_) co_return;                \
  } while (0)

#define FERRY_CO_ASSERT_EQ(a, b)   \
  do {                             \
    bool ferry_ok_ = ((a) == (b)); \
    EXPECT_EQ(a, b);               \
    if (!ferry_ok_) co_return;     \
  } while (0)

#define FERRY_CO_ASSERT_OK(expr)                                    \
  do {                                                              \
    const auto& ferry_s_ = (expr);                                  \
    EXPECT_TRUE(::ferry::testing::get_status(ferry_s_).ok())        \
        << #expr << ": " << ::ferry::testing::get_status(ferry_s_); \
    if (!::ferry::testing::get_status(ferry_s_).ok()) co_return;    \
  } while (0)

// Skips the running coroutine test with `reason` (a std::string).
#define FERRY_CO_SKIP(reason)                                          \
  do {                                                                 \
    GTEST_MESSAGE_AT_(__FILE__, __LINE__, std::string(reason).c_str(), \
                      ::testing::TestPartResult::kSkip);               \
    co_return;                                                         \
  } while (0)
