#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sluice::hex {

/// Value of one hexadecimal digit (either case); -1 when `c` is not one.
int digit_value(char c) noexcept;

/// Appends `bytes` as lower-case hexadecimal.
void encode(std::span<const std::uint8_t> bytes, std::string& out);

/// Decodes exactly `out.size()` bytes from `2 * out.size()` digits; false on
/// a wrong length or a non-digit.
bool decode(std::string_view digits, std::span<std::uint8_t> out) noexcept;

} // namespace sluice::hex
