#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// When a token may be used (docs/access-control.md): UTC hours, which may
/// wrap midnight ("22:00-06:00"), and weekdays. A window that wraps belongs to
/// the day it starts on: "22:00-06:00" on "mon" allows Monday 22:00 until
/// Tuesday 06:00. An empty restriction allows every moment.
class time_restriction {
public:
  time_restriction() = default;

  /// Parses hours "HH:MM-HH:MM" (00:00-24:00 allowed; start == end is
  /// refused: say nothing instead) and days (each one of mon, tue, wed, thu,
  /// fri, sat, sun; no repeats; empty = every day). Either may be absent.
  /// On error returns nullopt and sets `error` to a sentence naming the bad
  /// part.
  static std::optional<time_restriction> parse(std::optional<std::string_view> hours,
                                               const std::vector<std::string>& days,
                                               std::string& error);

  bool empty() const noexcept { return !has_hours_ && days_ == 0; }
  /// Whether `now_us` (µs since the Unix epoch) is inside the window.
  bool allows(std::int64_t now_us) const noexcept;

  /// "09:00-18:00", or empty when every hour is allowed.
  std::string hours() const;
  /// The allowed days in week order (mon … sun), or empty for every day.
  std::vector<std::string> days() const;

  friend bool operator==(const time_restriction&, const time_restriction&) = default;

private:
  bool has_hours_ = false;
  std::uint16_t start_minute_ = 0; ///< 0..1439
  std::uint16_t end_minute_ = 0;   ///< 1..1440; < start_minute_ when it wraps
  std::uint8_t days_ = 0;          ///< bit 0 = mon … bit 6 = sun; 0 = every day
};

} // namespace sluice
