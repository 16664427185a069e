#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/cidr.hpp"
#include "policy/fields.hpp"
#include "policy/rate_limit.hpp"
#include "policy/scopes.hpp"
#include "policy/tiers.hpp"
#include "policy/time_window.hpp"
#include "policy/token_format.hpp"
#include "policy/token_hash.hpp"
#include "policy/token_status.hpp"
#include "policy/usage.hpp"

namespace sluice::store {

/// The persisted records of the metadata environment. They are stored as JSON
/// (readable with mdb_dump, tolerant of fields added by later versions: unknown
/// fields are ignored on decode, missing ones take the defaults below).
/// Internal ids are the 64-bit values of policy/ids.hpp; 0 means "none".
///
/// Each record's fields are described once, in its `description` below: the
/// store's JSON codec (records.cpp) and the admin API's views
/// (actors/views.cpp) both walk it.

/// Usage as last flushed by a token's or system's actor: totals and the
/// minutes of the last hour that saw anything.
struct usage_record {
  usage_totals totals;
  std::vector<usage_minute> minutes;

  friend bool operator==(const usage_record&, const usage_record&) = default;
};

struct tenant_record {
  std::uint64_t id = 0;
  std::string name;
  sluice::tier tier = sluice::tier::free;
  std::int64_t created_at_us = 0;
  cap_overrides overrides; ///< the tenant's contract; empty = the tier's caps
  /// Service tokens of at least this risk wait for approval.
  approval_policy approval = approval_policy::high;
};

struct user_record {
  std::uint64_t id = 0;
  std::uint64_t tenant_id = 0;
  std::string name;
  std::string email;
  user_role role = user_role::member; ///< superusers belong to no tenant (tenant_id 0)
  bool active = true;
  std::int64_t created_at_us = 0;
};

struct system_record {
  std::uint64_t id = 0;
  std::uint64_t tenant_id = 0;
  std::string name;
  std::string description;
  std::int64_t created_at_us = 0;
  usage_record usage;
};

struct token_record {
  std::uint64_t id = 0;
  token_kind kind = token_kind::ingest;
  std::uint64_t tenant_id = 0; ///< 0 only for a superuser's personal token
  std::uint64_t system_id = 0; ///< ingest and webhook tokens
  std::uint64_t user_id = 0;   ///< personal tokens
  std::string name;
  std::string description;
  token_hash hash{}; ///< keyed hash of the secret; never leaves the store
  std::string hint;  ///< display hint, e.g. "al_…x9Qa"
  /// Ingest and webhook tokens: {ingest}; service tokens: theirs; personal
  /// tokens: none (they act with their user's role).
  scope_set scopes;
  /// Service tokens holding `query`: the systems it may read (empty = all of
  /// its tenant's).
  std::vector<std::uint64_t> query_systems;
  bool is_public = false; ///< client-side: ingest and query only, no management
  token_status status = token_status::active;
  int retention_days = 7; ///< ingest and webhook tokens
  std::int64_t created_at_us = 0;
  std::string created_by; ///< public id of the creator ("usr_…" or "tok_…")
  /// Public id of whoever received the current secret: the creator, or the
  /// last to rotate it (four eyes ask who could hold it).
  std::string issued_to;
  std::string reason;             ///< why it was made (required for medium and high risk)
  std::uint64_t approval_id = 0;  ///< the approval it waited (or waits) for
  std::int64_t expires_at_us = 0; ///< 0 = never
  std::int64_t disabled_at_us = 0;
  std::string disable_reason;
  std::int64_t revoked_at_us = 0;
  std::string revoke_reason;
  // Rotation: the secret before the last rotation keeps working until
  // previous_valid_until_us (its hash stays indexed until the next change).
  std::int64_t rotated_at_us = 0;
  token_hash previous_hash{};
  std::int64_t previous_valid_until_us = 0;
  // Security settings (PUT …/security), enforced by the token's actor.
  ip_allowlist allowlist;
  /// The token's own limit, in requests, on top of its system's tier limit.
  std::optional<sluice::rate_limit> rate_limit;
  bool rate_limit_shadow = false; ///< counted and reported, never enforced
  time_restriction hours;
  std::string security_reason; ///< why the security settings last changed
  std::int64_t security_changed_at_us = 0;
  // Break-glass: until then, IP and time restrictions are lifted.
  std::int64_t emergency_until_us = 0;
  std::string emergency_reason;
  std::string emergency_by; ///< public id of the superuser who opened it
  // Usage as last flushed by the token's actor (live values are in the actor).
  std::int64_t last_used_at_us = 0;
  std::string last_ip;
  usage_record usage;
};

/// An approval request of a token that waits for one (docs/access-control.md).
enum class approval_status : std::uint8_t { pending, approved, rejected };
std::string_view to_string(approval_status s) noexcept;
std::optional<approval_status> parse_approval_status(std::string_view s) noexcept;

struct approval_record {
  std::uint64_t id = 0;
  std::uint64_t tenant_id = 0;
  std::uint64_t token_id = 0;
  approval_status status = approval_status::pending;
  sluice::risk risk = sluice::risk::high;
  scope_set scopes;
  std::string reason;                  ///< the requester's
  std::uint64_t requested_by_user = 0; ///< the requesting person (0: a service token)
  /// The person who held the requesting secret (its secret_issued_to, up to
  /// a person): could have asked too. 0 in approvals older than it.
  std::uint64_t requested_by_holder = 0;
  std::string requested_by; ///< public id: "usr_…" or "tok_…"
  std::int64_t requested_at_us = 0;
  std::string decided_by; ///< public id of the person who decided
  std::int64_t decided_at_us = 0;
  std::string decision_reason;
};

/// Whether a token holds a retention (ingest and webhook tokens do).
inline bool has_retention(const token_record& t) noexcept {
  return t.kind == token_kind::ingest || t.kind == token_kind::webhook;
}

/// The fields of token and system records that the usage tables keep
/// (store/meta_store.hpp): records written by this version leave them out;
/// records written before the tables existed still hold them and are read
/// with them.
constexpr bool usage_field(std::string_view key) noexcept {
  return key == "usage" || key == "last_used_at_us" || key == "last_ip";
}

/// A token's or system's row of the `usage` table: its totals and, for a
/// token, when and from where it was last used. Its minutes are rows of the
/// `usage_minutes` table, one per (minute, id).
struct usage_row {
  usage_totals totals;
  std::int64_t last_used_at_us = 0;
  std::string last_ip;
};

/// JSON codecs of the records. decode_* return nullopt on malformed input.
std::string encode(const tenant_record& r);
std::string encode(const user_record& r);
std::string encode(const system_record& r);
std::string encode(const token_record& r);
std::string encode(const approval_record& r);
std::optional<tenant_record> decode_tenant(std::string_view json);
std::optional<user_record> decode_user(std::string_view json);
std::optional<system_record> decode_system(std::string_view json);
std::optional<token_record> decode_token(std::string_view json);
std::optional<approval_record> decode_approval(std::string_view json);
std::string encode(const usage_row& r);
std::optional<usage_row> decode_usage_row(std::string_view json);
/// One minute as a row of `usage_minutes`: [minute, requests, messages,
/// rejected, sampled, bytes, {reason: refusals}].
std::string encode(const usage_minute& m);
std::optional<usage_minute> decode_usage_minute(std::string_view json);

} // namespace sluice::store

namespace sluice {

// The descriptions: key, member, how views show it, [view key], [id kind],
// [compact in the store], [view group], [shown when].

template <>
struct description<store::tenant_record> {
  using R = store::tenant_record;
  static constexpr auto fields = std::tuple{
    field<R, std::uint64_t>{"id", &R::id, view_as::id, {}, id_kind::tenant},
    field<R, std::string>{"name", &R::name},
    field<R, sluice::tier>{"tier", &R::tier},
    field<R, std::int64_t>{"created_at_us", &R::created_at_us, view_as::time, "created_at"},
    field<R, cap_overrides>{"overrides", &R::overrides},
    field<R, approval_policy>{"approval", &R::approval},
  };
};

template <>
struct description<store::user_record> {
  using R = store::user_record;
  static constexpr auto fields = std::tuple{
    field<R, std::uint64_t>{"id", &R::id, view_as::id, {}, id_kind::user},
    field<R, std::uint64_t>{"tenant_id", &R::tenant_id, view_as::id, {}, id_kind::tenant},
    field<R, std::string>{"name", &R::name},
    field<R, std::string>{"email", &R::email},
    field<R, user_role>{"role", &R::role},
    field<R, bool>{"active", &R::active},
    field<R, std::int64_t>{"created_at_us", &R::created_at_us, view_as::time, "created_at"},
  };
};

template <>
struct description<store::system_record> {
  using R = store::system_record;
  static constexpr auto fields = std::tuple{
    field<R, std::uint64_t>{"id", &R::id, view_as::id, {}, id_kind::system},
    field<R, std::uint64_t>{"tenant_id", &R::tenant_id, view_as::id, {}, id_kind::tenant},
    field<R, std::string>{"name", &R::name},
    field<R, std::string>{"description", &R::description},
    field<R, std::int64_t>{"created_at_us", &R::created_at_us, view_as::time, "created_at"},
    field<R, store::usage_record>{"usage", &R::usage, view_as::hidden, {}, {}, true},
  };
};

template <>
struct description<store::token_record> {
  using R = store::token_record;
  // A million tokens is a normal deployment: every field that is usually at
  // its default is compact (left out of the stored JSON then).
  static constexpr auto fields = std::tuple{
    field<R, std::uint64_t>{"id", &R::id, view_as::id, {}, id_kind::token},
    field<R, token_kind>{"kind", &R::kind},
    field<R, std::string>{"name", &R::name},
    field<R, std::string>{"description", &R::description, view_as::value, {}, {}, true},
    field<R, std::uint64_t>{"tenant_id", &R::tenant_id, view_as::id, {}, id_kind::tenant},
    field<R, std::uint64_t>{"system_id", &R::system_id, view_as::id, {}, id_kind::system, true},
    field<R, std::uint64_t>{"user_id", &R::user_id, view_as::id, {}, id_kind::user, true},
    field<R, std::string>{"hint", &R::hint},
    field<R, scope_set>{"scopes", &R::scopes},
    field<R, std::vector<std::uint64_t>>{
      "query_systems", &R::query_systems, view_as::id, {}, id_kind::system, true},
    field<R, bool>{"public", &R::is_public, view_as::value, {}, {}, true},
    field<R, token_status>{"status", &R::status},
    field<R, int>{"retention_days",
                  &R::retention_days,
                  view_as::value,
                  {},
                  {},
                  false,
                  {},
                  &store::has_retention},
    field<R, std::int64_t>{"created_at_us", &R::created_at_us, view_as::time, "created_at"},
    field<R, std::string>{"created_by", &R::created_by, view_as::text_or_null, {}, {}, true},
    field<R, std::string>{
      "issued_to", &R::issued_to, view_as::text_or_null, "secret_issued_to", {}, true},
    field<R, std::string>{"reason", &R::reason, view_as::text_or_null, {}, {}, true},
    field<R, std::uint64_t>{
      "approval_id", &R::approval_id, view_as::id, {}, id_kind::approval, true},
    field<R, std::int64_t>{
      "expires_at_us", &R::expires_at_us, view_as::time, "expires_at", {}, true},
    field<R, std::int64_t>{
      "disabled_at_us", &R::disabled_at_us, view_as::time, "disabled_at", {}, true},
    field<R, std::string>{
      "disable_reason", &R::disable_reason, view_as::text_or_null, {}, {}, true},
    field<R, std::int64_t>{
      "revoked_at_us", &R::revoked_at_us, view_as::time, "revoked_at", {}, true},
    field<R, std::string>{"revoke_reason", &R::revoke_reason, view_as::text_or_null, {}, {}, true},
    field<R, std::int64_t>{
      "rotated_at_us", &R::rotated_at_us, view_as::time, "rotated_at", {}, true},
    field<R, std::int64_t>{"previous_valid_until_us",
                           &R::previous_valid_until_us,
                           view_as::time,
                           "previous_secret_valid_until",
                           {},
                           true},
    field<R, ip_allowlist>{"ip_allowlist", &R::allowlist, view_as::value, {}, {}, true, "security"},
    field<R, std::optional<sluice::rate_limit>>{
      "rate_limit", &R::rate_limit, view_as::value, {}, {}, true, "security"},
    field<R, bool>{
      "rate_limit_shadow", &R::rate_limit_shadow, view_as::value, {}, {}, true, "security"},
    field<R, time_restriction>{
      "time_restriction", &R::hours, view_as::value, {}, {}, true, "security"},
    field<R, std::string>{"security_reason",
                          &R::security_reason,
                          view_as::text_or_null,
                          "reason",
                          {},
                          true,
                          "security"},
    field<R, std::int64_t>{"security_changed_at_us",
                           &R::security_changed_at_us,
                           view_as::time,
                           "changed_at",
                           {},
                           true,
                           "security"},
    field<R, std::int64_t>{"emergency_until_us",
                           &R::emergency_until_us,
                           view_as::time,
                           "emergency_until",
                           {},
                           true,
                           "security"},
    field<R, std::string>{"emergency_reason",
                          &R::emergency_reason,
                          view_as::text_or_null,
                          {},
                          {},
                          true,
                          "security"},
    field<R, std::string>{
      "emergency_by", &R::emergency_by, view_as::text_or_null, {}, {}, true, "security"},
    field<R, std::int64_t>{
      "last_used_at_us", &R::last_used_at_us, view_as::time, "last_used_at", {}, true},
    field<R, std::string>{"last_ip", &R::last_ip, view_as::text_or_null, {}, {}, true},
    field<R, store::usage_record>{"usage", &R::usage, view_as::value, {}, {}, true},
    // The keyed hashes of the secrets: stored (they are what lookups find),
    // never shown.
    field<R, token_hash>{"hash", &R::hash, view_as::hidden},
    field<R, token_hash>{"previous_hash", &R::previous_hash, view_as::hidden, {}, {}, true},
  };
};

template <>
struct description<store::usage_row> {
  using R = store::usage_row;
  static constexpr auto fields = std::tuple{
    field<R, usage_totals>{"totals", &R::totals},
    field<R, std::int64_t>{"last_used_at_us", &R::last_used_at_us, view_as::time, {}, {}, true},
    field<R, std::string>{"last_ip", &R::last_ip, view_as::value, {}, {}, true},
  };
};

template <>
struct description<store::approval_record> {
  using R = store::approval_record;
  static constexpr auto fields = std::tuple{
    field<R, std::uint64_t>{"id", &R::id, view_as::id, {}, id_kind::approval},
    field<R, std::uint64_t>{"tenant_id", &R::tenant_id, view_as::id, {}, id_kind::tenant},
    field<R, std::uint64_t>{"token_id", &R::token_id, view_as::id, {}, id_kind::token},
    field<R, store::approval_status>{"status", &R::status},
    field<R, sluice::risk>{"risk", &R::risk},
    field<R, scope_set>{"scopes", &R::scopes},
    field<R, std::string>{"reason", &R::reason, view_as::text_or_null},
    field<R, std::uint64_t>{"requested_by_user", &R::requested_by_user, view_as::hidden},
    field<R, std::uint64_t>{
      "requested_by_holder", &R::requested_by_holder, view_as::hidden, {}, {}, true},
    field<R, std::string>{"requested_by", &R::requested_by},
    field<R, std::int64_t>{"requested_at_us", &R::requested_at_us, view_as::time, "requested_at"},
    field<R, std::string>{"decided_by", &R::decided_by, view_as::text_or_null},
    field<R, std::int64_t>{"decided_at_us", &R::decided_at_us, view_as::time, "decided_at"},
    field<R, std::string>{"decision_reason", &R::decision_reason, view_as::text_or_null},
  };
};

} // namespace sluice
