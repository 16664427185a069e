#include "net/admin/approvals.hpp"

namespace sluice::net {

problem decode(const admin_input& in, list_approvals_req& out) {
  if (auto p = read_page(in, out.page, id_kind::approval))
    return p;
  if (auto v = query_value(in, "status")) {
    if (*v == "pending")
      out.status = approval_filter::pending;
    else if (*v == "approved")
      out.status = approval_filter::approved;
    else if (*v == "rejected")
      out.status = approval_filter::rejected;
    else
      return make_problem(errc::invalid_argument,
                          "status must be one of pending, approved, rejected");
  }
  std::optional<std::uint64_t> tenant;
  if (auto p = read_id_param(in, "tenant", id_kind::tenant, tenant))
    return p;
  out.tenant_id = tenant.value_or(0);
  return {};
}

problem decode(const admin_input&, get_approval_req&) { return {}; }

problem decode(const admin_input& in, approve_req& out) {
  if (auto p = in.json.open(in.body, {"reason"}))
    return p;
  return read_reason(in.json, out.reason, false);
}

problem decode(const admin_input& in, reject_req& out) {
  if (auto p = in.json.open(in.body, {"reason"}))
    return p;
  return read_reason(in.json, out.reason, true);
}

} // namespace sluice::net
