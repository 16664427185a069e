#include "policy/rate_limit.hpp"

#include <array>
#include <charconv>

namespace sluice {

namespace {

struct unit {
  std::string_view name;
  std::uint64_t seconds;
};

constexpr std::array<unit, 4> units = {{
  {"second", 1},
  {"minute", 60},
  {"hour", 3600},
  {"day", 86400},
}};

constexpr std::uint64_t max_count = 1'000'000'000;

} // namespace

std::string rate_limit::to_string() const {
  for (auto& u : units)
    if (u.seconds == window_s)
      return std::to_string(count) + "/" + std::string{u.name};
  return std::to_string(count) + "/" + std::to_string(window_s) + "s";
}

std::optional<rate_limit> parse_rate_limit(std::string_view text) noexcept {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0)
    return std::nullopt;
  std::uint64_t n = 0;
  auto digits = text.substr(0, slash);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || n < 1 || n > max_count)
    return std::nullopt;
  auto name = text.substr(slash + 1);
  for (auto& u : units)
    if (u.name == name)
      return rate_limit{n, u.seconds};
  return std::nullopt;
}

} // namespace sluice
