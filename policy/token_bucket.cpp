#include "policy/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace sluice {

token_bucket::token_bucket(double capacity, double rate_per_s, std::int64_t now_us) noexcept
    : capacity_(capacity), rate_per_us_(rate_per_s / 1e6), level_(capacity), updated_us_(now_us) {}

void token_bucket::reconfigure(double capacity, double rate_per_s, std::int64_t now_us) noexcept {
  refill(now_us);
  capacity_ = capacity;
  rate_per_us_ = rate_per_s / 1e6;
  level_ = std::min(level_, capacity_);
}

void token_bucket::refill(std::int64_t now_us) noexcept {
  if (now_us <= updated_us_)
    return; // the clock went back, or no time passed: nothing flows in
  level_ = std::min(capacity_, level_ + static_cast<double>(now_us - updated_us_) * rate_per_us_);
  updated_us_ = now_us;
}

std::int64_t token_bucket::wait_us(double n) const noexcept {
  if (level_ >= n)
    return 0;
  if (rate_per_us_ <= 0)
    return -1;
  return static_cast<std::int64_t>(std::ceil((n - level_) / rate_per_us_));
}

std::int64_t token_bucket::full_in_us(double held) const noexcept {
  auto level = level_ - held;
  if (level >= capacity_ || rate_per_us_ <= 0)
    return 0;
  return static_cast<std::int64_t>(std::ceil((capacity_ - level) / rate_per_us_));
}

std::uint32_t retry_after_seconds(std::int64_t wait_us) noexcept {
  if (wait_us <= 1'000'000)
    return 1;
  auto s = (wait_us + 999'999) / 1'000'000;
  return s > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(s);
}

} // namespace sluice
