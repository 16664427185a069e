#pragma once

#include <optional>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"

namespace sluice::net {

// Systems: POST and GET /tenants/{id}/systems, GET /systems/{id}, and a
// system's usage.

struct create_system_req {
  static constexpr admin_op op = admin_op::create_system;
  std::string name;
  std::string description;
};

struct list_systems_req {
  static constexpr admin_op op = admin_op::list_systems;
  page_request page;
};

struct get_system_req {
  static constexpr admin_op op = admin_op::get_system;
};

struct patch_system_req {
  static constexpr admin_op op = admin_op::patch_system;
  std::optional<std::string> name;
  std::optional<std::string> description;
};

struct system_usage_req {
  static constexpr admin_op op = admin_op::system_usage;
};

problem decode(const admin_input& in, create_system_req& out);
problem decode(const admin_input& in, list_systems_req& out);
problem decode(const admin_input& in, get_system_req& out);
problem decode(const admin_input& in, patch_system_req& out);
problem decode(const admin_input& in, system_usage_req& out);

} // namespace sluice::net
