#pragma once

#include <cstdint>

namespace sluice {

/// A token bucket: holds up to `capacity` units and refills `rate` units per
/// second, continuously. Time is passed in (µs), so tests set the clock.
/// Not thread-safe: each bucket belongs to one actor.
class token_bucket {
public:
  token_bucket() = default;
  /// A full bucket.
  token_bucket(double capacity, double rate_per_s, std::int64_t now_us) noexcept;

  /// Changes capacity and rate, keeping the level (clamped to the new capacity).
  void reconfigure(double capacity, double rate_per_s, std::int64_t now_us) noexcept;

  /// Adds what flowed in since the last refill.
  void refill(std::int64_t now_us) noexcept;

  double level() const noexcept { return level_; }
  double capacity() const noexcept { return capacity_; }
  double rate_per_s() const noexcept { return rate_per_us_ * 1e6; }

  /// Whether `n` units are there (call refill first).
  bool holds(double n) const noexcept { return level_ >= n; }
  void take(double n) noexcept { level_ -= n; }

  /// µs until `n` units have flowed in: 0 when they are there; -1 when no
  /// refill. The caller checks `n` against the capacity: beyond it, the units
  /// flow in but cannot all be held.
  std::int64_t wait_us(double n) const noexcept;

  /// µs until the bucket is full again once `held` more units (reserved for
  /// requests not yet settled) have been taken.
  std::int64_t full_in_us(double held = 0) const noexcept;

private:
  double capacity_ = 0;
  double rate_per_us_ = 0;
  double level_ = 0;
  std::int64_t updated_us_ = 0;
};

/// Whole seconds a client should wait for `wait_us` µs: rounded up, at least 1.
std::uint32_t retry_after_seconds(std::int64_t wait_us) noexcept;

} // namespace sluice
