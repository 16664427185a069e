#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/scopes.hpp"
#include "policy/tiers.hpp"

namespace sluice::net {

// Tenants: POST /tenants, GET /tenants, GET and PATCH /tenants/{id}.

/// A change to a tenant's overrides, as a body gives it: for each cap, keep
/// it (absent), remove it (null) or set it (a value).
struct overrides_change {
  cap_overrides set;                     ///< caps given a value
  std::vector<std::string_view> removed; ///< keys given null (cap_fields' keys)

  /// `o` with the change applied.
  cap_overrides applied_to(cap_overrides o) const;
};

struct create_tenant_req {
  static constexpr admin_op op = admin_op::create_tenant;
  std::string name;
  sluice::tier tier = sluice::tier::free;
  overrides_change overrides;
  approval_policy approval = approval_policy::high;
};

struct list_tenants_req {
  static constexpr admin_op op = admin_op::list_tenants;
  page_request page;
};

struct get_tenant_req {
  static constexpr admin_op op = admin_op::get_tenant;
};

struct patch_tenant_req {
  static constexpr admin_op op = admin_op::patch_tenant;
  std::optional<std::string> name;
  std::optional<sluice::tier> tier;
  overrides_change overrides;
  std::optional<approval_policy> approval;
};

problem decode(const admin_input& in, create_tenant_req& out);
problem decode(const admin_input& in, list_tenants_req& out);
problem decode(const admin_input& in, get_tenant_req& out);
problem decode(const admin_input& in, patch_tenant_req& out);

} // namespace sluice::net
