#include "middleware/metrics.h"

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include "middleware/access_log.h"
#include "middleware/builder.h"
#include "middleware/timeout.h"
#include "runtime/task_group.h"
#include "tests/support/co_test.h"

namespace ferry {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using testing::IsOkAndHolds;
using testing::StatusIs;

// Takes `took` (a sleep on the worker's clock) and then returns `status`,
// or the request on OK. Remembers the Context it saw.
struct Scripted {
  using Response = std::string;
  Clock::duration took{};
  Status status;
  Context* seen = nullptr;
  Task<Result<std::string>> call(Context& cx, std::string req) {
    seen = &cx;
    if (took > Clock::duration::zero()) {
      FERRY_CO_RETURN_IF_ERROR(co_await sleep_for(took));
    }
    if (!status.ok()) co_return status;
    co_return req;
  }
};

static_assert(Service<Metrics<Scripted>, std::string>);
static_assert(Layer<MetricsLayer, Scripted>);

// Runs one call that takes `took` of manual time: starts it, lets it reach
// its sleep, advances the clock by exactly `took`, and returns its result.
template <class S>
Task<Result<std::string>> timed_call(ManualClock& clock, S& svc, Context& cx,
                                     Clock::duration took) {
  std::optional<Result<std::string>> out;
  TaskGroup g;
  g.spawn([](S* s, Context* c,
             std::optional<Result<std::string>>* o) -> Task<void> {
    o->emplace(co_await s->call(*c, "req"));
  }(&svc, &cx, &out));
  co_await yield_now();
  co_await clock.advance(took);
  co_await g.join();
  co_return std::move(*out);
}

FERRY_CO_TEST(MetricsTest, CountsCallsErrorsAndLatency) {
  ManualClock clock;
  MetricsRegistry registry;
  auto svc = ServiceBuilder().layer(MetricsLayer(registry)).service(Scripted{});

  Context cx;
  cx.method = "Echo";
  svc.inner().took = 3ms;
  const auto before = clock.now();
  EXPECT_THAT(co_await timed_call(clock, svc, cx, 3ms), IsOkAndHolds("req"));
  EXPECT_EQ(cx.stats.start, before);
  EXPECT_EQ(cx.stats.end, before + 3ms);
  EXPECT_EQ(svc.inner().seen, &cx);

  svc.inner().took = 20ms;
  svc.inner().status = absl::UnavailableError("down");
  for (int i = 0; i < 2; ++i) {
    Context c;
    c.method = "Echo";
    EXPECT_THAT(co_await timed_call(clock, svc, c, 20ms),
                StatusIs(absl::StatusCode::kUnavailable, HasSubstr("down")));
  }
  svc.inner().took = 0ms;
  svc.inner().status = absl::InvalidArgumentError("bad");
  Context other;
  other.method = "Other";
  EXPECT_THAT(co_await timed_call(clock, svc, other, 0ms),
              StatusIs(absl::StatusCode::kInvalidArgument));

  const MetricsRegistry::MethodStats* echo = registry.find("Echo");
  FERRY_CO_ASSERT_TRUE(echo != nullptr);
  EXPECT_EQ(echo->requests, 3u);
  EXPECT_EQ(echo->errors[static_cast<int>(absl::StatusCode::kUnavailable)], 2u);
  EXPECT_EQ(echo->errors[0], 0u);
  EXPECT_EQ(echo->latency_sum, 43ms);
  // 3ms lands in le=0.005 (index 6); 20ms in le=0.025 (index 8).
  EXPECT_EQ(echo->buckets[6], 1u);
  EXPECT_EQ(echo->buckets[8], 2u);

  const MetricsRegistry::MethodStats* o = registry.find("Other");
  FERRY_CO_ASSERT_TRUE(o != nullptr);
  EXPECT_EQ(o->requests, 1u);
  EXPECT_EQ(o->errors[static_cast<int>(absl::StatusCode::kInvalidArgument)],
            1u);
  EXPECT_EQ(o->buckets[0], 1u);  // 0s <= 50us
  EXPECT_EQ(registry.find("Missing"), nullptr);
  EXPECT_EQ(registry.methods().size(), 2u);
}

TEST(MetricsTest, BucketBoundsAreInclusive) {
  using R = MetricsRegistry;
  EXPECT_EQ(R::bucket_index(0ns), 0u);
  EXPECT_EQ(R::bucket_index(50us), 0u);  // le="0.00005" includes 50us
  EXPECT_EQ(R::bucket_index(50us + 1ns), 1u);
  EXPECT_EQ(R::bucket_index(1ms), 4u);
  EXPECT_EQ(R::bucket_index(1ms + 1ns), 5u);
  EXPECT_EQ(R::bucket_index(10s), 16u);
  EXPECT_EQ(R::bucket_index(10s + 1ns), 17u);  // +Inf
  EXPECT_EQ(R::bucket_index(1h), R::kBuckets - 1);
  static_assert(R::kBucketBounds.size() == R::kBucketLabels.size());
  for (std::size_t i = 1; i < R::kBucketBounds.size(); ++i) {
    EXPECT_LT(R::kBucketBounds[i - 1], R::kBucketBounds[i]);
  }
}

FERRY_CO_TEST(MetricsTest, ConcurrentCallsAreEachTimed) {
  ManualClock clock;
  MetricsRegistry registry;
  auto svc = MetricsLayer(registry).layer(Scripted{.took = 2s});
  Context a, b;
  a.method = b.method = "Slow";
  std::optional<Result<std::string>> ra, rb;
  TaskGroup g;
  auto start = [&](Context* cx, std::optional<Result<std::string>>* out) {
    g.spawn([](decltype(svc)* s, Context* c,
               std::optional<Result<std::string>>* o) -> Task<void> {
      o->emplace(co_await s->call(*c, "x"));
    }(&svc, cx, out));
  };
  start(&a, &ra);
  co_await yield_now();        // a starts (and sleeps until +2s)
  co_await clock.advance(1s);  // b starts a second after a
  start(&b, &rb);
  co_await yield_now();
  co_await clock.advance(1s);
  EXPECT_TRUE(ra.has_value());
  EXPECT_FALSE(rb.has_value());
  co_await clock.advance(1s);
  co_await g.join();
  EXPECT_THAT(*rb, IsOkAndHolds("x"));
  const auto* m = registry.find("Slow");
  FERRY_CO_ASSERT_TRUE(m != nullptr);
  EXPECT_EQ(m->requests, 2u);
  EXPECT_EQ(m->latency_sum, 4s);
  EXPECT_EQ(m->buckets[MetricsRegistry::bucket_index(2s)], 2u);
}

// The exact exposition text for a small registry.
FERRY_CO_TEST(MetricsTest, RendersPrometheusText) {
  ManualClock clock;
  MetricsRegistry registry;
  auto svc = MetricsLayer(registry).layer(Scripted{});
  Context cx;
  cx.method = "Echo";
  svc.inner().took = 1ms;
  (void)co_await timed_call(clock, svc, cx, 1ms);
  svc.inner().took = 500us;
  svc.inner().status = absl::UnavailableError("x");
  (void)co_await timed_call(clock, svc, cx, 500us);

  EXPECT_EQ(render_prometheus(registry),
            R"(# HELP ferry_requests_total Completed calls, by method.
# TYPE ferry_requests_total counter
ferry_requests_total{method="Echo"} 2
# HELP ferry_request_errors_total Failed calls, by method and status code.
# TYPE ferry_request_errors_total counter
ferry_request_errors_total{method="Echo",code="UNAVAILABLE"} 1
# HELP ferry_request_duration_seconds Call latency, by method.
# TYPE ferry_request_duration_seconds histogram
ferry_request_duration_seconds_bucket{method="Echo",le="0.00005"} 0
ferry_request_duration_seconds_bucket{method="Echo",le="0.0001"} 0
ferry_request_duration_seconds_bucket{method="Echo",le="0.00025"} 0
ferry_request_duration_seconds_bucket{method="Echo",le="0.0005"} 1
ferry_request_duration_seconds_bucket{method="Echo",le="0.001"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.0025"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.005"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.01"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.025"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.05"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.1"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.25"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="0.5"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="1"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="2.5"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="5"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="10"} 2
ferry_request_duration_seconds_bucket{method="Echo",le="+Inf"} 2
ferry_request_duration_seconds_sum{method="Echo"} 0.0015
ferry_request_duration_seconds_count{method="Echo"} 2
)");
}

TEST(MetricsTest, RendersAnEmptyRegistryAsFamiliesOnly) {
  MetricsRegistry registry;
  EXPECT_EQ(render_prometheus(registry),
            "# HELP ferry_requests_total Completed calls, by method.\n"
            "# TYPE ferry_requests_total counter\n"
            "# HELP ferry_request_errors_total Failed calls, by method and "
            "status code.\n"
            "# TYPE ferry_request_errors_total counter\n"
            "# HELP ferry_request_duration_seconds Call latency, by "
            "method.\n"
            "# TYPE ferry_request_duration_seconds histogram\n");
}

TEST(MetricsTest, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");

  MetricsRegistry registry;
  registry.record("we\"ird\\name\n", absl::StatusCode::kInternal, 1ms);
  const std::string text = render_prometheus(registry);
  EXPECT_THAT(text, HasSubstr("ferry_requests_total{method=\"we\\\"ird\\\\"
                              "name\\n\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ferry_request_errors_total{method=\"we\\\"ird"
                              "\\\\name\\n\",code=\"INTERNAL\"} 1\n"));
  // No raw newline inside any sample line: every line is a comment or
  // starts with a metric name.
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::string_view line(text.data() + pos, nl - pos);
    EXPECT_TRUE(line.starts_with("# ") || line.starts_with("ferry_")) << line;
    pos = nl + 1;
  }
}

TEST(MetricsTest, MergesAndRendersSeveralRegistries) {
  MetricsRegistry w0, w1;
  w0.record("B", absl::StatusCode::kOk, 1ms);
  w0.record("A", absl::StatusCode::kUnavailable, 2ms);
  w1.record("A", absl::StatusCode::kUnavailable, 3ms);
  w1.record("A", absl::StatusCode::kDeadlineExceeded, 20s);

  const std::string text = render_prometheus(w0, w1);
  EXPECT_THAT(text, HasSubstr("ferry_requests_total{method=\"A\"} 3\n"
                              "ferry_requests_total{method=\"B\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("ferry_request_errors_total{method=\"A\",code="
                              "\"DEADLINE_EXCEEDED\"} 1\n"
                              "ferry_request_errors_total{method=\"A\",code="
                              "\"UNAVAILABLE\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("ferry_request_duration_seconds_bucket{method="
                              "\"A\",le=\"10\"} 2\n"
                              "ferry_request_duration_seconds_bucket{method="
                              "\"A\",le=\"+Inf\"} 3\n"
                              "ferry_request_duration_seconds_sum{method="
                              "\"A\"} 20.005\n"
                              "ferry_request_duration_seconds_count{method="
                              "\"A\"} 3\n"));

  MetricsRegistry merged = w0;  // copyable: snapshot on the owning worker
  merged.merge(w1);
  EXPECT_EQ(render_prometheus(merged), text);
  EXPECT_EQ(merged.find("A")->requests, 3u);
  EXPECT_EQ(w0.find("A")->requests, 1u);
}

TEST(MetricsTest, OutOfRangeCodesCountAsUnknown) {
  MetricsRegistry registry;
  registry.record("M", static_cast<absl::StatusCode>(99), 1ms);
  EXPECT_EQ(
      registry.find("M")->errors[static_cast<int>(absl::StatusCode::kUnknown)],
      1u);
}

// Metrics outermost, then Timeout, then the access log: the timeout's
// deadline error is what Metrics and the log record.
FERRY_CO_TEST(MetricsTest, ComposesWithTimeoutAndAccessLog) {
  ManualClock clock;
  MetricsRegistry registry;
  std::vector<std::string> lines;
  auto collect = [&lines](std::string_view l) { lines.emplace_back(l); };
  AccessLogOptions opts;
  opts.sink = AccessLogSink::to(collect);
  auto svc = ServiceBuilder()
                 .layer(MetricsLayer(registry))
                 .layer(AccessLogLayer(opts))
                 .layer(TimeoutLayer(100ms))
                 .service(Scripted{.took = 1h});
  static_assert(
      std::is_same_v<decltype(svc), Metrics<AccessLog<Timeout<Scripted>>>>);
  static_assert(Service<decltype(svc), std::string>);

  Context cx;
  cx.method = "Echo";
  auto r = co_await timed_call(clock, svc, cx, 100ms);
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kDeadlineExceeded));
  const auto* m = registry.find("Echo");
  FERRY_CO_ASSERT_TRUE(m != nullptr);
  EXPECT_EQ(m->errors[static_cast<int>(absl::StatusCode::kDeadlineExceeded)],
            1u);
  EXPECT_EQ(m->latency_sum, 100ms);
  FERRY_CO_ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            "method=Echo peer=- code=DEADLINE_EXCEEDED latency_us=100000 "
            "attempts=0 error=\"Echo: deadline exceeded\"");

  svc.inner().inner().inner().took = 5ms;
  Context next;  // one Context per call (the last one's deadline has passed)
  next.method = "Echo";
  EXPECT_THAT(co_await timed_call(clock, svc, next, 5ms), IsOkAndHolds("req"));
  EXPECT_EQ(m->requests, 2u);
  EXPECT_EQ(lines.size(), 2u);
}

}  // namespace
}  // namespace ferry
