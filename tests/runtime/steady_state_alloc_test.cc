// Counts heap allocations per echoed message once an echo connection is
// warm: the runtime's target is zero (frames, ops and chunks are recycled;
// received bytes are ring buffers). This binary replaces the global
// operator new to count, so it is its own test executable.

#include <atomic>
#include <cstdlib>
#include <new>

#include "gtest/gtest.h"

#include "runtime/combinators.h"
#include "runtime/net.h"
#include "runtime/task_group.h"
#include "tests/support/co_test.h"
#include "tests/support/tcp_pair.h"

// Sanitizer builds bypass the recycling allocators (and replace operator
// new themselves): there the test only reports that it is skipped.
#ifndef FERRY_SANITIZER_BUILD
namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif

namespace ferry {
namespace {

#ifndef FERRY_SANITIZER_BUILD
Task<void> echo(TcpStream s) {
  for (;;) {
    Result<IoBuf> data = co_await s.read();
    if (!data.ok() || data->empty()) break;
    if (!(co_await s.write(std::move(*data))).ok()) break;
  }
}

Task<Status> ping_pong(TcpStream& c, const IoBuf& msg, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    FERRY_CO_RETURN_IF_ERROR(co_await c.write(msg.clone()));
    FERRY_CO_ASSIGN_OR_RETURN(IoBuf back, co_await c.read_exact(msg.size()));
    if (back.size() != msg.size()) co_return absl::DataLossError("short");
  }
  co_return Status();
}

FERRY_CO_TEST(SteadyStateAllocTest, EchoAllocatesNothingPerMessageOnceWarm) {
  auto pair = co_await testing::connected_pair();
  FERRY_CO_ASSERT_OK(pair);
  TcpStream client = std::move(pair->client);
  TaskGroup server;
  server.spawn(echo(std::move(pair->server)));
  const IoBuf msg = IoBuf::copy_from(std::string(32, 'x'));

  FERRY_CO_ASSERT_OK(co_await ping_pong(client, msg, 2000));  // warm-up
  const long before = g_allocations.load();
  constexpr int kMessages = 20000;
  FERRY_CO_ASSERT_OK(co_await ping_pong(client, msg, kMessages));
  const long allocations = g_allocations.load() - before;
  ::testing::Test::RecordProperty("allocations", static_cast<int>(allocations));
  EXPECT_EQ(allocations, 0)
      << allocations << " allocations for " << kMessages << " echoed messages";
  co_await client.close();
  server.cancel();
  co_await server.join();
}
#else
TEST(SteadyStateAllocTest, EchoAllocatesNothingPerMessageOnceWarm) {
  GTEST_SKIP() << "sanitizer builds bypass the recycling allocators";
}
#endif

}  // namespace
}  // namespace ferry
