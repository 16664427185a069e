#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

/// A token's own rate limit, counted in requests: `count` per `window_s`
/// seconds, written "N/second", "N/minute", "N/hour" or "N/day".
struct rate_limit {
  std::uint64_t count = 0;
  std::uint64_t window_s = 1;

  /// "1000/hour".
  std::string to_string() const;

  friend bool operator==(const rate_limit&, const rate_limit&) = default;
};

/// Parses "N/second|minute|hour|day" with 1 <= N <= 10^9; nullopt otherwise.
std::optional<rate_limit> parse_rate_limit(std::string_view text) noexcept;

} // namespace sluice
