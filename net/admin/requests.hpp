#pragma once

#include <variant>

#include "net/admin/approvals.hpp"
#include "net/admin/audit.hpp"
#include "net/admin/common.hpp"
#include "net/admin/messages.hpp"
#include "net/admin/systems.hpp"
#include "net/admin/tenants.hpp"
#include "net/admin/tokens.hpp"
#include "net/admin/users.hpp"

namespace sluice::net {

/// Every admin operation as a typed request, decoded and validated by net/
/// (one file per resource: tenants.cpp, systems.cpp, tokens.cpp, …). The
/// admin actor sees only these. monostate: the body did not decode (the
/// command's decode_problem says why, reported after authentication).
using admin_request =
  std::variant<std::monostate,
               // tenants
               create_tenant_req, list_tenants_req, get_tenant_req, patch_tenant_req,
               // users
               create_user_req, list_users_req, get_user_req, patch_user_req,
               mint_personal_token_req, list_personal_tokens_req,
               // systems
               create_system_req, list_systems_req, get_system_req, patch_system_req,
               system_usage_req,
               // tokens
               mint_token_req, mint_tokens_req, list_system_tokens_req, mint_service_token_req,
               list_service_tokens_req, get_token_req, patch_token_req, set_security_req,
               rotate_token_req, disable_token_req, enable_token_req, revoke_token_req,
               start_emergency_req, end_emergency_req, token_history_req, token_usage_req,
               // approvals, audit, messages, the caller
               list_approvals_req, get_approval_req, approve_req, reject_req, list_audit_req,
               verify_audit_req, list_messages_req, stream_messages_req, whoami_req>;

/// Decodes `in` as a request of type `Request` into `out`. On a problem
/// `out` stays monostate.
template <class Request>
problem decode_as(const admin_input& in, admin_request& out) {
  Request req;
  if (auto p = decode(in, req))
    return p;
  out = std::move(req);
  return {};
}

/// A route's decoder.
using admin_decoder = problem (*)(const admin_input&, admin_request&);

} // namespace sluice::net
