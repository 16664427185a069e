#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// What a token may do (docs/access-control.md). Ingest and webhook tokens
/// hold exactly `ingest`; service tokens any of the others; a personal token
/// holds none of its own: it acts with its user's role (scopes_of_role).
enum class scope : std::uint8_t {
  ingest,        ///< "ingest": write messages to the bound system
  query,         ///< "query": read messages of the tenant's systems
  systems_read,  ///< "systems:read"
  systems_write, ///< "systems:write"
  tokens_read,   ///< "tokens:read"
  tokens_write,  ///< "tokens:write"
  users_read,    ///< "users:read": list the tenant's users
  users_write,   ///< "users:write"
  audit_read,    ///< "audit:read"
  admin,         ///< "admin": everything inside the tenant
};
inline constexpr std::size_t scope_count = static_cast<std::size_t>(scope::admin) + 1;

/// The API name of a scope ("systems:read").
std::string_view to_string(scope s) noexcept;
std::optional<scope> parse_scope(std::string_view name) noexcept;

/// Risk of a scope or a token. Ordered: low < medium < high.
enum class risk : std::uint8_t { low, medium, high };
std::string_view to_string(risk r) noexcept; ///< "low", "medium", "high"
std::optional<risk> parse_risk(std::string_view name) noexcept;

/// ingest, systems:read, tokens:read, users:read: low; query,
/// systems:write, audit:read: medium; tokens:write, users:write, admin: high.
risk risk_of(scope s) noexcept;

/// A set of scopes, one bit each. Cheap to copy; iteration in enum order.
class scope_set {
public:
  constexpr scope_set() noexcept = default;
  scope_set(std::initializer_list<scope> scopes) noexcept;

  bool contains(scope s) const noexcept;
  void insert(scope s) noexcept;
  bool empty() const noexcept { return bits_ == 0; }
  std::size_t size() const noexcept;
  /// Every scope of `other` is in this set.
  bool includes(scope_set other) const noexcept;
  /// The scopes of `other` missing from this set.
  scope_set missing(scope_set other) const noexcept;
  /// This set with what `admin` implies: every scope but `ingest`.
  scope_set effective() const noexcept;
  /// The highest risk of its scopes (low for the empty set).
  sluice::risk risk() const noexcept;
  /// The scopes in enum order.
  std::vector<scope> list() const;
  /// Names joined by ", " in enum order ("query, tokens:read").
  std::string names() const;

  std::uint16_t bits() const noexcept { return bits_; }
  static scope_set from_bits(std::uint16_t bits) noexcept;

  friend bool operator==(scope_set, scope_set) = default;

private:
  std::uint16_t bits_ = 0;
};

/// Parses a list of scope names. A name that is not a scope, or one given
/// twice, is an error: nullopt, with `bad` set to the offending name.
std::optional<scope_set> parse_scopes(const std::vector<std::string>& names, std::string& bad);

/// A user's role inside its tenant; superusers belong to no tenant.
enum class user_role : std::uint8_t { superuser, admin, member, viewer };
std::string_view to_string(user_role r) noexcept; ///< "superuser", "admin", …
std::optional<user_role> parse_user_role(std::string_view s) noexcept;

/// What a role may do, as scopes: viewer reads (query, systems:read,
/// tokens:read, users:read); member also manages tokens and systems
/// (+ systems:write, tokens:write); admin and superuser hold `admin` (and so
/// everything, see scope_set::effective).
scope_set scopes_of_role(user_role r) noexcept;

/// A tenant's approval rule: tokens of at least this risk wait for approval
/// (`none`: none do). Default `high`.
enum class approval_policy : std::uint8_t { high, medium, none };
std::string_view to_string(approval_policy p) noexcept; ///< "high", "medium", "none"
std::optional<approval_policy> parse_approval_policy(std::string_view s) noexcept;

/// Medium and high risk need a reason at creation.
bool needs_reason(risk r) noexcept;
/// Whether a token of risk `r` waits for approval under `p`.
bool needs_approval(risk r, approval_policy p) noexcept;

/// A public (client-side) token may hold only `ingest` and `query`.
bool allowed_for_public(scope_set s) noexcept;

} // namespace sluice
