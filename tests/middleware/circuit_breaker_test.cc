#include "middleware/circuit_breaker.h"

#include <chrono>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/builder.h"
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
using testing::StatusIs;
using Code = absl::StatusCode;

static_assert(Service<CircuitBreaker<BackendService>, std::string>);
static_assert(Layer<CircuitBreakerLayer, BackendService>);

// Small numbers so tests stay short: open at >= 50% failures once the
// 10 s window holds 4 outcomes; stay open 5 s.
CircuitBreakerPolicy small_policy() {
  return CircuitBreakerPolicy{.window = 10s,
                              .buckets = 10,
                              .min_requests = 4,
                              .threshold = 0.5,
                              .open_duration = 5s};
}

SocketAddress addr(std::string_view s) { return *SocketAddress::parse(s); }

Context echo_cx(std::string_view peer = "127.0.0.1:9000") {
  Context cx;
  cx.method = "Echo";
  cx.peer = addr(peer);
  return cx;
}

// Makes `n` calls that all end with `status`.
template <class S>
Task<void> calls(S& svc, Context& cx, Backend& b, Status status, int n) {
  b.next = std::move(status);
  for (int i = 0; i < n; ++i) (void)co_await svc.call(cx, "x");
  b.next = Status();
}

// Opens the breaker of `cx`'s key with min_requests failures.
template <class S>
Task<void> trip(S& svc, Context& cx, Backend& b) {
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 4);
}

FERRY_CO_TEST(CircuitBreakerTest, StaysClosedBelowMinRequests) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 3);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(b.calls, 4);
}

FERRY_CO_TEST(CircuitBreakerTest, StaysClosedBelowTheThreshold) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await calls(svc, cx, b, Status(), 4);
  co_await calls(svc, cx, b, absl::InternalError("bug"), 3);  // 3 of 7
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  co_await calls(svc, cx, b, absl::InternalError("bug"), 1);  // 4 of 8
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
}

FERRY_CO_TEST(CircuitBreakerTest, OpensAtTheThreshold) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await calls(svc, cx, b, Status(), 2);
  co_await calls(svc, cx, b, absl::DeadlineExceededError("slow"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);  // 3 < 4
  co_await calls(svc, cx, b, absl::DeadlineExceededError("slow"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);  // 2/4 = 0.5
}

FERRY_CO_TEST(CircuitBreakerTest, FastFailsWhileOpenWithoutCallingInner) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  FERRY_CO_ASSERT_EQ(b.calls, 4);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kUnavailable,
                       "circuit open for Echo@127.0.0.1:9000; retry in 5.0 s"));
  co_await clock.advance(2700ms);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kUnavailable, HasSubstr("retry in 2.3 s")));
  co_await clock.advance(2299ms);
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kUnavailable));
  EXPECT_EQ(b.calls, 4);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
}

FERRY_CO_TEST(CircuitBreakerTest, HalfOpenLetsExactlyTheProbeThrough) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kHalfOpen);

  b.nap = 1ms;
  std::optional<Result<std::string>> probe;
  TaskGroup g;
  start_call(g, svc, cx, std::string("probe"), &probe);
  co_await yield_now();
  EXPECT_EQ(b.calls, 5);  // the probe reached the backend
  Context other = echo_cx();
  EXPECT_THAT(co_await svc.call(other, "x"),
              StatusIs(Code::kUnavailable,
                       HasSubstr("circuit half-open for Echo@127.0.0.1:9000")));
  EXPECT_EQ(b.calls, 5);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kHalfOpen);

  co_await clock.advance(1ms);
  co_await g.join();
  FERRY_CO_ASSERT_TRUE(probe.has_value());
  EXPECT_THAT(*probe, IsOkAndHolds("probe"));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, HalfOpenAllowsTheConfiguredProbeCount) {
  ManualClock clock;
  Backend b;
  CircuitBreakerPolicy p = small_policy();
  p.half_open_probes = 2;
  p.probes_to_close = 2;
  auto svc = CircuitBreakerLayer(p).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);

  b.nap = 1ms;
  std::optional<Result<std::string>> p1, p2;
  TaskGroup g;
  start_call(g, svc, cx, std::string("probe"), &p1);
  start_call(g, svc, cx, std::string("probe"), &p2);
  co_await yield_now();
  EXPECT_EQ(b.calls, 6);
  EXPECT_THAT(co_await svc.call(cx, "x"), StatusIs(Code::kUnavailable));
  EXPECT_EQ(b.calls, 6);
  co_await clock.advance(1ms);
  co_await g.join();
  EXPECT_THAT(p1, ::testing::Optional(IsOkAndHolds("probe")));
  EXPECT_THAT(p2, ::testing::Optional(IsOkAndHolds("probe")));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, ProbeSuccessClosesWithAFreshWindow) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);
  EXPECT_THAT(co_await svc.call(cx, "probe"), IsOkAndHolds("probe"));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  // The four failures that opened it are gone: three more do not reopen.
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 3);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
}

FERRY_CO_TEST(CircuitBreakerTest, ProbesToCloseNeedsThatManySuccesses) {
  ManualClock clock;
  Backend b;
  CircuitBreakerPolicy p = small_policy();
  p.probes_to_close = 3;
  auto svc = CircuitBreakerLayer(p).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kHalfOpen);
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, ProbeFailureReopens) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);
  b.next = absl::UnavailableError("still down");
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kUnavailable, "still down"));  // the probe
  EXPECT_EQ(b.calls, 5);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(Code::kUnavailable, HasSubstr("retry in 5.0 s")));
  co_await clock.advance(4999ms);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
  co_await clock.advance(1ms);
  b.next = Status();
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(b.calls, 6);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, ACancelledProbeFreesItsSlot) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await trip(svc, cx, b);
  co_await clock.advance(5s);
  b.nap = 1h;
  std::optional<Result<std::string>> probe;
  {
    TaskGroup g;
    start_call(g, svc, cx, std::string("probe"), &probe);
    co_await yield_now();
    g.cancel();
    co_await g.join();
  }
  EXPECT_THAT(probe, ::testing::Optional(StatusIs(Code::kCancelled)));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kHalfOpen);
  {
    TaskGroup g;  // destroyed with the probe still running
    start_call(g, svc, cx, std::string("probe"), &probe);
    co_await yield_now();
  }
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kHalfOpen);
  b.nap = {};
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));  // a new probe
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, WindowRollsAndOldFailuresAgeOut) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 3);
  co_await clock.advance(10s);  // a whole window later: all aged out
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  co_await clock.advance(9s);  // the last failure is still in the window
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 2);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);  // 3 < 4
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
}

FERRY_CO_TEST(CircuitBreakerTest, KeysAreIndependent) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context a = echo_cx("127.0.0.1:9000");
  Context other_peer = echo_cx("127.0.0.1:9001");
  Context other_method = echo_cx("127.0.0.1:9000");
  other_method.method = "Ping";
  co_await trip(svc, a, b);
  EXPECT_EQ(svc.state("Echo", a.peer), CircuitState::kOpen);
  EXPECT_EQ(svc.state("Echo", other_peer.peer), CircuitState::kClosed);
  EXPECT_EQ(svc.state("Ping", a.peer), CircuitState::kClosed);
  EXPECT_THAT(co_await svc.call(a, "x"), StatusIs(Code::kUnavailable));
  EXPECT_THAT(co_await svc.call(other_peer, "x"), IsOkAndHolds("x"));
  EXPECT_THAT(co_await svc.call(other_method, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(svc.key_count(), 3u);
  // Failures on one key leave the others' windows alone (1 ok + 2 failed
  // each: below min_requests, where a shared window would hold 4 + 4).
  co_await calls(svc, other_peer, b, absl::UnavailableError("down"), 2);
  co_await calls(svc, other_method, b, absl::UnavailableError("down"), 2);
  EXPECT_EQ(svc.state("Echo", other_peer.peer), CircuitState::kClosed);
  EXPECT_EQ(svc.state("Ping", a.peer), CircuitState::kClosed);
}

FERRY_CO_TEST(CircuitBreakerTest, KeyByMethodSharesOneBreakerAcrossPeers) {
  ManualClock clock;
  Backend b;
  CircuitBreakerPolicy p = small_policy();
  p.key_by = CircuitBreakerPolicy::KeyBy::kMethod;
  auto svc = CircuitBreakerLayer(p).layer(BackendService{&b});
  Context a = echo_cx("127.0.0.1:9000");
  Context c = echo_cx("127.0.0.1:9001");
  co_await calls(svc, a, b, absl::UnavailableError("down"), 2);
  co_await calls(svc, c, b, absl::UnavailableError("down"), 2);
  EXPECT_EQ(svc.key_count(), 1u);
  EXPECT_THAT(
      co_await svc.call(c, "x"),
      StatusIs(Code::kUnavailable, HasSubstr("circuit open for Echo;")));
}

FERRY_CO_TEST(CircuitBreakerTest, CancelledNeverCounts) {
  ManualClock clock;
  Backend b;
  auto svc = CircuitBreakerLayer(small_policy()).layer(BackendService{&b});
  Context cx = echo_cx();
  co_await calls(svc, cx, b, absl::CancelledError("gone"), 10);
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 3);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  // A call cancelled mid-flight does not count either.
  b.nap = 1h;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, std::string("probe"), &r);
  co_await yield_now();
  g.cancel();
  co_await g.join();
  EXPECT_THAT(r, ::testing::Optional(StatusIs(Code::kCancelled)));
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  b.nap = {};
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 1);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);
}

FERRY_CO_TEST(CircuitBreakerTest, FailureCodesAreConfigurable) {
  ManualClock clock;
  Backend b;
  CircuitBreakerPolicy p = small_policy();
  p.failure_codes = status_code_set(
      {Code::kResourceExhausted, Code::kCancelled});  // kCancelled: ignored
  auto svc = CircuitBreakerLayer(p).layer(BackendService{&b});
  Context cx = echo_cx();
  // Errors outside the set count as successes (the backend answered).
  co_await calls(svc, cx, b, absl::UnavailableError("down"), 4);
  co_await calls(svc, cx, b, absl::CancelledError("gone"), 4);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kClosed);
  co_await calls(svc, cx, b, absl::ResourceExhaustedError("busy"), 4);
  EXPECT_EQ(svc.state("Echo", cx.peer), CircuitState::kOpen);  // 4/8
}

FERRY_CO_TEST(CircuitBreakerTest, RecyclesIdleClosedKeysAtMaxKeys) {
  ManualClock clock;
  Backend b;
  CircuitBreakerPolicy p = small_policy();
  p.max_keys = 2;
  auto svc = CircuitBreakerLayer(p).layer(BackendService{&b});
  Context open = echo_cx("127.0.0.1:1");
  Context idle = echo_cx("127.0.0.1:2");
  Context fresh = echo_cx("127.0.0.1:3");
  co_await trip(svc, open, b);
  (void)co_await svc.call(idle, "x");
  EXPECT_THAT(co_await svc.call(fresh, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(svc.key_count(), 2u);
  // The open key was kept; the idle closed one made room.
  EXPECT_EQ(svc.state("Echo", open.peer), CircuitState::kOpen);
  EXPECT_THAT(co_await svc.call(open, "x"), StatusIs(Code::kUnavailable));
}

}  // namespace
}  // namespace ferry
