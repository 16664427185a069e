#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <tuple>
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

  bool empty() const noexcept { return *this == cap_overrides{}; }

  friend bool operator==(const cap_overrides&, const cap_overrides&) = default;
};

/// One cap, described once: its key (in the API and the store; the config
/// key is the same with '-' for '_'), where it lives in a tier's row and in a
/// tenant's overrides (null: not overridable), what it means (for --help and
/// docs), and its least value. Applying overrides, their JSON in the store
/// and the API, their checks, the tier options of the config and the views of
/// a tenant's limits all walk `cap_fields`.
template <class T>
struct cap_field {
  using value_type = T;
  std::string_view key;
  T tier_caps::*cap;
  std::optional<T> cap_overrides::*override_member; ///< nullptr: not overridable
  std::string_view help;
  std::int64_t min = 0;
  std::int64_t max = 1; ///< most allowed in an override (bools: 1)
};

/// Far beyond any sane rate or size, but still a number.
inline constexpr std::int64_t cap_big = 1'000'000'000'000;

inline constexpr auto cap_fields = std::tuple{
  cap_field<std::uint32_t>{
    "tokens_per_system", &tier_caps::tokens_per_system, &cap_overrides::tokens_per_system,
    "tokens per system, not counting revoked ones (0 = unlimited)", 0, 1'000'000'000},
  cap_field<int>{
    "max_retention_days", &tier_caps::max_retention_days, &cap_overrides::max_retention_days,
    "largest retention a token may have (-1 = every value, including never)", -1, 1825},
  cap_field<int>{"default_retention_days", &tier_caps::default_retention_days, nullptr,
                 "retention of a token minted without one", -1, 1825},
  cap_field<std::uint64_t>{"steady_rate", &tier_caps::steady_rate, &cap_overrides::steady_rate,
                           "messages per second a system sustains", 1, cap_big},
  cap_field<std::uint64_t>{"burst_rate", &tier_caps::burst_rate, &cap_overrides::burst_rate,
                           "messages per second a system may burst for 10 s (bucket = 10 x this)",
                           1, cap_big},
  cap_field<bool>{"sampling", &tier_caps::sampling, &cap_overrides::sampling,
                  "after the burst cap is hit, sample for 60 s", 0, 1},
  cap_field<std::uint32_t>{
    "sample_one_in", &tier_caps::sample_one_in, &cap_overrides::sample_one_in,
    "while sampling, 1 in this many accepted requests is not stored", 2, 1'000'000},
  cap_field<std::uint64_t>{"inline_cap_bytes", &tier_caps::inline_cap_bytes,
                           &cap_overrides::inline_cap_bytes, "largest single message, in bytes", 1,
                           cap_big},
  cap_field<bool>{"shadow", &tier_caps::shadow, &cap_overrides::shadow,
                  "count the rate limit but never enforce it", 0, 1},
};

/// Calls `f(cap_field)` for each cap, in the order above.
template <class F>
constexpr void for_each_cap(F&& f) {
  std::apply([&](const auto&... c) { (f(c), ...); }, cap_fields);
}

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

/// Writes a row of caps as fields of the JSON object being written: every
/// cap (tokens_per_system null when unlimited) and the bucket's
/// burst_capacity. The caller opens and closes the object.
void write_fields(json_writer& w, const tier_caps& caps);

/// Checks override values on their own (rates > 0, a retention ceiling that
/// is a retention value, sample_one_in >= 2, …); ok or invalid_argument.
problem check_overrides(const cap_overrides& o);

/// Retention values the caps allow, ascending (never last when allowed).
std::vector<int> allowed_retentions(const tier_caps& caps);

/// ok when `days` is a retention value the caps allow; otherwise a
/// `retention_not_allowed` problem naming the allowed values.
problem check_retention(const tier_caps& caps, int days);

/// ok when a system holding `live_tokens` (non-revoked) may get `more` more.
problem check_token_cap(const tier_caps& caps, std::uint64_t live_tokens, std::uint64_t more = 1);

} // namespace sluice
