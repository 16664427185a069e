#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/scopes.hpp"
#include "policy/token_format.hpp"

namespace sluice::net {

// Tokens: minting on a system, lists, and the calls on one token.

/// Tokens one bulk mint makes at most (one transaction, one response).
inline constexpr std::int64_t max_bulk_mint = 10'000;

/// POST /systems/{id}/tokens, and …/tokens/bulk (count > 1 allowed).
struct mint_token_req {
  static constexpr admin_op op = admin_op::mint_token;
  std::string name;
  std::string description;
  token_kind kind = token_kind::ingest; ///< ingest (al_) or webhook (alw_)
  std::optional<int> retention_days;    ///< absent: the tier's default
  std::int64_t expires_at_us = 0;       ///< 0 = never
  std::string reason;
  bool is_public = false;
  security_request security;
};

struct mint_tokens_req : mint_token_req {
  static constexpr admin_op op = admin_op::mint_tokens;
  std::uint32_t count = 1;
};

/// POST /tenants/{id}/tokens: a service token of the tenant.
struct mint_service_token_req {
  static constexpr admin_op op = admin_op::mint_service_token;
  std::string name;
  std::string description;
  scope_set scopes;                         ///< at least one, never ingest
  std::vector<std::uint64_t> query_systems; ///< with query: only these systems
  std::int64_t expires_at_us = 0;
  std::string reason;
  bool is_public = false;
  security_request security;
};

struct list_service_tokens_req {
  static constexpr admin_op op = admin_op::list_service_tokens;
  page_request page;
};

struct list_system_tokens_req {
  static constexpr admin_op op = admin_op::list_system_tokens;
  page_request page;
};

struct get_token_req {
  static constexpr admin_op op = admin_op::get_token;
};

struct patch_token_req {
  static constexpr admin_op op = admin_op::patch_token;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::optional<int> retention_days;
};

/// Disable, enable and revoke: a status change, with its reason.
template <admin_op Op>
struct status_change_req {
  static constexpr admin_op op = Op;
  std::string reason;
};
using disable_token_req = status_change_req<admin_op::disable_token>;
using enable_token_req = status_change_req<admin_op::enable_token>;
using revoke_token_req = status_change_req<admin_op::revoke_token>;

/// PUT /tokens/{id}/security: the whole of the settings, with a reason.
struct set_security_req {
  static constexpr admin_op op = admin_op::set_token_security;
  security_request security;
  std::string reason;
};

/// Longest grace a rotated secret may keep (7 days).
inline constexpr std::int64_t max_grace_seconds = 7 * 24 * 3600;

/// POST /tokens/{id}/rotate: a new secret; the old one works `grace_seconds` more.
struct rotate_token_req {
  static constexpr admin_op op = admin_op::rotate_token;
  std::int64_t grace_seconds = 0;
  std::string reason;
};

/// POST /tokens/{id}/emergency-access (break-glass), 1 to 8 hours.
struct start_emergency_req {
  static constexpr admin_op op = admin_op::start_emergency;
  int duration_hours = 1;
  std::string reason;
};

/// DELETE /tokens/{id}/emergency-access: ends it early.
struct end_emergency_req {
  static constexpr admin_op op = admin_op::end_emergency;
  std::string reason;
};

struct token_history_req {
  static constexpr admin_op op = admin_op::token_history;
  page_request page;
};

struct token_usage_req {
  static constexpr admin_op op = admin_op::token_usage;
};

problem decode(const admin_input& in, mint_token_req& out);
problem decode(const admin_input& in, mint_tokens_req& out);
problem decode(const admin_input& in, mint_service_token_req& out);
problem decode(const admin_input& in, list_service_tokens_req& out);
problem decode(const admin_input& in, list_system_tokens_req& out);
problem decode(const admin_input& in, get_token_req& out);
problem decode(const admin_input& in, patch_token_req& out);
problem decode(const admin_input& in, disable_token_req& out);
problem decode(const admin_input& in, enable_token_req& out);
problem decode(const admin_input& in, revoke_token_req& out);
problem decode(const admin_input& in, set_security_req& out);
problem decode(const admin_input& in, rotate_token_req& out);
problem decode(const admin_input& in, start_emergency_req& out);
problem decode(const admin_input& in, end_emergency_req& out);
problem decode(const admin_input& in, token_history_req& out);
problem decode(const admin_input& in, token_usage_req& out);

} // namespace sluice::net
