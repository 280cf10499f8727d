#pragma once

// `Metrics<S>` / `MetricsLayer`: per-method request counters, error counts
// by status code and a latency histogram, kept in a `MetricsRegistry` and
// rendered in the Prometheus text exposition format.
//
//   MetricsRegistry registry;                  // one per worker
//   auto svc = ServiceBuilder()
//                  .layer(MetricsLayer(registry))  // outermost: sees it all
//                  .layer(TimeoutLayer(100ms))
//                  .service(Handler());
//   ...
//   std::string text = render_prometheus(registry);  // for GET /metrics
//
// Every call is timed with clock_now() from entering the layer to the inner
// Task completing; the latency goes into a fixed-bucket histogram (see
// `MetricsRegistry::kBucketBounds`) and the call is counted under
// `Context::method`, with non-OK results also counted by status code. The
// layer also fills `Context::stats.start` (if no outer layer has) and
// `Context::stats.end`.
//
// Exported series (method and code are labels; code is the absl name):
//   ferry_requests_total{method}             counter, completed calls
//   ferry_request_errors_total{method,code}  counter, non-OK completions
//   ferry_request_duration_seconds{method}   histogram (_bucket/_sum/_count)
//
// Cost per call: one coroutine frame (from the per-thread frame allocator),
// two clock reads, a linear search of the registry's methods by string_view
// and a few integer increments. No heap allocation once a method has been
// seen; the first call of a method copies its name into the registry.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "middleware/service.h"
#include "runtime/time.h"

namespace ferry {

// The counters of one worker's stacks. Plain integers, not atomics: a
// registry is written by the stacks of one worker thread only, with no
// synchronisation. Reading it (`render_prometheus`, `find`, copying) from
// another thread while that worker serves calls is a data race: read it on
// its own worker (e.g. copy it there - it is copyable - and render the
// copies anywhere). A multi-worker server keeps one registry per worker and
// renders them together: `render_prometheus(r0, r1, ...)` sums them.
//
// Must outlive every stack built with a MetricsLayer over it.
class MetricsRegistry {
 public:
  // Upper bounds (inclusive, Prometheus `le`) of the latency buckets:
  // Prometheus-style 1-2.5-5 steps from 50us to 10s, then +Inf.
  static constexpr std::array<Clock::duration, 17> kBucketBounds = {
      std::chrono::microseconds(50),   std::chrono::microseconds(100),
      std::chrono::microseconds(250),  std::chrono::microseconds(500),
      std::chrono::milliseconds(1),    std::chrono::microseconds(2500),
      std::chrono::milliseconds(5),    std::chrono::milliseconds(10),
      std::chrono::milliseconds(25),   std::chrono::milliseconds(50),
      std::chrono::milliseconds(100),  std::chrono::milliseconds(250),
      std::chrono::milliseconds(500),  std::chrono::seconds(1),
      std::chrono::milliseconds(2500), std::chrono::seconds(5),
      std::chrono::seconds(10)};
  // The same bounds as Prometheus `le` label values (seconds).
  static constexpr std::array<std::string_view, 17> kBucketLabels = {
      "0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025",
      "0.005",   "0.01",   "0.025",   "0.05",   "0.1",   "0.25",
      "0.5",     "1",      "2.5",     "5",      "10"};
  static constexpr std::size_t kBuckets = kBucketBounds.size() + 1;  // +Inf
  static constexpr std::size_t kCodes = 17;  // absl::StatusCode 0..16

  // Everything recorded for one method.
  struct MethodStats {
    std::string method;
    uint64_t requests = 0;                     // completed calls
    std::array<uint64_t, kCodes> errors{};     // by absl::StatusCode; [0] = 0
    std::array<uint64_t, kBuckets> buckets{};  // per bucket, not cumulative
    Clock::duration latency_sum{};             // of all completed calls

    // Adds `o`'s counts to these (same method assumed).
    void merge(const MethodStats& o) noexcept;
  };

  // Records one completed call of `method` that took `latency` and ended
  // with `code`.
  void record(std::string_view method, absl::StatusCode code,
              Clock::duration latency) {
    MethodStats& m = entry(method);
    ++m.requests;
    if (code != absl::StatusCode::kOk) ++m.errors[code_index(code)];
    ++m.buckets[bucket_index(latency)];
    m.latency_sum += latency;
  }

  // The stats of `method`, or null if no call of it has completed.
  const MethodStats* find(std::string_view method) const noexcept {
    for (const MethodStats& m : methods_) {
      if (m.method == method) return &m;
    }
    return nullptr;
  }
  // Every method seen, in order of first completion.
  const std::deque<MethodStats>& methods() const noexcept { return methods_; }

  // Adds every count of `other` into this registry.
  void merge(const MetricsRegistry& other);

  // The histogram bucket a latency falls in (kBuckets - 1 is +Inf).
  static std::size_t bucket_index(Clock::duration latency) noexcept {
    std::size_t i = 0;
    while (i < kBucketBounds.size() && latency > kBucketBounds[i]) ++i;
    return i;
  }
  static std::size_t code_index(absl::StatusCode code) noexcept {
    const auto i = static_cast<std::size_t>(code);
    return i < kCodes ? i
                      : static_cast<std::size_t>(absl::StatusCode::kUnknown);
  }

 private:
  MethodStats& entry(std::string_view method) {
    // A handful of methods per service: a linear search beats hashing the
    // name. A deque keeps references stable as methods are added.
    for (MethodStats& m : methods_) {
      if (m.method == method) return m;
    }
    return add(method);
  }
  [[gnu::noinline]] MethodStats& add(std::string_view method);

  std::deque<MethodStats> methods_;
};

// Renders the sum of `registries` in the Prometheus text exposition format
// (version 0.0.4): # HELP / # TYPE per family, series sorted by method then
// code, label values escaped (backslash, double quote, newline). Families
// with no series are still announced. Allocates; not for the hot path.
std::string render_prometheus(std::span<const MetricsRegistry* const> regs);

template <class... Registries>
requires(std::same_as<Registries, MetricsRegistry>&&...) std::string
    render_prometheus(const Registries&... registries) {
  const std::array<const MetricsRegistry*, sizeof...(Registries)> all = {
      &registries...};
  return render_prometheus(std::span<const MetricsRegistry* const>(all));
}

// Escapes a Prometheus label value: `\` -> `\\`, `"` -> `\"`, newline ->
// `\n`.
std::string escape_label_value(std::string_view v);

// Times and counts every call into a MetricsRegistry (see the file comment).
// Adds no behaviour: results pass through unchanged. Several calls may be
// in flight at once; each is recorded as it completes. A call whose Task is
// destroyed before it finishes is not recorded.
template <class S>
class Metrics {
 public:
  using Response = typename S::Response;

  Metrics(S inner, MetricsRegistry* registry)
      : inner_(std::move(inner)), registry_(registry) {}

  template <class Req>
  Task<Result<Response>> call(Context& cx, Req req) {
    const Clock::time_point start = clock_now();
    if (cx.stats.start == Clock::time_point{}) cx.stats.start = start;
    Result<Response> r = co_await inner_.call(cx, std::move(req));
    const Clock::time_point end = clock_now();
    cx.stats.end = end;
    registry_->record(cx.method, r.status().code(), end - start);
    co_return r;
  }

  S& inner() noexcept { return inner_; }

 private:
  S inner_;
  MetricsRegistry* registry_;
};

// Builds `Metrics<S>` stacks recording into one registry. For a multi-worker
// server, make one layer (and registry) per worker.
class MetricsLayer {
 public:
  explicit MetricsLayer(MetricsRegistry& registry) : registry_(&registry) {}

  template <class S>
  Metrics<S> layer(S inner) const {
    return Metrics<S>(std::move(inner), registry_);
  }

 private:
  MetricsRegistry* registry_;
};

}  // namespace ferry
