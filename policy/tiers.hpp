#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"

namespace sluice {

/// The commercial tier of a tenant (docs/data-model.md).
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
  /// Shadow mode of the system's rate limit: counted and reported, never
  /// enforced (no 429, no sampling).
  bool shadow = false;

  /// Messages the system's bucket holds when full: burst rate x 10 s.
  std::uint64_t burst_capacity() const noexcept { return burst_rate * 10; }
};

/// The built-in tier table (docs/data-model.md): free, pro, enterprise. The
/// running server reads its table from the config (configs/sluice.conf,
/// sections [tier-free], [tier-pro], [tier-enterprise]), starting from these.
const tier_caps& default_caps(tier t) noexcept;

/// The tier table in force: one row of caps per tier.
struct tier_table {
  std::array<tier_caps, 3> rows{default_caps(tier::free), default_caps(tier::pro),
                                default_caps(tier::enterprise)};

  const tier_caps& operator[](tier t) const noexcept { return rows[static_cast<std::size_t>(t)]; }
  tier_caps& operator[](tier t) noexcept { return rows[static_cast<std::size_t>(t)]; }
};

/// A tenant's negotiated contract: any cap, overridden. Unset fields keep the
/// tier's value.
struct cap_overrides {
  std::optional<std::uint32_t> tokens_per_system;
  std::optional<int> max_retention_days;
  std::optional<std::uint64_t> steady_rate;
  std::optional<std::uint64_t> burst_rate;
  std::optional<std::uint64_t> inline_cap_bytes;
  std::optional<bool> sampling;
  std::optional<std::uint32_t> sample_one_in;
  std::optional<bool> shadow;

  bool empty() const noexcept {
    return !tokens_per_system && !max_retention_days && !steady_rate && !burst_rate
           && !inline_cap_bytes && !sampling && !sample_one_in && !shadow;
  }
};

/// The caps of a tenant: its tier's row with its overrides applied. When the
/// overridden retention ceiling no longer allows the tier's default
/// retention, the default becomes the largest value allowed.
tier_caps effective_caps(const tier_caps& tier_row, const cap_overrides& o);

/// Checks a row of caps on its own (a configured tier): a retention ceiling
/// that is a retention value, a default it allows, rates and caps > 0.
problem check_caps(const tier_caps& caps);

class json_writer;

/// Writes overrides as a JSON object holding only the fields that are set:
/// the same shape in the metadata store and in the admin API.
void write_json(json_writer& w, const cap_overrides& o);

/// Checks override values on their own (rates > 0, a retention ceiling that
/// is a retention value, sample_one_in >= 2, …); ok or invalid_argument.
problem check_overrides(const cap_overrides& o);

/// Retention values the caps allow, ascending (never last when allowed).
std::vector<int> allowed_retentions(const tier_caps& caps);

/// ok when `days` is a retention value the caps allow; otherwise a
/// `retention_not_allowed` problem naming the allowed values.
problem check_retention(const tier_caps& caps, int days);

/// ok when a system holding `live_tokens` (non-revoked) may get one more.
problem check_token_cap(const tier_caps& caps, std::uint64_t live_tokens);

} // namespace sluice
