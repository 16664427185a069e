#include "policy/admin_ops.hpp"

#include <array>

namespace sluice {

namespace {

struct row {
  std::string_view name;
  admin_permission permission;
};

constexpr std::array<row, admin_op_count> table = {{
  {"create_tenant", {.superuser_only = true, .writes = true, .target = admin_target::none}},
  {"list_tenants", {.superuser_only = true, .writes = false, .target = admin_target::none}},
  {"get_tenant", {.superuser_only = true, .writes = false, .target = admin_target::tenant}},
  {"patch_tenant", {.superuser_only = true, .writes = true, .target = admin_target::tenant}},
  {"create_system", {.superuser_only = true, .writes = true, .target = admin_target::tenant}},
  {"list_systems", {.superuser_only = true, .writes = false, .target = admin_target::tenant}},
  {"get_system", {.superuser_only = true, .writes = false, .target = admin_target::system}},
  {"mint_token", {.superuser_only = true, .writes = true, .target = admin_target::system}},
  {"mint_tokens", {.superuser_only = true, .writes = true, .target = admin_target::system}},
  {"list_system_tokens", {.superuser_only = true, .writes = false, .target = admin_target::system}},
  {"get_token", {.superuser_only = true, .writes = false, .target = admin_target::token}},
  {"patch_token", {.superuser_only = true, .writes = true, .target = admin_target::token}},
  {"revoke_token", {.superuser_only = true, .writes = true, .target = admin_target::token}},
  {"set_token_security", {.superuser_only = true, .writes = true, .target = admin_target::token}},
  {"token_usage", {.superuser_only = true, .writes = false, .target = admin_target::token}},
  {"system_usage", {.superuser_only = true, .writes = false, .target = admin_target::system}},
  {"list_messages", {.superuser_only = true, .writes = false, .target = admin_target::system}},
}};
static_assert(table[admin_op_count - 1].name == "list_messages");

} // namespace

std::string_view to_string(admin_op op) noexcept {
  return table[static_cast<std::size_t>(op)].name;
}

const admin_permission& permission_of(admin_op op) noexcept {
  return table[static_cast<std::size_t>(op)].permission;
}

} // namespace sluice
