#include "net/admin_routes.hpp"

#include <array>
#include <optional>
#include <string>

#include "net/auth.hpp"
#include "net/error_table.hpp"
#include "net/ingest_routes.hpp"
#include "net/url.hpp"
#include "policy/time.hpp"

namespace sluice::net {

namespace {

/// One admin route: a path pattern under /api/v1 where "{id}" matches one
/// segment, and the operation of each method on it.
struct route {
  std::string_view pattern;
  method verb;
  admin_op op;
};

constexpr std::array<route, 17> routes = {{
  {"/tenants", method::post, admin_op::create_tenant},
  {"/tenants", method::get, admin_op::list_tenants},
  {"/tenants/{id}", method::get, admin_op::get_tenant},
  {"/tenants/{id}", method::patch, admin_op::patch_tenant},
  {"/tenants/{id}/systems", method::post, admin_op::create_system},
  {"/tenants/{id}/systems", method::get, admin_op::list_systems},
  {"/systems/{id}", method::get, admin_op::get_system},
  {"/systems/{id}/tokens", method::post, admin_op::mint_token},
  {"/systems/{id}/tokens", method::get, admin_op::list_system_tokens},
  {"/systems/{id}/tokens/bulk", method::post, admin_op::mint_tokens},
  {"/systems/{id}/messages", method::get, admin_op::list_messages},
  {"/systems/{id}/usage", method::get, admin_op::system_usage},
  {"/tokens/{id}", method::get, admin_op::get_token},
  {"/tokens/{id}", method::patch, admin_op::patch_token},
  {"/tokens/{id}/revoke", method::post, admin_op::revoke_token},
  {"/tokens/{id}/security", method::put, admin_op::set_token_security},
  {"/tokens/{id}/usage", method::get, admin_op::token_usage},
}};

constexpr std::string_view api_prefix = "/api/v1";

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

void admin_routes::handle(const http_request& req, responder res) {
  if (req.path == "/healthz")
    return res.send(healthz_response(req, gateway_.healthy()));
  if (req.path.substr(0, api_prefix.size()) != api_prefix)
    return res.send(not_found_response(req.path));
  auto path = req.path.substr(api_prefix.size());

  std::optional<admin_op> op;
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
      op = r.op;
      id = candidate;
    }
  }
  if (allow.empty())
    return res.send(not_found_response(req.path));
  if (!op)
    return res.send(method_not_allowed_response(allow));
  if (!req.body.empty() && !is_json_content_type(req.header("content-type")))
    return res.send(error_response(
      make_problem(errc::unsupported_media_type, "the admin API takes application/json")));

  admin_command cmd;
  cmd.op = *op;
  std::string scratch;
  cmd.secret = std::string{extract_token(req, scratch)};
  cmd.client_ip = std::string{req.peer_ip};
  cmd.path_id = std::string{id};
  cmd.query = parse_query(req.query);
  cmd.body = std::string{req.body};
  cmd.received_at_us = now_us();
  gateway_.admin(std::move(cmd), [res](json_reply&& reply) {
    res.send(to_response(std::move(reply)));
  });
}

} // namespace sluice::net
