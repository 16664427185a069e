#include "policy/admin_ops.hpp"

#include <array>

namespace sluice {

namespace {

struct row {
  std::string_view name;
  admin_permission permission;
};

using t = admin_target;
using r = admin_rule;
using s = sluice::scope;

// The authorization table: what each operation acts on, and who may run it.
// Reads need the *:read scope, changes the *:write scope, of the tenant the
// target belongs to; a caller outside that tenant never learns it exists
// (policy/authz.cpp answers 404 before anything else).
constexpr std::array<row, admin_op_count> table = {{
  // tenants
  {"create_tenant", {t::none, r::superuser, {}, true}},
  {"list_tenants", {t::none, r::superuser, {}, false}},
  {"get_tenant", {t::tenant, r::member, {}, false}},
  {"patch_tenant", {t::tenant, r::superuser, {}, true}},
  // users
  {"create_user", {t::tenant, r::scope, s::users_write, true}},
  {"list_users", {t::tenant, r::scope, s::users_read, false}},
  {"get_user", {t::user, r::scope, s::users_read, false}},
  {"patch_user", {t::user, r::scope, s::users_write, true}},
  {"mint_personal_token", {t::user, r::user, s::users_write, true}},
  {"list_personal_tokens", {t::user, r::user, s::users_read, false}},
  // systems
  {"create_system", {t::tenant, r::scope, s::systems_write, true}},
  {"list_systems", {t::tenant, r::scope, s::systems_read, false}},
  {"get_system", {t::system, r::scope, s::systems_read, false}},
  {"patch_system", {t::system, r::scope, s::systems_write, true}},
  {"system_usage", {t::system, r::scope, s::systems_read, false}},
  // tokens of a system
  {"mint_token", {t::system, r::scope, s::tokens_write, true}},
  {"mint_tokens", {t::system, r::scope, s::tokens_write, true}},
  {"list_system_tokens", {t::system, r::scope, s::tokens_read, false}},
  // service tokens of a tenant
  {"mint_service_token", {t::tenant, r::scope, s::tokens_write, true}},
  {"list_service_tokens", {t::tenant, r::scope, s::tokens_read, false}},
  // one token
  {"get_token", {t::token, r::token, s::tokens_read, false}},
  {"patch_token", {t::token, r::token, s::tokens_write, true}},
  {"set_token_security", {t::token, r::token, s::tokens_write, true}},
  {"rotate_token", {t::token, r::token, s::tokens_write, true}},
  {"disable_token", {t::token, r::token, s::tokens_write, true}},
  {"enable_token", {t::token, r::token, s::tokens_write, true}},
  {"revoke_token", {t::token, r::token, s::tokens_write, true}},
  {"start_emergency", {t::token, r::superuser, {}, true}},
  {"end_emergency", {t::token, r::superuser, {}, true}},
  {"token_history", {t::token, r::token, s::tokens_read, false}},
  {"token_usage", {t::token, r::token, s::tokens_read, false}},
  // approvals
  {"list_approvals", {t::none, r::anyone, s::tokens_read, false}},
  {"get_approval", {t::approval, r::scope, s::tokens_read, false}},
  {"approve", {t::approval, r::decide, {}, true}},
  {"reject", {t::approval, r::decide, {}, true}},
  // audit, messages, the caller
  {"list_audit", {t::none, r::anyone, s::audit_read, false}},
  // The chain spans every tenant: its length and head tell how busy the
  // others are, so its verdict is the platform's (a tenant anchors its own
  // events with the hash of any one of them, docs/access-control.md).
  {"verify_audit_chain", {t::none, r::superuser, {}, false}},
  {"list_messages", {t::system, r::scope, s::query, false}},
  {"whoami", {t::none, r::anyone, {}, false}},
}};
static_assert(table[admin_op_count - 1].name == "whoami", "one row per operation, in order");

} // namespace

std::string_view to_string(admin_op op) noexcept {
  return table[static_cast<std::size_t>(op)].name;
}

const admin_permission& permission_of(admin_op op) noexcept {
  return table[static_cast<std::size_t>(op)].permission;
}

} // namespace sluice
