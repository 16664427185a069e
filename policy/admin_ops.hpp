#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

/// Every operation of the admin API (docs/api.md). net/admin_routes.cpp maps
/// method + path to one of these; the admin actor executes it.
enum class admin_op : std::uint8_t {
  create_tenant,
  list_tenants,
  get_tenant,
  patch_tenant,
  create_system,
  list_systems,
  get_system,
  mint_token,
  mint_tokens,
  list_system_tokens,
  get_token,
  patch_token,
  revoke_token,
  set_token_security,
  token_usage,
  system_usage,
  list_messages,
};

/// Number of operations (size of per-operation tables).
inline constexpr std::size_t admin_op_count = static_cast<std::size_t>(admin_op::list_messages) + 1;

std::string_view to_string(admin_op op) noexcept;

/// What an operation acts on: the record its path's `{id}` names (none for
/// calls on a collection of the whole platform, like GET /tenants).
enum class admin_target : std::uint8_t { none, tenant, system, token };

/// Who may run an operation. Today every operation is superuser-only; when
/// users, roles and scoped service tokens arrive, each row gains its scope and
/// the roles that may use it, and authorisation reads this table unchanged.
struct admin_permission {
  bool superuser_only = true;
  /// Whether the operation changes state (and so is audited, later).
  bool writes = false;
  admin_target target = admin_target::none;
};

/// The permission row of an operation.
const admin_permission& permission_of(admin_op op) noexcept;

} // namespace sluice
