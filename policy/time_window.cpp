#include "policy/time_window.hpp"

#include <array>

#include "policy/time.hpp"

namespace sluice {

namespace {

constexpr unsigned minutes_per_day = 24 * 60;

// Bit i of days_ is day_names[i]; week order, Monday first.
constexpr std::array<std::string_view, 7> day_names = {
  "mon", "tue", "wed", "thu", "fri", "sat", "sun",
};
static_assert(day_names.front() == "mon" && day_names.back() == "sun");

// 1970-01-01, day 0 of the epoch, was a Thursday.
constexpr std::int64_t epoch_weekday = 3;
static_assert(day_names[epoch_weekday] == "thu");

constexpr std::string_view days_hint = "use mon, tue, wed, thu, fri, sat, sun";
constexpr std::string_view hours_shape = "\"hours\" must look like 09:00-18:00";

struct clock_time {
  unsigned hour;
  unsigned minute;

  unsigned minutes() const noexcept { return hour * 60 + minute; }
  bool in_day() const noexcept { return hour <= 23 && minute <= 59; }
  bool is_midnight_end() const noexcept { return hour == 24 && minute == 0; }
};

// Exactly "HH:MM": two digits, a colon, two digits; ranges checked by the
// caller, which knows whether 24:00 may appear.
std::optional<clock_time> parse_clock(std::string_view s) noexcept {
  auto digit = [s](std::size_t i) { return s[i] >= '0' && s[i] <= '9'; };
  if (s.size() != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    return std::nullopt;
  return clock_time{static_cast<unsigned>((s[0] - '0') * 10 + (s[1] - '0')),
                    static_cast<unsigned>((s[3] - '0') * 10 + (s[4] - '0'))};
}

void put_clock(unsigned minutes, std::string& out) {
  auto hour = minutes / 60, minute = minutes % 60;
  out.push_back(static_cast<char>('0' + hour / 10));
  out.push_back(static_cast<char>('0' + hour % 10));
  out.push_back(':');
  out.push_back(static_cast<char>('0' + minute / 10));
  out.push_back(static_cast<char>('0' + minute % 10));
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  out += s;
  out += '"';
  return out;
}

} // namespace

std::optional<time_restriction> time_restriction::parse(std::optional<std::string_view> hours,
                                                        const std::vector<std::string>& days,
                                                        std::string& error) {
  time_restriction r;
  if (hours) {
    auto h = *hours;
    if (h.size() != 11 || h[5] != '-') {
      error = hours_shape;
      return std::nullopt;
    }
    auto start_text = h.substr(0, 5), end_text = h.substr(6);
    auto start = parse_clock(start_text);
    auto end = parse_clock(end_text);
    if (!start || !end) {
      error = hours_shape;
      return std::nullopt;
    }
    // 24:00 may close a window (until midnight) but not open one.
    if (!start->in_day() || !(end->in_day() || end->is_midnight_end())) {
      error = "\"hours\" has " + quoted(start->in_day() ? end_text : start_text)
              + ", not a time of day; use 00:00 to 23:59, or 24:00 to end at midnight";
      return std::nullopt;
    }
    if (start->minutes() == end->minutes()) {
      error = "\"hours\" starts and ends at " + quoted(start_text)
              + "; leave \"hours\" out to allow every hour";
      return std::nullopt;
    }
    r.has_hours_ = true;
    r.start_minute_ = static_cast<std::uint16_t>(start->minutes());
    // Ending at 00:00 is ending at midnight: the same window as 24:00, held
    // one way so that equal windows compare equal and never look like wraps.
    r.end_minute_ =
      static_cast<std::uint16_t>(end->minutes() == 0 ? minutes_per_day : end->minutes());
  }
  for (auto& day : days) {
    std::size_t i = 0;
    while (i < day_names.size() && day_names[i] != day)
      ++i;
    if (i == day_names.size()) {
      error = "\"days\" has " + quoted(day) + "; " + std::string{days_hint};
      return std::nullopt;
    }
    auto bit = static_cast<std::uint8_t>(1u << i);
    if (r.days_ & bit) {
      error = "\"days\" has " + quoted(day) + " twice";
      return std::nullopt;
    }
    r.days_ = static_cast<std::uint8_t>(r.days_ | bit);
  }
  return r;
}

bool time_restriction::allows(std::int64_t now_us) const noexcept {
  // A moment before the epoch still lands on the right day and minute.
  auto minutes = minute_of(now_us);
  auto day = minutes / minutes_per_day;
  auto minute = minutes % minutes_per_day;
  if (minute < 0) {
    minute += minutes_per_day;
    --day;
  }
  auto weekday = ((day + epoch_weekday) % 7 + 7) % 7;
  auto day_allowed = [this](std::int64_t d) { return days_ == 0 || (days_ & (1u << d)) != 0; };
  if (!has_hours_)
    return day_allowed(weekday);
  if (start_minute_ < end_minute_)
    return minute >= start_minute_ && minute < end_minute_ && day_allowed(weekday);
  // A wrapping window belongs to the day it starts on: the minutes after
  // midnight are the tail of yesterday's window.
  if (minute >= start_minute_)
    return day_allowed(weekday);
  if (minute < end_minute_)
    return day_allowed((weekday + 6) % 7);
  return false;
}

std::string time_restriction::hours() const {
  std::string out;
  if (!has_hours_)
    return out;
  put_clock(start_minute_, out);
  out.push_back('-');
  put_clock(end_minute_, out);
  return out;
}

std::vector<std::string> time_restriction::days() const {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < day_names.size(); ++i)
    if (days_ & (1u << i))
      out.emplace_back(day_names[i]);
  return out;
}

} // namespace sluice
