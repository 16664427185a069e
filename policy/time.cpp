#include "policy/time.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

namespace sluice {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil {
  std::int64_t y;
  unsigned m;
  unsigned d;
};

constexpr civil civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2), m, d};
}

constexpr bool is_leap(std::int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  constexpr unsigned table[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : table[m - 1];
}

// Reads exactly n decimal digits at s[pos]; false if any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& out) noexcept {
  if (pos + n > s.size())
    return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  out = v;
  return true;
}

void put2(unsigned v, std::string& out) {
  out.push_back(static_cast<char>('0' + v / 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

} // namespace

std::int64_t now_us() noexcept {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

std::int64_t monotonic_us() noexcept {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

std::chrono::nanoseconds grid_deadline(std::chrono::nanoseconds now,
                                       std::chrono::nanoseconds period) noexcept {
  auto due = now + period;
  auto grid = std::min<std::chrono::nanoseconds>(period / 10, max_timer_grid);
  if (grid.count() <= 0)
    return due;
  // Floor modulo, so a clock whose epoch is later than `due` still rounds up.
  auto over = due % grid;
  if (over.count() < 0)
    over += grid;
  return over.count() == 0 ? due : due - over + grid;
}

std::optional<std::int64_t> parse_rfc3339_us(std::string_view s) noexcept {
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month)
      || s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
      || !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':'
      || !digits(s, 17, 2, second))
    return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23
      || minute > 59 || second > 60)
    return std::nullopt;
  if (second == 60) // a leap second: the clock reads 59.999999
    second = 59;
  std::size_t pos = 19;
  std::int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6)
        frac_us = frac_us * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0)
      return std::nullopt;
    for (auto i = n; i < 6; ++i)
      frac_us *= 10;
  }
  if (pos >= s.size())
    return std::nullopt;
  std::int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    unsigned oh = 0, om = 0;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':'
        || !digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (static_cast<std::int64_t>(oh) * 60 + om) * 60;
    if (s[pos] == '-')
      offset_s = -offset_s;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size())
    return std::nullopt;
  auto days = days_from_civil(year, month, day);
  auto secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  // In UTC it must still be a four-digit year: an offset can carry year 0000
  // back to year -1 and 9999 on to 10000, which no RFC 3339 text can show.
  constexpr std::int64_t first_s = days_from_civil(0, 1, 1) * 86400;
  static_assert(days_from_civil(10000, 1, 1) * 86400 * 1'000'000 == year_10000_us);
  if (secs < first_s || secs >= year_10000_us / 1'000'000)
    return std::nullopt;
  return secs * 1'000'000 + frac_us;
}

void format_rfc3339_us(std::int64_t t_us, std::string& out) {
  auto secs = t_us / 1'000'000;
  auto us = t_us % 1'000'000;
  if (us < 0) {
    us += 1'000'000;
    --secs;
  }
  auto days = secs / 86400;
  auto rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  auto c = civil_from_days(days);
  char year[16];
  auto [end, ec] = std::to_chars(year, year + sizeof year, c.y);
  (void)ec;
  for (auto n = end - year; n < 4; ++n)
    out.push_back('0');
  out.append(year, end);
  out.push_back('-');
  put2(c.m, out);
  out.push_back('-');
  put2(c.d, out);
  out.push_back('T');
  put2(static_cast<unsigned>(rem / 3600), out);
  out.push_back(':');
  put2(static_cast<unsigned>(rem / 60 % 60), out);
  out.push_back(':');
  put2(static_cast<unsigned>(rem % 60), out);
  out.push_back('.');
  auto frac = static_cast<unsigned>(us);
  char buf[6];
  for (int i = 5; i >= 0; --i) {
    buf[i] = static_cast<char>('0' + frac % 10);
    frac /= 10;
  }
  out.append(buf, 6);
  out.push_back('Z');
}

std::string format_rfc3339_us(std::int64_t t_us) {
  std::string out;
  format_rfc3339_us(t_us, out);
  return out;
}

std::optional<std::int64_t> parse_time_param_us(std::string_view s) noexcept {
  if (s.empty())
    return std::nullopt;
  bool numeric = true;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (!(s[i] >= '0' && s[i] <= '9') && !(i == 0 && s[i] == '-'))
      numeric = false;
  if (numeric) {
    std::int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (ec != std::errc{} || ptr != s.data() + s.size())
      return std::nullopt;
    if (ms > INT64_MAX / 1000 || ms < INT64_MIN / 1000)
      return std::nullopt;
    return ms * 1000;
  }
  return parse_rfc3339_us(s);
}

} // namespace sluice
