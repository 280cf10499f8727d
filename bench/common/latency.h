#pragma once

// The latency histogram of the load generators (bench/common/loadgen.h):
// cheap to record into on the hot path, merged across workers at the end,
// read as the percentiles the tools print.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace ferry::bench_common {

// Log-linear buckets over nanoseconds (HdrHistogram's layout): values below
// 128 are exact, and every power of two above is split into 64 equal
// buckets, so any value is known within 1/64 (1.6%) in 30 KiB of counters,
// however long the run. Recording is a bit scan and an increment.
class Histogram {
 public:
  void record(uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++total_;
  }
  void merge(const Histogram& other) noexcept {
    for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
  }
  uint64_t total() const noexcept { return total_; }

  // The value at quantile q (0 < q <= 1): the middle of the bucket holding
  // the ceil(q * total)-th smallest sample.
  double quantile_ns(double q) const noexcept {
    if (total_ == 0) return 0;
    const auto rank = std::max<uint64_t>(
        1, static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999));
    uint64_t seen = 0;
    for (std::size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return middle_of(i);
    }
    return middle_of(kBuckets - 1);
  }

 private:
  static constexpr int kSubBits = 6;  // 64 buckets per power of two
  static constexpr std::size_t kHalf = std::size_t{1} << kSubBits;
  // Values of bit width 8..64 take 64 buckets each, after 128 exact ones.
  static constexpr std::size_t kBuckets = (64 - kSubBits + 1) * kHalf;

  static std::size_t index_of(uint64_t v) noexcept {
    if (v < 2 * kHalf) return static_cast<std::size_t>(v);
    const int shift = static_cast<int>(std::bit_width(v)) - 1 - kSubBits;
    return static_cast<std::size_t>(shift) * kHalf +
           static_cast<std::size_t>(v >> shift);
  }
  static double middle_of(std::size_t i) noexcept {
    if (i < 2 * kHalf) return static_cast<double>(i);
    const std::size_t shift = i / kHalf - 1;
    const uint64_t low = uint64_t{i % kHalf + kHalf} << shift;
    return static_cast<double>(low) +
           static_cast<double>((uint64_t{1} << shift) - 1) / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
};

// The percentiles the tools report, in microseconds.
struct Percentiles {
  double p50_us = 0;
  double p99_us = 0;
  double p999_us = 0;
};

inline Percentiles percentiles_us(const Histogram& h) noexcept {
  return {h.quantile_ns(0.5) * 1e-3, h.quantile_ns(0.99) * 1e-3,
          h.quantile_ns(0.999) * 1e-3};
}

}  // namespace ferry::bench_common
