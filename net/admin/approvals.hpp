#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"

namespace sluice::net {

// Approvals of tokens that wait for one: list, read, approve, reject.

enum class approval_filter : std::uint8_t { pending, approved, rejected };

struct list_approvals_req {
  static constexpr admin_op op = admin_op::list_approvals;
  page_request page;
  std::optional<approval_filter> status;
  std::uint64_t tenant_id = 0; ///< 0: every tenant the caller may see
};

struct get_approval_req {
  static constexpr admin_op op = admin_op::get_approval;
};

/// POST /approvals/{id}/approve (reason optional) and …/reject (required).
template <admin_op Op>
struct decide_req {
  static constexpr admin_op op = Op;
  std::string reason;
};
using approve_req = decide_req<admin_op::approve>;
using reject_req = decide_req<admin_op::reject>;

problem decode(const admin_input& in, list_approvals_req& out);
problem decode(const admin_input& in, get_approval_req& out);
problem decode(const admin_input& in, approve_req& out);
problem decode(const admin_input& in, reject_req& out);

} // namespace sluice::net
