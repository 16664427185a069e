#include "net/admin_routes.hpp"

#include <array>
#include <optional>
#include <string>
#include <type_traits>

#include "net/admin/requests.hpp"
#include "net/auth.hpp"
#include "net/decompress.hpp"
#include "net/doors.hpp"
#include "net/openapi.hpp"
#include "net/portal.hpp"
#include "net/error_table.hpp"
#include "net/ingest_routes.hpp"
#include "net/message_tail.hpp"
#include "net/url.hpp"
#include "policy/time.hpp"

namespace sluice::net {

namespace {

/// One admin route: a path pattern under /api/v1 where "{id}" matches one
/// segment, the method, the operation's decoder (net/admin/<resource>.cpp),
/// and the query parameters it takes besides api_key (separated by spaces).
/// Every parameter not listed is refused here, so the rule is the same for
/// every call.
struct route {
  std::string_view pattern;
  method verb;
  admin_op op;
  admin_decoder decode;
  std::string_view query = {};
  /// Answered with a stream (Server-Sent Events), not one JSON reply.
  bool stream = false;
};

/// A route to the operation of request type `R`.
template <class R>
constexpr route to(std::string_view pattern, method verb, std::string_view query = {}) {
  return {pattern, verb, R::op, &decode_as<R>, query, std::is_same_v<R, stream_messages_req>};
}

constexpr std::string_view paged = "limit cursor";

constexpr auto routes = std::to_array<route>({
  // tenants
  to<create_tenant_req>("/tenants", method::post),
  to<list_tenants_req>("/tenants", method::get, paged),
  to<get_tenant_req>("/tenants/{id}", method::get),
  to<patch_tenant_req>("/tenants/{id}", method::patch),
  // users
  to<create_user_req>("/tenants/{id}/users", method::post),
  to<list_users_req>("/tenants/{id}/users", method::get, paged),
  to<get_user_req>("/users/{id}", method::get),
  to<patch_user_req>("/users/{id}", method::patch),
  to<mint_personal_token_req>("/users/{id}/tokens", method::post),
  to<list_personal_tokens_req>("/users/{id}/tokens", method::get, paged),
  // systems
  to<create_system_req>("/tenants/{id}/systems", method::post),
  to<list_systems_req>("/tenants/{id}/systems", method::get, paged),
  to<get_system_req>("/systems/{id}", method::get),
  to<patch_system_req>("/systems/{id}", method::patch),
  to<system_usage_req>("/systems/{id}/usage", method::get),
  to<list_messages_req>("/systems/{id}/messages", method::get,
                        "since until token level source limit cursor"),
  // the live tail: the list's operation, streamed (net/message_tail.hpp)
  to<stream_messages_req>("/systems/{id}/messages/stream", method::get, "token"),
  // tokens: of a system, of a tenant (service tokens), and one token
  to<mint_token_req>("/systems/{id}/tokens", method::post),
  to<list_system_tokens_req>("/systems/{id}/tokens", method::get, paged),
  to<mint_tokens_req>("/systems/{id}/tokens/bulk", method::post),
  to<mint_service_token_req>("/tenants/{id}/tokens", method::post),
  to<list_service_tokens_req>("/tenants/{id}/tokens", method::get, paged),
  to<get_token_req>("/tokens/{id}", method::get),
  to<patch_token_req>("/tokens/{id}", method::patch),
  to<set_security_req>("/tokens/{id}/security", method::put),
  to<rotate_token_req>("/tokens/{id}/rotate", method::post),
  to<disable_token_req>("/tokens/{id}/disable", method::post),
  to<enable_token_req>("/tokens/{id}/enable", method::post),
  to<revoke_token_req>("/tokens/{id}/revoke", method::post),
  to<start_emergency_req>("/tokens/{id}/emergency-access", method::post),
  to<end_emergency_req>("/tokens/{id}/emergency-access", method::del),
  to<token_history_req>("/tokens/{id}/history", method::get, paged),
  to<token_usage_req>("/tokens/{id}/usage", method::get),
  // approvals
  to<list_approvals_req>("/approvals", method::get, "status tenant limit cursor"),
  to<get_approval_req>("/approvals/{id}", method::get),
  to<approve_req>("/approvals/{id}/approve", method::post),
  to<reject_req>("/approvals/{id}/reject", method::post),
  // the audit log and the caller
  to<list_audit_req>("/audit", method::get,
                     "tenant system token actor action since until limit cursor"),
  to<verify_audit_req>("/audit/verification", method::get),
  to<whoami_req>("/me", method::get),
});
/// Every operation has a route (the live tail shares the list's).
constexpr bool every_op_routed() {
  for (std::size_t op = 0; op < admin_op_count; ++op) {
    bool found = false;
    for (const auto& r : routes)
      found = found || static_cast<std::size_t>(r.op) == op;
    if (!found)
      return false;
  }
  return true;
}
static_assert(every_op_routed(), "a route for every admin operation");

constexpr std::string_view api_prefix = "/api/v1";
constexpr std::string_view openapi_path = "/api/v1/openapi.json";
constexpr std::string_view metrics_path = "/metrics";

/// Matches `path` against `pattern`; on success the "{id}" segment (if any) is
/// stored in `id`.
bool match(std::string_view pattern, std::string_view path, std::string_view& id) {
  while (!pattern.empty() && !path.empty()) {
    if (pattern.front() != '/' || path.front() != '/')
      return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    auto pseg = pattern.substr(0, pattern.find('/'));
    auto seg = path.substr(0, path.find('/'));
    if (pseg == "{id}") {
      if (seg.empty())
        return false;
      id = seg;
    } else if (pseg != seg) {
      return false;
    }
    pattern.remove_prefix(pseg.size());
    path.remove_prefix(seg.size());
  }
  return pattern.empty() && (path.empty() || path == "/");
}

std::string_view method_name(method m) {
  switch (m) {
    case method::get: return "GET";
    case method::post: return "POST";
    case method::put: return "PUT";
    case method::patch: return "PATCH";
    case method::del: return "DELETE";
    default: return "";
  }
}

} // namespace

http_response admin_routes::refusal(unsigned status, std::string_view why) {
  return refusal_response(status, why);
}

std::vector<route_info> admin_route_list() {
  std::vector<route_info> out = {
    {"GET", "/healthz", "", false},
    {"HEAD", "/healthz", "", false},
    {"GET", "/readyz", "", false},
    {"HEAD", "/readyz", "", false},
    {"GET", std::string{openapi_path}, "", false},
    {"GET", std::string{metrics_path}, "", false},
  };
  for (auto& r : routes)
    out.push_back(
      {method_name(r.verb), std::string{api_prefix} + std::string{r.pattern}, r.query, true});
  return out;
}

void admin_routes::handle(const http_request& req, responder res) {
  // The same classification the metrics count by (net/doors.hpp).
  auto door = admin_door_of(req.path);
  if (door == http_door::health)
    return res.send(health_response(req, gateway_));
  if (door == http_door::openapi) {
    if (req.verb != method::get)
      return res.send(method_not_allowed_response("GET"));
    if (auto bad = refused_query_param(req.query, ""))
      return res.send(refused_query_response(*bad));
    http_response doc;
    doc.body.assign(openapi_document());
    return res.send(std::move(doc));
  }
  if (door == http_door::metrics && metrics_) {
    // No token: Prometheus scrapes it. What it shows is counts and sizes
    // labelled from fixed enumerations (policy/metrics.hpp), nothing of a
    // tenant or a secret; the admin port itself is private by default.
    if (req.verb != method::get)
      return res.send(method_not_allowed_response("GET"));
    if (auto bad = refused_query_param(req.query, ""))
      return res.send(refused_query_response(*bad));
    http_response scrape;
    scrape.content_type = metrics_content_type;
    scrape.body = metrics_->render();
    return res.send(std::move(scrape));
  }
  // The portal's files: not API, and no token (the pages ask for one and
  // send it with each API call they make).
  if (door == http_door::portal)
    return res.send(portal_response(req));
  if (req.path.substr(0, api_prefix.size()) != api_prefix)
    return res.send(not_found_response(req.path));
  auto path = req.path.substr(api_prefix.size());

  const route* found = nullptr;
  std::string_view id;
  std::string allow;
  for (auto& r : routes) {
    std::string_view candidate;
    if (!match(r.pattern, path, candidate))
      continue;
    if (!allow.empty())
      allow += ", ";
    allow += method_name(r.verb);
    if (r.verb == req.verb) {
      found = &r;
      id = candidate;
    }
  }
  if (allow.empty())
    return res.send(not_found_response(req.path));
  if (!found)
    return res.send(method_not_allowed_response(allow));
  if (!req.query.empty()) {
    std::string allowed{found->query};
    allowed += allowed.empty() ? "api_key" : " api_key";
    if (auto bad = refused_query_param(req.query, allowed))
      return res.send(refused_query_response(*bad));
  }
  if (!req.body.empty() && !is_json_content_type(req.header("content-type")))
    return res.send(error_response(
      make_problem(errc::unsupported_media_type, "the admin API takes application/json")));
  // Admin bodies are small and taken as sent: a coded one would otherwise
  // be read as if it were not (RFC 9110 15.5.16: 415 for a coding the
  // server does not take).
  if (content_coding_of(req) != content_coding::identity)
    return res.send(error_response(make_problem(
      errc::unsupported_media_type, "the admin API takes no Content-Encoding but identity")));

  admin_command cmd;
  cmd.op = found->op;
  std::string scratch;
  cmd.secret = std::string{extract_token(req, scratch)};
  std::string address;
  cmd.client_ip = std::string{client_address(req, trusted_, address)};
  cmd.path_id = std::string{id};
  cmd.received_at_us = now_us();
  // Decoded here, on the I/O thread, with the thread's parser; the admin
  // actor gets a typed request (or the problem, told after authentication).
  thread_local json_body json;
  auto query = parse_query(req.query);
  admin_input in{id, query, req.body, cmd.received_at_us, json};
  cmd.decode_problem = found->decode(in, cmd.request);
  if (found->stream)
    return open_message_tail(gateway_, std::move(cmd), req.header("last-event-id"), streams_,
                             stream_settings_, std::move(res));
  gateway_.admin(std::move(cmd),
                 [res](json_reply&& reply) { res.send(to_response(std::move(reply))); });
}

} // namespace sluice::net
