#include "policy/hex.hpp"

namespace sluice::hex {

int digit_value(char c) noexcept {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void encode(std::span<const std::uint8_t> bytes, std::string& out) {
  static constexpr char digits[] = "0123456789abcdef";
  out.reserve(out.size() + bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 0xf]);
  }
}

bool decode(std::string_view digits, std::span<std::uint8_t> out) noexcept {
  if (digits.size() != out.size() * 2)
    return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    int hi = digit_value(digits[2 * i]);
    int lo = digit_value(digits[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

} // namespace sluice::hex
