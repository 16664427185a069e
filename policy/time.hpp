#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

/// Microseconds in a minute: the unit of usage series and allowed hours.
inline constexpr std::int64_t us_per_minute = 60'000'000;
/// 10000-01-01T00:00:00Z in µs since the epoch: the first instant no
/// four-digit year can show; times Sluice accepts lie before it.
inline constexpr std::int64_t year_10000_us = 253'402'300'800'000'000;

/// The minute (since the Unix epoch) that holds `t_us`: floor division, so a
/// moment before the epoch lands in the minute before.
constexpr std::int64_t minute_of(std::int64_t t_us) noexcept {
  auto m = t_us / us_per_minute;
  return t_us % us_per_minute < 0 ? m - 1 : m;
}

/// Microseconds since the Unix epoch, from the system clock.
std::int64_t now_us() noexcept;

/// Microseconds on a monotonic clock (steady_clock, any origin): for rate
/// limits, which must measure elapsed time only. A step of the wall clock
/// (NTP, an operator) then neither grants nor withholds room.
std::int64_t monotonic_us() noexcept;

/// The coarsest grid periodic timers round their deadlines to (grid_deadline).
inline constexpr std::chrono::milliseconds max_timer_grid{100};

/// When a periodic timer of `period` set at `now` (both on one clock, counted
/// from its epoch) should fire: `now + period` rounded up to the next
/// multiple of a grid, a tenth of the period and at most max_timer_grid. A
/// period of zero or less is returned unrounded.
///
/// Why: every live token and system actor ticks once per usage flush
/// interval. With deadlines anywhere, ten thousand tokens that became active
/// at different moments have the timer thread wake for a thousand deadlines
/// a second, and hand each tick to a scheduler thread, each wake-up taking
/// a core from the I/O thread. On a shared grid the timer thread fires all
/// ticks due at one grid point together and the scheduler runs them in one
/// go. A tick comes at most a tenth of its period late.
std::chrono::nanoseconds grid_deadline(std::chrono::nanoseconds now,
                                       std::chrono::nanoseconds period) noexcept;

/// Parses an RFC 3339 date-time ("2024-05-01T12:00:00Z", fractional seconds
/// and a numeric offset allowed) to microseconds since the epoch, UTC;
/// nullopt also when, in UTC, it falls outside years 0000 to 9999.
std::optional<std::int64_t> parse_rfc3339_us(std::string_view s) noexcept;

/// Formats microseconds since the epoch as RFC 3339 UTC with microseconds,
/// e.g. "2024-05-01T12:00:00.123456Z".
std::string format_rfc3339_us(std::int64_t t_us);
void format_rfc3339_us(std::int64_t t_us, std::string& out);

/// Parses a query-string time: RFC 3339, or an integer of Unix milliseconds.
std::optional<std::int64_t> parse_time_param_us(std::string_view s) noexcept;

} // namespace sluice
