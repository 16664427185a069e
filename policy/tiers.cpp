#include "policy/tiers.hpp"

#include <array>
#include <string>

#include "policy/json_writer.hpp"
#include "policy/retention.hpp"

namespace sluice {

namespace {

constexpr std::array<std::string_view, 3> tier_names = {"free", "pro", "enterprise"};

// The tier table of docs/data-model.md. Enterprise numbers are "per contract": these are the
// defaults a contract starts from, overridable per tenant.
const std::array<tier_caps, 3> table = {{
  // free
  {.tokens_per_system = 2,
   .max_retention_days = 7,
   .default_retention_days = 7,
   .steady_rate = 100,
   .burst_rate = 1'000,
   .sampling = true,
   .sample_one_in = 10,
   .inline_cap_bytes = 16ull << 10},
  // pro
  {.tokens_per_system = 50,
   .max_retention_days = 90,
   .default_retention_days = 90,
   .steady_rate = 5'000,
   .burst_rate = 50'000,
   .sampling = false,
   .sample_one_in = 10,
   .inline_cap_bytes = 256ull << 10},
  // enterprise
  {.tokens_per_system = 0,
   .max_retention_days = retention::never,
   .default_retention_days = 365,
   .steady_rate = 50'000,
   .burst_rate = 500'000,
   .sampling = false,
   .sample_one_in = 10,
   .inline_cap_bytes = 1ull << 20},
}};

} // namespace

std::string_view to_string(tier t) noexcept {
  return tier_names[static_cast<std::size_t>(t)];
}

std::optional<tier> parse_tier(std::string_view s) noexcept {
  for (std::size_t i = 0; i < tier_names.size(); ++i)
    if (tier_names[i] == s)
      return static_cast<tier>(i);
  return std::nullopt;
}

const tier_caps& default_caps(tier t) noexcept {
  return table[static_cast<std::size_t>(t)];
}

std::vector<int> allowed_retentions(const tier_caps& caps) {
  std::vector<int> out;
  for (auto v : retention::values) {
    if (caps.max_retention_days == retention::never
        || (v != retention::never && v <= caps.max_retention_days))
      out.push_back(v);
  }
  return out;
}

problem check_retention(const tier_caps& caps, int days) {
  auto allowed = allowed_retentions(caps);
  for (auto v : allowed)
    if (v == days)
      return {};
  std::string list;
  std::string details = "{\"allowed\":[";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    if (i > 0) {
      list += ", ";
      details += ',';
    }
    list += std::to_string(allowed[i]);
    details += std::to_string(allowed[i]);
  }
  details += "]}";
  auto p = make_problem(errc::retention_not_allowed,
                        "retention_days " + std::to_string(days)
                          + " is not allowed here; allowed values: " + list);
  p.details_json = std::move(details);
  return p;
}

tier_caps effective_caps(const tier_caps& row, const cap_overrides& o) {
  auto caps = row;
  if (o.tokens_per_system)
    caps.tokens_per_system = *o.tokens_per_system;
  if (o.max_retention_days)
    caps.max_retention_days = *o.max_retention_days;
  if (o.steady_rate)
    caps.steady_rate = *o.steady_rate;
  if (o.burst_rate)
    caps.burst_rate = *o.burst_rate;
  if (o.inline_cap_bytes)
    caps.inline_cap_bytes = *o.inline_cap_bytes;
  if (o.sampling)
    caps.sampling = *o.sampling;
  if (o.sample_one_in)
    caps.sample_one_in = *o.sample_one_in;
  if (o.shadow)
    caps.shadow = *o.shadow;
  if (check_retention(caps, caps.default_retention_days)) {
    // The largest finite value allowed (a ceiling of `never` allows every
    // value, so it never reaches here).
    auto allowed = allowed_retentions(caps);
    int best = allowed.empty() ? retention::values.front() : allowed.front();
    for (auto v : allowed)
      if (v != retention::never)
        best = v;
    caps.default_retention_days = best;
  }
  return caps;
}

void write_json(json_writer& w, const cap_overrides& o) {
  w.begin_object();
  if (o.tokens_per_system)
    w.field("tokens_per_system", static_cast<std::uint64_t>(*o.tokens_per_system));
  if (o.max_retention_days)
    w.field("max_retention_days", *o.max_retention_days);
  if (o.steady_rate)
    w.field("steady_rate", *o.steady_rate);
  if (o.burst_rate)
    w.field("burst_rate", *o.burst_rate);
  if (o.inline_cap_bytes)
    w.field("inline_cap_bytes", *o.inline_cap_bytes);
  if (o.sampling)
    w.field("sampling", *o.sampling);
  if (o.sample_one_in)
    w.field("sample_one_in", static_cast<std::uint64_t>(*o.sample_one_in));
  if (o.shadow)
    w.field("shadow", *o.shadow);
  w.end_object();
}

problem check_caps(const tier_caps& caps) {
  auto bad = [](std::string what) { return make_problem(errc::invalid_argument, std::move(what)); };
  if (!retention::is_value(caps.max_retention_days))
    return bad("max-retention-days must be one of 7, 30, 90, 180, 365, 730, 1095, 1825, -1");
  if (check_retention(caps, caps.default_retention_days))
    return bad("default-retention-days must be a retention value the tier allows");
  if (caps.steady_rate == 0 || caps.burst_rate == 0)
    return bad("steady-rate and burst-rate must be at least 1");
  if (caps.inline_cap_bytes == 0)
    return bad("inline-cap-bytes must be at least 1");
  if (caps.sample_one_in < 2)
    return bad("sample-one-in must be at least 2");
  return {};
}

problem check_overrides(const cap_overrides& o) {
  auto bad = [](std::string what) { return make_problem(errc::invalid_argument, std::move(what)); };
  if (o.max_retention_days && !retention::is_value(*o.max_retention_days))
    return bad("overrides.max_retention_days must be one of 7, 30, 90, 180, 365, 730, 1095, "
               "1825, -1");
  if (o.steady_rate && *o.steady_rate == 0)
    return bad("overrides.steady_rate must be at least 1 message per second");
  if (o.burst_rate && *o.burst_rate == 0)
    return bad("overrides.burst_rate must be at least 1 message per second");
  if (o.inline_cap_bytes && *o.inline_cap_bytes == 0)
    return bad("overrides.inline_cap_bytes must be at least 1");
  if (o.sample_one_in && *o.sample_one_in < 2)
    return bad("overrides.sample_one_in must be at least 2");
  return {};
}

problem check_token_cap(const tier_caps& caps, std::uint64_t live_tokens) {
  if (caps.tokens_per_system == 0 || live_tokens < caps.tokens_per_system)
    return {};
  return make_problem(errc::token_limit_reached,
                      "this system already has " + std::to_string(live_tokens)
                        + " active tokens, the most its tier allows ("
                        + std::to_string(caps.tokens_per_system)
                        + "); revoke one or raise the tenant's tier");
}

} // namespace sluice
