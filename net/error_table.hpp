#pragma once

#include "net/http_server.hpp"
#include "policy/errors.hpp"

namespace sluice::net {

/// The HTTP status of a domain error: the one table mapping errc to HTTP.
unsigned http_status(errc code) noexcept;

/// The gRPC status code of a domain error (google.rpc.Code: 3 invalid
/// argument, 7 permission denied, 8 resource exhausted, 16 unauthenticated, …),
/// from the same table; OTLP/HTTP error bodies carry it.
unsigned grpc_status(errc code) noexcept;

/// The message a client is shown for `p`: its own, or its code's default,
/// with anything shaped like a secret replaced by `{token}`
/// (echo_without_secrets). Messages quote the request (a field, a value, an
/// id, a path) and a client may have put a secret there; it is not echoed.
/// One rule for every error body, as the logger has one for every log line.
std::string shown_message(const problem& p);

/// The response for a refusal: `{"error":{"code","message","details"?}}` with
/// its status, `WWW-Authenticate: Bearer` on 401 and `Retry-After` when set;
/// the message and details as shown_message() shows them.
http_response error_response(const problem& p);

} // namespace sluice::net
