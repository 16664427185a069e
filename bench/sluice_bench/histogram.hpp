#pragma once

#include <array>
#include <cstdint>

namespace sluice::bench {

/// Latency histogram in the style of HdrHistogram: a fixed array of
/// log-linear buckets, so recording is an index computation and an increment
/// (no allocation, no sort) and merging is a sum. Values are nanoseconds.
///
/// Invariant: values below 256 ns have a bucket each; above, every power of
/// two is split into 128 equal buckets, so a bucket is at most 1/128 (0.8 %)
/// of the values it holds wide. Values from 2^40 ns (~18 min) up share the
/// last bucket; max() stays exact.
class latency_histogram {
public:
  /// Counts one value.
  void record(std::uint64_t ns) noexcept {
    ++counts_[index_of(ns)];
    ++total_;
    if (ns > max_)
      max_ = ns;
    if (ns < min_)
      min_ = ns;
  }

  /// Adds every count of `other`.
  void merge(const latency_histogram& other) noexcept;

  /// The value at percentile `p` (0..100]: the middle of the bucket holding
  /// the sample of that rank, never above max(). 0 when empty.
  std::uint64_t percentile(double p) const noexcept;

  std::uint64_t count() const noexcept { return total_; }
  std::uint64_t max() const noexcept { return max_; }
  std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
  /// Mean of the bucket middles.
  double mean() const noexcept;

private:
  static constexpr unsigned sub_bits = 7;
  static constexpr std::uint64_t linear_limit = 1u << (sub_bits + 1); // 256
  static constexpr unsigned max_shift = 32;
  static constexpr std::size_t bucket_count = linear_limit + max_shift * (1u << sub_bits);

  static std::size_t index_of(std::uint64_t v) noexcept {
    if (v < linear_limit)
      return static_cast<std::size_t>(v);
    unsigned msb = 63u - static_cast<unsigned>(__builtin_clzll(v));
    unsigned shift = msb - sub_bits; // >= 1
    if (shift > max_shift)
      return bucket_count - 1;
    std::uint64_t sub = (v >> shift) - (1u << sub_bits); // 0..127
    return linear_limit + (shift - 1) * (1u << sub_bits) + static_cast<std::size_t>(sub);
  }
  /// The middle of bucket `i`.
  static std::uint64_t middle_of(std::size_t i) noexcept;

  std::array<std::uint64_t, bucket_count> counts_{};
  std::uint64_t total_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = UINT64_MAX;
};

} // namespace sluice::bench
