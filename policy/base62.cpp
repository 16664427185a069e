#include "policy/base62.hpp"

namespace sluice::base62 {

int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 36;
  return -1;
}

bool is_digit(char c) noexcept { return digit_value(c) >= 0; }

void encode_fixed(std::uint64_t x, std::size_t width, std::string& out) {
  auto start = out.size();
  out.append(width, '0');
  for (auto i = width; i > 0 && x != 0; --i) {
    out[start + i - 1] = alphabet[x % 62];
    x /= 62;
  }
}

std::string encode_fixed(std::uint64_t x, std::size_t width) {
  std::string out;
  encode_fixed(x, width, out);
  return out;
}

std::optional<std::uint64_t> decode(std::string_view digits) noexcept {
  if (digits.empty())
    return std::nullopt;
  std::uint64_t x = 0;
  for (char c : digits) {
    auto d = digit_value(c);
    if (d < 0)
      return std::nullopt;
    // x * 62 + d must stay below 2^64.
    if (x > (UINT64_MAX - static_cast<std::uint64_t>(d)) / 62)
      return std::nullopt;
    x = x * 62 + static_cast<std::uint64_t>(d);
  }
  return x;
}

} // namespace sluice::base62
