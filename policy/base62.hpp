#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::base62 {

/// The alphabet, in ascending order: digits, upper case, lower case.
inline constexpr std::string_view alphabet =
  "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True for the 62 characters of the alphabet.
bool is_digit(char c) noexcept;

/// Value of one base62 digit; -1 when `c` is not one.
int digit_value(char c) noexcept;

/// Encodes `x` in exactly `width` digits, most significant first, zero padded.
/// `width` must be large enough for `x` (11 digits hold any 64-bit value).
void encode_fixed(std::uint64_t x, std::size_t width, std::string& out);
std::string encode_fixed(std::uint64_t x, std::size_t width);

/// Decodes a fixed-width number; nullopt on a non-digit or overflow.
std::optional<std::uint64_t> decode(std::string_view digits) noexcept;

} // namespace sluice::base62
