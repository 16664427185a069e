#include "policy/tiers.hpp"

#include <array>
#include <string>
#include <type_traits>

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

std::string_view to_string(tier t) noexcept { return tier_names[static_cast<std::size_t>(t)]; }

std::optional<tier> parse_tier(std::string_view s) noexcept {
  for (std::size_t i = 0; i < tier_names.size(); ++i)
    if (tier_names[i] == s)
      return static_cast<tier>(i);
  return std::nullopt;
}

const tier_caps& default_caps(tier t) noexcept { return table[static_cast<std::size_t>(t)]; }

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
  auto p =
    make_problem(errc::retention_not_allowed, "retention_days " + std::to_string(days)
                                                + " is not allowed here; allowed values: " + list);
  p.details_json = std::move(details);
  return p;
}

tier_caps effective_caps(const tier_caps& row, const cap_overrides& o) {
  auto caps = row;
  for_each_cap([&](const auto& c) {
    if (c.override_member && o.*c.override_member)
      caps.*c.cap = *(o.*c.override_member);
  });
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

namespace {

/// A cap's value as JSON (json_writer takes 64-bit integers and bools).
template <class T>
void write_cap(json_writer& w, std::string_view key, T v) {
  if constexpr (std::is_same_v<T, bool>)
    w.field(key, v);
  else if constexpr (std::is_signed_v<T>)
    w.field(key, static_cast<std::int64_t>(v));
  else
    w.field(key, static_cast<std::uint64_t>(v));
}

} // namespace

void write_json(json_writer& w, const cap_overrides& o) {
  w.begin_object();
  for_each_cap([&](const auto& c) {
    if (c.override_member && o.*c.override_member)
      write_cap(w, c.key, *(o.*c.override_member));
  });
  w.end_object();
}

void write_fields(json_writer& w, const tier_caps& caps) {
  for_each_cap([&](const auto& c) {
    if (c.key == "tokens_per_system" && caps.tokens_per_system == 0) {
      w.key(c.key).null(); // unlimited
      return;
    }
    write_cap(w, c.key, caps.*c.cap);
  });
  w.field("burst_capacity", caps.burst_capacity());
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
  problem p;
  for_each_cap([&](const auto& c) {
    using T = typename std::decay_t<decltype(c)>::value_type;
    if constexpr (!std::is_same_v<T, bool>) {
      if (p || !c.override_member || !(o.*c.override_member))
        return;
      if (static_cast<std::int64_t>(*(o.*c.override_member)) < c.min)
        p = bad("overrides." + std::string{c.key} + " must be at least " + std::to_string(c.min));
    }
  });
  return p;
}

problem check_token_cap(const tier_caps& caps, std::uint64_t live_tokens, std::uint64_t more) {
  if (caps.tokens_per_system == 0 || live_tokens + more <= caps.tokens_per_system)
    return {};
  return make_problem(
    errc::token_limit_reached,
    "this system already has " + std::to_string(live_tokens) + " active tokens and its tier allows "
      + std::to_string(caps.tokens_per_system)
      + (more > 1 ? ", so " + std::to_string(more) + " more cannot be minted" : std::string{})
      + "; revoke one or raise the tenant's tier");
}

} // namespace sluice
