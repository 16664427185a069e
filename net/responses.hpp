#pragma once

#include <string>
#include <string_view>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/url.hpp"

namespace sluice::net {

// Responses and route descriptions both ports share: one place each.

/// One operation a port serves, as its API description must list it.
struct route_info {
  std::string_view method;   ///< "GET", "POST", …
  std::string path;          ///< the full path; "{id}" for a path parameter
  std::string_view query;    ///< query parameters besides api_key, space-separated
  bool authenticated = true; ///< takes a token (and so also api_key)
};

/// True when a Content-Type names JSON (application/json, any "+json", or
/// absent: clients that send raw JSON without a type are common).
bool is_json_content_type(std::string_view content_type) noexcept;

/// True when a Content-Type names the media type `type` (case-insensitive,
/// parameters after ';' ignored).
bool is_content_type(std::string_view content_type, std::string_view type) noexcept;

/// The response for a request the server refused before routing it.
http_response refusal_response(unsigned status, std::string_view why);

/// 404 for an unknown path, 405 (with Allow) for a known path and wrong method.
http_response not_found_response(std::string_view path);
http_response method_not_allowed_response(std::string_view allow);

/// GET (or HEAD) /healthz and /readyz, the same on both ports (their door is
/// `health`): liveness, 200 whenever the process answers; readiness, 200
/// while storage accepts writes and has room, 503 naming every failing check
/// otherwise (`ready` is asked only for /readyz). 405 for other methods.
http_response health_response(const http_request& req, const gateway& gw);

/// The JSON reply of a gateway call as a response: its status from `kind`, or
/// the error table's for a refusal.
http_response to_response(json_reply&& reply);

/// `r`, marked with the token that the gateway call of `reply` authenticated
/// (its token_id), so that the access log names it. Every response built
/// from a gateway reply goes through this, or through to_response.
template <class Reply>
http_response with_token(http_response&& r, const Reply& reply) {
  r.token_id = reply.token_id;
  return std::move(r);
}

/// 400 for a query parameter the endpoint does not define or one it was
/// given twice.
http_response refused_query_response(const query_refusal& why);

} // namespace sluice::net
