#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

/// Kinds of public ids; each prints with its prefix (`ten_…`, `sys_…`, …).
enum class id_kind : std::uint8_t {
  tenant,
  user,
  system,
  token,
  approval,
  event,
  message,
};

/// The prefix of a kind, e.g. "ten_".
std::string_view id_prefix(id_kind k) noexcept;

/// Internal ids are 64-bit: the high 42 bits are milliseconds since the Unix
/// epoch, the low 22 bits random. They sort by creation time (so lists come out
/// in creation order) and need no coordination; the writer checks uniqueness.
/// Within a process each id is larger than the one before, also within one
/// millisecond or when the clock steps back.
std::uint64_t new_id(std::int64_t now_ms);

/// `prefix + 11 base62 digits`, e.g. "tok_0Hk3v7N2aQm".
std::string format_id(id_kind k, std::uint64_t id);

/// Parses a public id of kind `k`; nullopt when the prefix or digits are wrong.
std::optional<std::uint64_t> parse_id(id_kind k, std::string_view text) noexcept;

} // namespace sluice
