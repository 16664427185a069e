#pragma once

#include <string>
#include <string_view>

#include "net/http_server.hpp"
#include "policy/cidr.hpp"

namespace sluice::net {

/// A header value (or one item of a list-valued header) without the optional
/// whitespace around it (RFC 9110 OWS: spaces and tabs).
std::string_view trim_ows(std::string_view s) noexcept;

/// The token a request presents, from (in this order) `Authorization: Bearer`,
/// `X-API-KEY`, or the `api_key` query parameter (decoded into `scratch`, which
/// the returned view may point into). Empty when none is presented. Nothing is
/// checked here: format and lookup are the gateway's business.
std::string_view extract_token(const http_request& req, std::string& scratch);

/// Like extract_token, and also HTTP Basic with the token as the password
/// (the user name, a Langfuse "public key", is ignored): how the Langfuse
/// SDKs authenticate.
std::string_view extract_token_or_basic(const http_request& req, std::string& scratch);

/// `path` as it may be echoed in an error or written to a log: anything shaped
/// like a token secret replaced by "{token}" (the one rule,
/// policy/token_format.hpp redact_secrets, which the logger applies too). A
/// webhook token travels in the path; a client that mistypes the route must
/// not get its secret back in a 404 either, also when it sent it encoded
/// (`%61l_…`): then the path is echoed decoded, the secret redacted, and the
/// bytes that are not printable ASCII encoded again.
std::string path_without_secrets(std::string_view path);

/// The client's address: the socket's peer, unless the peer is one of the
/// `trusted` proxies; then what their X-Forwarded-For headers say (see
/// policy/cidr.hpp client_ip). The view points into the request or into
/// `scratch`. With no trusted proxies (the default) it is the peer, at no cost.
std::string_view client_address(const http_request& req, const ip_allowlist& trusted,
                                std::string& scratch);

} // namespace sluice::net
