#include "bench/sluice_bench/histogram.hpp"

#include <algorithm>
#include <cmath>

namespace sluice::bench {

void latency_histogram::merge(const latency_histogram& other) noexcept {
  for (std::size_t i = 0; i < bucket_count; ++i)
    counts_[i] += other.counts_[i];
  total_ += other.total_;
  max_ = std::max(max_, other.max_);
  min_ = std::min(min_, other.min_);
}

std::uint64_t latency_histogram::middle_of(std::size_t i) noexcept {
  if (i < linear_limit)
    return i;
  std::size_t j = i - linear_limit;
  unsigned shift = static_cast<unsigned>(j >> sub_bits) + 1;
  std::uint64_t sub = j & ((1u << sub_bits) - 1);
  std::uint64_t lower = ((1u << sub_bits) + sub) << shift;
  return lower + (std::uint64_t{1} << shift) / 2;
}

std::uint64_t latency_histogram::percentile(double p) const noexcept {
  if (total_ == 0)
    return 0;
  // The rank of the sample at p (1-based), as HdrHistogram counts it.
  auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
  rank = std::clamp<std::uint64_t>(rank, 1, total_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(middle_of(i), max_);
  }
  return max_;
}

double latency_histogram::mean() const noexcept {
  if (total_ == 0)
    return 0;
  long double sum = 0;
  for (std::size_t i = 0; i < bucket_count; ++i)
    if (counts_[i])
      sum += static_cast<long double>(counts_[i])
             * static_cast<long double>(std::min(middle_of(i), max_));
  return static_cast<double>(sum / static_cast<long double>(total_));
}

} // namespace sluice::bench
