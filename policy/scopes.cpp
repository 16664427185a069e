#include "policy/scopes.hpp"

#include <array>

namespace sluice {

namespace {

struct scope_info {
  std::string_view name;
  sluice::risk risk;
};

// Indexed by the enum's value; keep in the enum's order.
constexpr std::array<scope_info, scope_count> scopes = {{
  {"ingest", risk::low},
  {"query", risk::medium},
  {"systems:read", risk::low},
  {"systems:write", risk::medium},
  {"tokens:read", risk::low},
  {"tokens:write", risk::high},
  {"users:read", risk::low},
  {"users:write", risk::high},
  {"audit:read", risk::medium},
  {"admin", risk::high},
}};
// A missing row would shift every later name: the ends must line up.
static_assert(scopes[static_cast<std::size_t>(scope::ingest)].name == "ingest");
static_assert(scopes[static_cast<std::size_t>(scope::tokens_write)].name == "tokens:write");
static_assert(scopes[scope_count - 1].name == "admin");

// Each table is indexed by its enum's value; the last row must be the last
// value, or a row is missing.
constexpr std::array<std::string_view, static_cast<std::size_t>(risk::high) + 1> risk_names = {
  "low",
  "medium",
  "high",
};
static_assert(risk_names.back() == "high");

constexpr std::array<std::string_view, static_cast<std::size_t>(user_role::viewer) + 1> role_names =
  {"superuser", "admin", "member", "viewer"};
static_assert(role_names.back() == "viewer");

constexpr std::array<std::string_view, static_cast<std::size_t>(approval_policy::none) + 1>
  approval_names = {"high", "medium", "none"};
static_assert(approval_names.back() == "none");

constexpr std::uint16_t bit(scope s) noexcept {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(s));
}

constexpr std::uint16_t all_bits = static_cast<std::uint16_t>((1u << scope_count) - 1);
static_assert(scope_count <= 16, "scope_set keeps one bit per scope in 16 bits");

template <typename Enum, std::size_t N>
std::optional<Enum> find_name(const std::array<std::string_view, N>& names,
                              std::string_view s) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == s)
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace

std::string_view to_string(scope s) noexcept { return scopes[static_cast<std::size_t>(s)].name; }

std::optional<scope> parse_scope(std::string_view name) noexcept {
  for (std::size_t i = 0; i < scope_count; ++i)
    if (scopes[i].name == name)
      return static_cast<scope>(i);
  return std::nullopt;
}

std::string_view to_string(risk r) noexcept { return risk_names[static_cast<std::size_t>(r)]; }

std::optional<risk> parse_risk(std::string_view name) noexcept {
  return find_name<risk>(risk_names, name);
}

risk risk_of(scope s) noexcept { return scopes[static_cast<std::size_t>(s)].risk; }

scope_set::scope_set(std::initializer_list<scope> list) noexcept {
  for (auto s : list)
    insert(s);
}

bool scope_set::contains(scope s) const noexcept { return (bits_ & bit(s)) != 0; }

void scope_set::insert(scope s) noexcept { bits_ = static_cast<std::uint16_t>(bits_ | bit(s)); }

std::size_t scope_set::size() const noexcept {
  std::size_t n = 0;
  for (auto b = bits_; b != 0; b = static_cast<std::uint16_t>(b & (b - 1)))
    ++n;
  return n;
}

bool scope_set::includes(scope_set other) const noexcept { return (other.bits_ & ~bits_) == 0; }

scope_set scope_set::missing(scope_set other) const noexcept {
  return from_bits(static_cast<std::uint16_t>(other.bits_ & ~bits_));
}

scope_set scope_set::effective() const noexcept {
  if (!contains(scope::admin))
    return *this;
  // Admin runs the tenant but does not write messages: ingest stays a
  // separate grant, kept only if it was given explicitly.
  return from_bits(static_cast<std::uint16_t>(bits_ | (all_bits & ~bit(scope::ingest))));
}

risk scope_set::risk() const noexcept {
  auto highest = risk::low;
  for (std::size_t i = 0; i < scope_count; ++i)
    if (contains(static_cast<scope>(i)) && scopes[i].risk > highest)
      highest = scopes[i].risk;
  return highest;
}

std::vector<scope> scope_set::list() const {
  std::vector<scope> out;
  out.reserve(size());
  for (std::size_t i = 0; i < scope_count; ++i)
    if (contains(static_cast<scope>(i)))
      out.push_back(static_cast<scope>(i));
  return out;
}

std::string scope_set::names() const {
  std::string out;
  for (std::size_t i = 0; i < scope_count; ++i) {
    if (!contains(static_cast<scope>(i)))
      continue;
    if (!out.empty())
      out += ", ";
    out += scopes[i].name;
  }
  return out;
}

scope_set scope_set::from_bits(std::uint16_t bits) noexcept {
  // Bits beyond the last scope come from a newer or corrupt store: they name
  // nothing this build knows, so they grant nothing.
  scope_set s;
  s.bits_ = static_cast<std::uint16_t>(bits & all_bits);
  return s;
}

std::optional<scope_set> parse_scopes(const std::vector<std::string>& names, std::string& bad) {
  scope_set out;
  for (auto& name : names) {
    auto s = parse_scope(name);
    if (!s || out.contains(*s)) {
      bad = name;
      return std::nullopt;
    }
    out.insert(*s);
  }
  return out;
}

std::string_view to_string(user_role r) noexcept { return role_names[static_cast<std::size_t>(r)]; }

std::optional<user_role> parse_user_role(std::string_view s) noexcept {
  return find_name<user_role>(role_names, s);
}

scope_set scopes_of_role(user_role r) noexcept {
  switch (r) {
    case user_role::superuser:
    case user_role::admin: return {scope::admin};
    case user_role::member:
      return {scope::query,       scope::systems_read, scope::systems_write,
              scope::tokens_read, scope::tokens_write, scope::users_read};
    case user_role::viewer: break;
  }
  return {scope::query, scope::systems_read, scope::tokens_read, scope::users_read};
}

std::string_view to_string(approval_policy p) noexcept {
  return approval_names[static_cast<std::size_t>(p)];
}

std::optional<approval_policy> parse_approval_policy(std::string_view s) noexcept {
  return find_name<approval_policy>(approval_names, s);
}

bool needs_reason(risk r) noexcept { return r >= risk::medium; }

bool needs_approval(risk r, approval_policy p) noexcept {
  switch (p) {
    case approval_policy::high: return r == risk::high;
    case approval_policy::medium: return r >= risk::medium;
    case approval_policy::none: break;
  }
  return false;
}

bool allowed_for_public(scope_set s) noexcept {
  // A public token ships inside client code: anyone can read it, so it may
  // only send and read messages, never manage anything.
  return scope_set{scope::ingest, scope::query}.includes(s);
}

} // namespace sluice
