#include "runtime/runtime.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

#include "runtime/net.h"
#include "runtime/task_group.h"
#include "runtime/time.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using testing::IsOk;

std::unique_ptr<Runtime> make_runtime(std::size_t workers) {
  auto rt = Runtime::create({.workers = workers});
  EXPECT_TRUE(rt.ok()) << rt.status();
  return rt.ok() ? std::move(*rt) : nullptr;
}

// Waits (bounded) until `pred` holds, polling from a non-worker thread.
template <class Pred>
bool eventually(Pred pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

Task<std::size_t> where_am_i() { co_return *current_worker_index(); }

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto why = testing::backend_unavailable_reason(); !why.empty()) {
      GTEST_SKIP() << why;
    }
  }
};

TEST_F(RuntimeTest, StartsTheRequestedWorkersOnTheChosenBackend) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  EXPECT_EQ(rt->size(), 2u);
  EXPECT_EQ(rt->backend(), testing::test_backend());
  EXPECT_EQ(rt->block_on(where_am_i(), 0), 0u);
  EXPECT_EQ(rt->block_on(where_am_i(), 1), 1u);
  EXPECT_FALSE(current_worker_index().has_value());
}

TEST_F(RuntimeTest, SpawnOnRunsTasksOnTheTargetWorker) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  std::atomic<int> on_worker[2] = {0, 0};
  auto record = [](std::atomic<int>* counts) -> Task<void> {
    counts[*current_worker_index()].fetch_add(1);
    co_return;
  };
  for (int i = 0; i < 10'000; ++i) {
    ASSERT_THAT(rt->spawn_on(i % 2, record(on_worker)), IsOk());
  }
  EXPECT_TRUE(eventually([&] {
    return on_worker[0].load() == 5000 && on_worker[1].load() == 5000;
  }));
}

TEST_F(RuntimeTest, WorkersSpawnOnEachOther) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  std::atomic<int> pongs{0};
  Runtime* r = rt.get();
  auto pong = [](std::atomic<int>* n) -> Task<void> {
    if (*current_worker_index() == 0) n->fetch_add(1);
    co_return;
  };
  auto ping = [](Runtime* r, std::atomic<int>* n,
                 decltype(pong) pong) -> Task<void> {
    // On worker 1: send the pong back to worker 0.
    EXPECT_THAT(r->spawn_on(0, pong(n)), IsOk());
    co_return;
  };
  for (int i = 0; i < 1000; ++i) {
    ASSERT_THAT(rt->spawn_on(1, ping(r, &pongs, pong)), IsOk());
  }
  EXPECT_TRUE(eventually([&] { return pongs.load() == 1000; }));
}

TEST_F(RuntimeTest, ShutdownCancelsAndDrainsSleepingTasks) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  std::atomic<int> started{0}, cancelled{0};
  auto sleeper = [](std::atomic<int>* s, std::atomic<int>* c) -> Task<void> {
    s->fetch_add(1);
    Status st = co_await sleep_for(1h);
    if (absl::IsCancelled(st)) c->fetch_add(1);
  };
  for (int i = 0; i < 20; ++i) {
    ASSERT_THAT(rt->spawn_on(i % 2, sleeper(&started, &cancelled)), IsOk());
  }
  ASSERT_TRUE(eventually([&] { return started.load() == 20; }));
  rt->shutdown();  // must not wait an hour
  EXPECT_EQ(cancelled.load(), 20);
}

TEST_F(RuntimeTest, SpawnOnRejectsBadWorkersAndAStoppedRuntime) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  auto noop = []() -> Task<void> { co_return; };
  EXPECT_THAT(rt->spawn_on(2, noop()),
              testing::StatusIs(absl::StatusCode::kOutOfRange));
  rt->shutdown();
  EXPECT_THAT(rt->spawn_on(0, noop()),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(RuntimeTest, ShardsOnePortAcrossWorkersWithReusePort) {
  auto rt = make_runtime(2);
  ASSERT_NE(rt, nullptr);
  // Each worker binds its own listener on one port and echoes one message
  // per connection; connections are accepted on whichever worker the
  // kernel picks.
  std::atomic<int> served[2] = {0, 0};
  auto serve = [](uint16_t port, std::atomic<int>* served,
                  std::atomic<uint16_t>* bound) -> Task<Status> {
    FERRY_CO_ASSIGN_OR_RETURN(
        TcpListener l, TcpListener::bind(SocketAddress::loopback_v4(port)));
    bound->store(l.local_address().port());
    TaskGroup conns;
    for (;;) {
      Result<TcpStream> s = co_await l.accept();
      if (!s.ok()) break;
      served[*current_worker_index()].fetch_add(1);
      conns.spawn([](TcpStream c) -> Task<void> {
        auto msg = co_await c.read_exact(4);
        if (msg.ok()) (void)co_await c.write(std::move(*msg));
        co_await c.close();
      }(std::move(*s)));
    }
    conns.cancel();
    co_await conns.join();
    co_return Status();
  };
  std::atomic<uint16_t> port0{0}, port1{0};
  ASSERT_THAT(rt->spawn_on(0,
                           [](auto serve, auto* served,
                              std::atomic<uint16_t>* p) -> Task<void> {
                             (void)co_await serve(0, served, p);
                           }(serve, served, &port0)),
              IsOk());
  ASSERT_TRUE(eventually([&] { return port0 != 0; }));
  ASSERT_THAT(rt->spawn_on(1,
                           [](auto serve, auto* served, uint16_t port,
                              std::atomic<uint16_t>* p) -> Task<void> {
                             (void)co_await serve(port, served, p);
                           }(serve, served, port0.load(), &port1)),
              IsOk());
  ASSERT_TRUE(eventually([&] { return port1 != 0; }));
  EXPECT_EQ(port0.load(), port1.load());

  // Clients run on their own block_on runtime on this thread.
  block_on([](uint16_t port) -> Task<void> {
    for (int i = 0; i < 64; ++i) {
      auto c = co_await TcpStream::connect(SocketAddress::loopback_v4(port));
      FERRY_CO_ASSERT_OK(c);
      FERRY_CO_ASSERT_OK(co_await c->write(IoBuf::copy_from("ping")));
      auto back = co_await c->read_exact(4);
      FERRY_CO_ASSERT_OK(back);
      EXPECT_EQ(back->to_string(), "ping");
    }
  }(port0.load()));
  EXPECT_EQ(served[0].load() + served[1].load(), 64);
  rt->shutdown();
}

}  // namespace
}  // namespace ferry
