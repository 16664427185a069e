#include "policy/admin_ops.hpp"

#include <array>

namespace sluice {

namespace {

struct row {
  std::string_view name;
  admin_permission permission;
};

constexpr std::array<row, admin_op_count> table = {{
  {"create_tenant", {.superuser_only = true, .writes = true}},
  {"list_tenants", {.superuser_only = true, .writes = false}},
  {"get_tenant", {.superuser_only = true, .writes = false}},
  {"patch_tenant", {.superuser_only = true, .writes = true}},
  {"create_system", {.superuser_only = true, .writes = true}},
  {"list_systems", {.superuser_only = true, .writes = false}},
  {"get_system", {.superuser_only = true, .writes = false}},
  {"mint_token", {.superuser_only = true, .writes = true}},
  {"mint_tokens", {.superuser_only = true, .writes = true}},
  {"list_system_tokens", {.superuser_only = true, .writes = false}},
  {"get_token", {.superuser_only = true, .writes = false}},
  {"patch_token", {.superuser_only = true, .writes = true}},
  {"revoke_token", {.superuser_only = true, .writes = true}},
  {"set_token_security", {.superuser_only = true, .writes = true}},
  {"token_usage", {.superuser_only = true, .writes = false}},
  {"system_usage", {.superuser_only = true, .writes = false}},
  {"list_messages", {.superuser_only = true, .writes = false}},
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
