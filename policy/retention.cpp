#include "policy/retention.hpp"

#include <algorithm>
#include <limits>

namespace sluice::retention {

bool is_value(int days) noexcept { return class_index(days).has_value(); }

std::optional<std::size_t> class_index(int days) noexcept {
  auto i = std::find(values.begin(), values.end(), days);
  if (i == values.end())
    return std::nullopt;
  return static_cast<std::size_t>(i - values.begin());
}

std::string class_name(int days) {
  return days == never ? std::string{"rnever"} : "r" + std::to_string(days);
}

std::int64_t day_of(std::int64_t t_us) noexcept {
  // Floor division: times before the epoch belong to negative days.
  auto d = t_us / us_per_day;
  if (t_us % us_per_day < 0)
    --d;
  return d;
}

std::int64_t expires_at(std::int64_t received_us, int days) noexcept {
  if (days == never)
    return std::numeric_limits<std::int64_t>::max();
  return received_us + static_cast<std::int64_t>(days) * us_per_day;
}

bool bucket_older_than(std::int64_t day, std::int64_t window_us, std::int64_t now_us) noexcept {
  // The newest message a bucket can hold was received 1 µs before the next
  // day began; the bucket is old only once that one is older than the window.
  auto newest = (day + 1) * us_per_day - 1;
  return now_us > newest + window_us;
}

bool bucket_expired(std::int64_t day, int days, std::int64_t now_us) noexcept {
  if (days == never || days <= 0)
    return false;
  auto newest = (day + 1) * us_per_day - 1;
  // Every message is kept until its age exceeds its retention; the bucket may
  // go once even its newest message is past that.
  return now_us > expires_at(newest, days);
}

} // namespace sluice::retention
