#pragma once

#include <cstdint>
#include <limits>
#include <string>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"

namespace sluice::net {

// The audit log (GET /audit, GET /audit/verification) and the caller (GET /me).

struct list_audit_req {
  static constexpr admin_op op = admin_op::list_audit;
  page_request page;
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  std::uint64_t actor_id = 0; ///< a user (usr_…) or a token (tok_…)
  std::string action;         ///< exact, or a prefix ending in '.'
  std::int64_t since_us = 0;
  std::int64_t until_us = 0; ///< 0: no end
};

/// A walk of the whole hash chain; it takes no parameters.
struct verify_audit_req {
  static constexpr admin_op op = admin_op::verify_audit_chain;
};

struct whoami_req {
  static constexpr admin_op op = admin_op::whoami;
};

problem decode(const admin_input& in, list_audit_req& out);
problem decode(const admin_input& in, verify_audit_req& out);
problem decode(const admin_input& in, whoami_req& out);

} // namespace sluice::net
