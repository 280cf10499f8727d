#include "middleware/metrics.h"

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <map>

namespace ferry {

void MetricsRegistry::MethodStats::merge(const MethodStats& o) noexcept {
  requests += o.requests;
  for (std::size_t i = 0; i < errors.size(); ++i) errors[i] += o.errors[i];
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
  latency_sum += o.latency_sum;
}

MetricsRegistry::MethodStats& MetricsRegistry::add(std::string_view method) {
  MethodStats& m = methods_.emplace_back();
  m.method = std::string(method);
  return m;
}

void MetricsRegistry::merge(const MetricsRegistry& other) {
  for (const MethodStats& o : other.methods_) entry(o.method).merge(o);
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

namespace {

// Seconds as the shortest decimal that round-trips.
double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

std::string render_prometheus(std::span<const MetricsRegistry* const> regs) {
  // Sum the registries per method, sorted by method for a stable output.
  std::map<std::string_view, MetricsRegistry::MethodStats> sum;
  for (const MetricsRegistry* r : regs) {
    for (const MetricsRegistry::MethodStats& m : r->methods()) {
      auto [it, inserted] = sum.try_emplace(m.method);
      it->second.merge(m);
    }
  }
  std::map<std::string_view, std::string> labels;  // escaped method names
  for (const auto& [method, m] : sum) {
    labels.emplace(method, escape_label_value(method));
  }

  fmt::memory_buffer out;
  auto it = std::back_inserter(out);

  fmt::format_to(it,
                 "# HELP ferry_requests_total Completed calls, by method.\n"
                 "# TYPE ferry_requests_total counter\n");
  for (const auto& [method, m] : sum) {
    fmt::format_to(it, "ferry_requests_total{{method=\"{}\"}} {}\n",
                   labels[method], m.requests);
  }

  fmt::format_to(
      it,
      "# HELP ferry_request_errors_total Failed calls, by method and "
      "status code.\n"
      "# TYPE ferry_request_errors_total counter\n");
  for (const auto& [method, m] : sum) {
    // By code name, for a stable and readable order.
    std::map<std::string, uint64_t> by_code;
    for (std::size_t c = 1; c < m.errors.size(); ++c) {
      if (m.errors[c] == 0) continue;
      by_code.emplace(
          absl::StatusCodeToString(static_cast<absl::StatusCode>(c)),
          m.errors[c]);
    }
    for (const auto& [code, n] : by_code) {
      fmt::format_to(
          it, "ferry_request_errors_total{{method=\"{}\",code=\"{}\"}} {}\n",
          labels[method], code, n);
    }
  }

  fmt::format_to(it,
                 "# HELP ferry_request_duration_seconds Call latency, by "
                 "method.\n"
                 "# TYPE ferry_request_duration_seconds histogram\n");
  for (const auto& [method, m] : sum) {
    const std::string& label = labels[method];
    uint64_t cumulative = 0;
    for (std::size_t b = 0; b < MetricsRegistry::kBucketLabels.size(); ++b) {
      cumulative += m.buckets[b];
      fmt::format_to(it,
                     "ferry_request_duration_seconds_bucket{{method=\"{}\","
                     "le=\"{}\"}} {}\n",
                     label, MetricsRegistry::kBucketLabels[b], cumulative);
    }
    cumulative += m.buckets.back();
    fmt::format_to(it,
                   "ferry_request_duration_seconds_bucket{{method=\"{}\","
                   "le=\"+Inf\"}} {}\n",
                   label, cumulative);
    fmt::format_to(it,
                   "ferry_request_duration_seconds_sum{{method=\"{}\"}} {}\n",
                   label, seconds(m.latency_sum));
    fmt::format_to(it,
                   "ferry_request_duration_seconds_count{{method=\"{}\"}} {}\n",
                   label, cumulative);
  }
  return fmt::to_string(out);
}

}  // namespace ferry
