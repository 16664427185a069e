#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/fields.hpp"
#include "policy/rate_limit.hpp"
#include "policy/scopes.hpp"
#include "policy/tiers.hpp"
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
};

struct tenant_record {
  std::uint64_t id = 0;
  std::string name;
  sluice::tier tier = sluice::tier::free;
  std::int64_t created_at_us = 0;
  cap_overrides overrides; ///< the tenant's contract; empty = the tier's caps
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
  token_hash hash{};           ///< keyed hash of the secret; never leaves the store
  std::string hint;            ///< display hint, e.g. "al_…x9Qa"
  std::vector<std::string> scopes;
  token_status status = token_status::active;
  int retention_days = 7;      ///< ingest and webhook tokens
  std::int64_t created_at_us = 0;
  std::string created_by;      ///< public id of the creator ("usr_…")
  std::int64_t expires_at_us = 0; ///< 0 = never
  std::int64_t revoked_at_us = 0;
  std::string revoke_reason;
  /// The token's own limit, in requests, on top of its system's tier limit.
  std::optional<sluice::rate_limit> rate_limit;
  bool rate_limit_shadow = false; ///< counted and reported, never enforced
  std::string security_reason;      ///< why the security settings last changed
  std::int64_t security_changed_at_us = 0;
  // Usage as last flushed by the token's actor (live values are in the actor).
  std::int64_t last_used_at_us = 0;
  std::string last_ip;
  usage_record usage;
};

/// Whether a token holds a retention (ingest and webhook tokens do).
inline bool has_retention(const token_record& t) noexcept {
  return t.kind == token_kind::ingest || t.kind == token_kind::webhook;
}

/// JSON codecs of the records. decode_* return nullopt on malformed input.
std::string encode(const tenant_record& r);
std::string encode(const user_record& r);
std::string encode(const system_record& r);
std::string encode(const token_record& r);
std::optional<tenant_record> decode_tenant(std::string_view json);
std::optional<user_record> decode_user(std::string_view json);
std::optional<system_record> decode_system(std::string_view json);
std::optional<token_record> decode_token(std::string_view json);

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
    field<R, std::vector<std::string>>{"scopes", &R::scopes},
    field<R, token_status>{"status", &R::status},
    field<R, int>{"retention_days", &R::retention_days, view_as::value, {}, {}, false, {},
                  &store::has_retention},
    field<R, std::int64_t>{"created_at_us", &R::created_at_us, view_as::time, "created_at"},
    field<R, std::string>{"created_by", &R::created_by, view_as::text_or_null, {}, {}, true},
    field<R, std::int64_t>{"expires_at_us", &R::expires_at_us, view_as::time, "expires_at", {},
                           true},
    field<R, std::int64_t>{"revoked_at_us", &R::revoked_at_us, view_as::time, "revoked_at", {},
                           true},
    field<R, std::string>{"revoke_reason", &R::revoke_reason, view_as::text_or_null, {}, {}, true},
    field<R, std::optional<sluice::rate_limit>>{"rate_limit", &R::rate_limit, view_as::value, {},
                                                {}, true, "security"},
    field<R, bool>{"rate_limit_shadow", &R::rate_limit_shadow, view_as::value, {}, {}, true,
                   "security"},
    field<R, std::string>{"security_reason", &R::security_reason, view_as::text_or_null, "reason",
                          {}, true, "security"},
    field<R, std::int64_t>{"security_changed_at_us", &R::security_changed_at_us, view_as::time,
                           "changed_at", {}, true, "security"},
    field<R, std::int64_t>{"last_used_at_us", &R::last_used_at_us, view_as::time,
                           "last_used_at", {}, true},
    field<R, std::string>{"last_ip", &R::last_ip, view_as::text_or_null, {}, {}, true},
    field<R, store::usage_record>{"usage", &R::usage, view_as::value, {}, {}, true},
    // The keyed hash of the secret: stored (it is what lookups find), never shown.
    field<R, token_hash>{"hash", &R::hash, view_as::hidden},
  };
};

} // namespace sluice
