#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "policy/scopes.hpp"

namespace sluice {

/// Every operation of the admin API (docs/api.md). net/admin_routes.cpp maps
/// method + path to one of these; the admin actor executes it.
enum class admin_op : std::uint8_t {
  // tenants
  create_tenant,
  list_tenants,
  get_tenant,
  patch_tenant,
  // users
  create_user,
  list_users,
  get_user,
  patch_user,
  mint_personal_token,
  list_personal_tokens,
  // systems
  create_system,
  list_systems,
  get_system,
  patch_system,
  system_usage,
  // tokens of a system
  mint_token,
  mint_tokens,
  list_system_tokens,
  // service tokens of a tenant
  mint_service_token,
  list_service_tokens,
  // one token
  get_token,
  patch_token,
  set_token_security,
  rotate_token,
  disable_token,
  enable_token,
  revoke_token,
  start_emergency,
  end_emergency,
  token_history,
  token_usage,
  // approvals
  list_approvals,
  get_approval,
  approve,
  reject,
  // audit, messages, the caller
  list_audit,
  verify_audit_chain,
  list_messages,
  whoami,
};

/// Number of operations (size of per-operation tables).
inline constexpr std::size_t admin_op_count = static_cast<std::size_t>(admin_op::whoami) + 1;

std::string_view to_string(admin_op op) noexcept;

/// What an operation acts on: the record its path's `{id}` names (none for
/// calls on a collection of the whole platform, like GET /tenants).
enum class admin_target : std::uint8_t { none, tenant, system, token, user, approval };

/// Who may run an operation, beyond being authenticated and inside the
/// tenant of its target (policy/authz.hpp applies it).
enum class admin_rule : std::uint8_t {
  superuser, ///< platform operations and break-glass
  member,    ///< any principal of the target's tenant
  scope,     ///< `scope` inside the target's tenant
  token,     ///< `scope` on the token; personal tokens: their user, or users:read/write
  user,      ///< personal tokens of a user: that user, or `scope` (users:write)
  decide,    ///< a person who is a tenant admin or a superuser, not the requester
  anyone,    ///< every authenticated principal (what it sees is filtered)
};

/// One row of the authorization table.
struct admin_permission {
  admin_target target = admin_target::none;
  admin_rule rule = admin_rule::superuser;
  /// The scope the rule names (for rule `scope`, `token`, `user`, and
  /// `anyone` where the listing needs one).
  std::optional<sluice::scope> scope;
  /// Whether the operation changes state (and so is audited).
  bool writes = false;
};

/// The permission row of an operation: the one authorization table.
const admin_permission& permission_of(admin_op op) noexcept;

} // namespace sluice
