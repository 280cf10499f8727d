#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/box_service.h"
#include "middleware/builder.h"
#include "middleware/service.h"
#include "middleware/service_fn.h"
#include "middleware/timeout.h"
#include "runtime/task_group.h"
#include "tests/support/co_test.h"
#include "tests/support/middleware_script.h"

namespace ferry {
namespace {

using testing::start_call;

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::IsOkAndHolds;
using testing::StatusIs;

struct Echo {
  using Response = std::string;
  Task<Result<std::string>> call(Context&, std::string req) { co_return req; }
};

struct NotAService {
  int call(Context&, std::string) { return 0; }
};

// Records its name on the way in, then forwards (no coroutine frame).
template <class S>
struct Recording {
  using Response = typename S::Response;
  S inner;
  std::vector<std::string>* log;
  std::string name;
  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    log->push_back(name);
    return inner.call(cx, std::move(req));
  }
};

struct RecordingLayer {
  std::vector<std::string>* log;
  std::string name;
  template <class S>
  Recording<S> layer(S inner) const {
    return {std::move(inner), log, name};
  }
};

static_assert(Service<Echo, std::string>);
static_assert(!Service<NotAService, std::string>);
static_assert(!Service<Echo, std::vector<int>>);
static_assert(Layer<RecordingLayer, Echo>);
static_assert(Layer<TimeoutLayer, Echo>);
static_assert(!Layer<Echo, Echo>);

TEST(ServiceBuilderTest, FirstLayerIsOutermost) {
  std::vector<std::string> log;
  auto svc = ServiceBuilder()
                 .layer(RecordingLayer{&log, "outer"})
                 .layer(RecordingLayer{&log, "inner"})
                 .service(Echo{});
  static_assert(std::is_same_v<decltype(svc), Recording<Recording<Echo>>>,
                "the first .layer() wraps everything added after it");
  static_assert(Service<decltype(svc), std::string>);
  Context cx;
  auto r = block_on(svc.call(cx, "hi"));
  EXPECT_THAT(r, IsOkAndHolds("hi"));
  EXPECT_EQ(log, (std::vector<std::string>{"outer", "inner"}));
}

TEST(ServiceBuilderTest, IdentityAndStackCompose) {
  std::vector<std::string> log;
  Stack<RecordingLayer, RecordingLayer> both{RecordingLayer{&log, "a"},
                                             RecordingLayer{&log, "b"}};
  auto svc = ServiceBuilder().layer(Identity{}).layer(both).service(Echo{});
  static_assert(std::is_same_v<decltype(svc), Recording<Recording<Echo>>>);
  Context cx;
  EXPECT_THAT(block_on(svc.call(cx, "x")), IsOkAndHolds("x"));
  EXPECT_EQ(log, (std::vector<std::string>{"a", "b"}));
}

TEST(ServiceFnTest, WrapsALambdaCoroutine) {
  auto svc = service_fn([](Context& cx, int x) -> Task<Result<int>> {
    co_return x * 2 + static_cast<int>(cx.method.size());
  });
  static_assert(Service<decltype(svc), int>);
  static_assert(std::is_same_v<decltype(svc)::Response, int>);
  Context cx;
  cx.method = "abc";
  EXPECT_THAT(block_on(svc.call(cx, 20)), IsOkAndHolds(43));
}

TEST(BoxServiceTest, ErasesAnyStackOfTheSameShape) {
  std::vector<std::string> log;
  std::vector<BoxService<std::string, std::string>> services;
  services.emplace_back(Echo{});
  services.emplace_back(
      ServiceBuilder().layer(RecordingLayer{&log, "boxed"}).service(Echo{}));
  Context cx;
  for (auto& s : services) {
    EXPECT_THAT(block_on(s.call(cx, "v")), IsOkAndHolds("v"));
  }
  EXPECT_EQ(log, (std::vector<std::string>{"boxed"}));
}

TEST(BoxServiceTest, CloneServiceCopiesTheService) {
  struct Counter {
    using Response [[maybe_unused]] = int;
    int n = 0;
    Task<Result<int>> call(Context&, int) {
      ++n;
      return [](int v) -> Task<Result<int>> { co_return v; }(n);
    }
  };
  BoxCloneService<int, int> a{Counter{}};
  Context cx;
  EXPECT_THAT(block_on(a.call(cx, 0)), IsOkAndHolds(1));
  BoxCloneService<int, int> b = a;  // clones the state (n == 1)
  EXPECT_THAT(block_on(b.call(cx, 0)), IsOkAndHolds(2));
  EXPECT_THAT(block_on(a.call(cx, 0)), IsOkAndHolds(2));
}

// An inner service that sleeps for `cx`-independent time and records
// whether it saw cancellation.
struct Sleeper {
  using Response = std::string;
  Clock::duration nap;
  bool* cancelled;
  Context** seen = nullptr;
  Task<Result<std::string>> call(Context& cx, std::string req) {
    if (seen != nullptr) *seen = &cx;
    Status s = co_await sleep_for(nap);
    if (absl::IsCancelled(s)) *cancelled = true;
    FERRY_CO_RETURN_IF_ERROR(s);
    co_return req;
  }
};

FERRY_CO_TEST(TimeoutTest, CancelsAndAwaitsTheInnerCallAtTheDeadline) {
  ManualClock clock;
  bool cancelled = false;
  auto svc = ServiceBuilder()
                 .layer(TimeoutLayer(100ms))
                 .service(Sleeper{std::chrono::hours(1), &cancelled});
  Context cx;
  cx.method = "Echo";
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(99ms);
  EXPECT_FALSE(r.has_value());
  co_await clock.advance(1ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kDeadlineExceeded,
                           HasSubstr("Echo: deadline exceeded")));
  EXPECT_TRUE(cancelled);  // the inner call finished before we returned
  co_await g.join();
}

FERRY_CO_TEST(TimeoutTest, PassesResultsThroughInTime) {
  bool cancelled = false;
  auto svc = ServiceBuilder()
                 .layer(TimeoutLayer(10s))
                 .service(Sleeper{std::chrono::milliseconds(1), &cancelled});
  Context cx;
  EXPECT_THAT(co_await svc.call(cx, "ok"), IsOkAndHolds("ok"));
  EXPECT_FALSE(cancelled);
  EXPECT_TRUE(cx.deadline.has_value());  // narrowed and visible to others
}

FERRY_CO_TEST(TimeoutTest, TheTighterOfContextDeadlineAndPerCallWins) {
  ManualClock clock;
  bool cancelled = false;
  auto svc = ServiceBuilder()
                 .layer(TimeoutLayer(1h))
                 .service(Sleeper{std::chrono::hours(1), &cancelled});
  Context cx;
  cx.deadline = clock.now() + 10ms;  // propagated from the caller
  const auto propagated = *cx.deadline;
  std::optional<Result<std::string>> r;
  TaskGroup g;
  start_call(g, svc, cx, "x", &r);
  co_await yield_now();
  co_await clock.advance(10ms);
  FERRY_CO_ASSERT_TRUE(r.has_value());
  EXPECT_THAT(*r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(*cx.deadline, propagated);  // the 1 h timeout did not widen it
  EXPECT_TRUE(cancelled);
  co_await g.join();
}

FERRY_CO_TEST(TimeoutTest, AnExpiredDeadlineFailsWithoutCallingInner) {
  bool cancelled = false;
  Context* seen = nullptr;
  auto svc = ServiceBuilder()
                 .layer(TimeoutLayer())
                 .service(Sleeper{std::chrono::hours(1), &cancelled, &seen});
  Context cx;
  cx.deadline = clock_now() - 1ms;
  EXPECT_THAT(co_await svc.call(cx, "x"),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(seen, nullptr);
}

FERRY_CO_TEST(TimeoutTest, WithoutAnyDeadlineCallsStraightThrough) {
  bool cancelled = false;
  Context* seen = nullptr;
  auto svc =
      ServiceBuilder()
          .layer(TimeoutLayer())
          .service(Sleeper{std::chrono::milliseconds(0), &cancelled, &seen});
  Context cx;
  EXPECT_THAT(co_await svc.call(cx, "x"), IsOkAndHolds("x"));
  EXPECT_EQ(seen, &cx);
  EXPECT_FALSE(cx.deadline.has_value());
}

TEST(ContextTest, MetadataAndExtensions) {
  Context cx;
  cx.request_metadata.add("k", "1");
  cx.request_metadata.add("k", "2");
  EXPECT_EQ(cx.request_metadata.get("k"), "1");
  cx.request_metadata.set("k", "3");
  EXPECT_EQ(cx.request_metadata.entries().size(), 1u);
  EXPECT_EQ(cx.request_metadata.get("k"), "3");
  EXPECT_FALSE(cx.request_metadata.get("missing").has_value());

  struct UserId {
    int id = 0;
  };
  EXPECT_EQ(cx.find_extension<UserId>(), nullptr);
  cx.extension<UserId>().id = 7;
  ASSERT_NE(cx.find_extension<UserId>(), nullptr);
  EXPECT_EQ(cx.find_extension<UserId>()->id, 7);
}

TEST(ContextTest, ResetForNextCallLeavesOnlyThePeer) {
  struct UserId {
    int id = 0;
  };
  const SocketAddress peer = SocketAddress::loopback_v4(4242);
  Context cx;
  cx.method = "m";
  cx.caller = "a";
  cx.callee = "b";
  cx.peer = peer;
  cx.deadline = internal::Clock::now();
  cx.idempotent = true;
  cx.request_metadata.add("k", "1");
  cx.response_metadata.add("k", "2");
  cx.response_trailers.add("k", "3");
  cx.stats.start = internal::Clock::now();
  cx.stats.attempts = 2;
  cx.extension<UserId>().id = 7;

  cx.reset_for_next_call();
  const Context fresh;
  EXPECT_EQ(cx.method, fresh.method);
  EXPECT_EQ(cx.caller, fresh.caller);
  EXPECT_EQ(cx.callee, fresh.callee);
  EXPECT_EQ(cx.peer.to_string(), peer.to_string());
  EXPECT_FALSE(cx.deadline.has_value());
  EXPECT_FALSE(cx.idempotent);
  EXPECT_TRUE(cx.request_metadata.empty());
  EXPECT_TRUE(cx.response_metadata.empty());
  EXPECT_TRUE(cx.response_trailers.empty());
  EXPECT_EQ(cx.stats.start, fresh.stats.start);
  EXPECT_EQ(cx.stats.attempts, 0);
  EXPECT_EQ(cx.find_extension<UserId>(), nullptr);
}

}  // namespace
}  // namespace ferry
