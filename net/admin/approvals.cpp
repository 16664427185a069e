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
  if (auto v = query_value(in, "tenant")) {
    auto id = parse_id(id_kind::tenant, *v);
    if (!id)
      return make_problem(errc::invalid_argument, "tenant must be a tenant id (ten_…)");
    out.tenant_id = *id;
  }
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
