#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"

namespace sluice {

/// The commercial tier of a tenant (SPEC section 2).
enum class tier : std::uint8_t { free, pro, enterprise };

std::string_view to_string(tier t) noexcept;
std::optional<tier> parse_tier(std::string_view s) noexcept;

/// The caps of a tier. A tenant's effective caps are its tier's caps with its
/// overrides applied (a negotiated contract may raise or lower any of them).
struct tier_caps {
  /// Tokens per system, not counting revoked ones; 0 = unlimited.
  std::uint32_t tokens_per_system = 0;
  /// Largest retention allowed; retention::never (-1) allows every value.
  int max_retention_days = 7;
  /// Retention of a token minted without one.
  int default_retention_days = 7;
  /// Steady ingest rate per system, messages per second.
  std::uint64_t steady_rate = 0;
  /// Burst rate per system, messages per second for 10 s.
  std::uint64_t burst_rate = 0;
  /// Free tier: sample (acknowledge but drop 1 in N) after the burst cap.
  bool sampling = false;
  std::uint32_t sample_one_in = 10;
  /// Largest single message, in bytes of JSON.
  std::uint64_t inline_cap_bytes = 0;
};

/// The built-in tier table (SPEC section 2): free, pro, enterprise.
const tier_caps& default_caps(tier t) noexcept;

/// Retention values the caps allow, ascending (never last when allowed).
std::vector<int> allowed_retentions(const tier_caps& caps);

/// ok when `days` is a retention value the caps allow; otherwise a
/// `retention_not_allowed` problem naming the allowed values.
problem check_retention(const tier_caps& caps, int days);

/// ok when a system holding `live_tokens` (non-revoked) may get one more.
problem check_token_cap(const tier_caps& caps, std::uint64_t live_tokens);

} // namespace sluice
