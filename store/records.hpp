#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/rate_limit.hpp"
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

/// Roles a user can hold; superusers belong to no tenant (tenant_id 0).
enum class user_role : std::uint8_t { superuser, admin, member, viewer };
std::string_view to_string(user_role r) noexcept;
std::optional<user_role> parse_user_role(std::string_view s) noexcept;

struct user_record {
  std::uint64_t id = 0;
  std::uint64_t tenant_id = 0;
  std::string name;
  std::string email;
  user_role role = user_role::member;
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
