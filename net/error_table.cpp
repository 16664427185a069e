#include "net/error_table.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "net/url.hpp"
#include "policy/json_writer.hpp"
#include "policy/token_format.hpp"

namespace sluice::net {

namespace {

struct row {
  errc code;
  unsigned status;
  /// The gRPC status code (google.rpc.Code) OTLP/HTTP puts in the Status body
  /// of an error to a protobuf request; the HTTP status decides retries.
  std::uint8_t grpc;
};

// Indexed by errc; every code appears once, in the enum's order.
constexpr std::array<row, static_cast<std::size_t>(errc::internal) + 1> table = {{
  {errc::ok, 200, 0},
  {errc::invalid_token, 401, 16},
  {errc::token_revoked, 401, 16},
  {errc::token_expired, 401, 16},
  {errc::token_disabled, 401, 16},
  {errc::token_pending, 401, 16},
  {errc::user_inactive, 401, 16},
  {errc::insufficient_scope, 403, 7},
  {errc::forbidden, 403, 7},
  {errc::ip_not_allowed, 403, 7},
  {errc::outside_allowed_hours, 403, 7},
  {errc::malformed_json, 400, 3},
  {errc::invalid_message, 400, 3},
  {errc::invalid_argument, 400, 3},
  {errc::retention_not_allowed, 400, 3},
  {errc::not_found, 404, 5},
  {errc::method_not_allowed, 405, 12},
  {errc::message_too_large, 413, 8},
  {errc::request_too_large, 413, 8},
  {errc::uri_too_long, 414, 3},
  {errc::header_too_large, 431, 8},
  {errc::batch_too_large, 413, 8},
  {errc::unsupported_media_type, 415, 3},
  {errc::token_limit_reached, 409, 9},
  {errc::conflict, 409, 10},
  {errc::rate_limited, 429, 8},
  {errc::too_many_streams, 503, 14},
  {errc::storage_busy, 503, 14},
  {errc::storage_full, 507, 8},
  {errc::internal, 500, 13},
}};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < table.size(); ++i)
    if (static_cast<std::size_t>(table[i].code) != i)
      return false;
  return true;
}
static_assert(table_in_order(), "the status table must list every errc in order");

} // namespace

unsigned http_status(errc code) noexcept {
  auto i = static_cast<std::size_t>(code);
  return i < table.size() ? table[i].status : 500;
}

unsigned grpc_status(errc code) noexcept {
  auto i = static_cast<std::size_t>(code);
  return i < table.size() ? table[i].grpc : 13;
}

std::string shown_message(const problem& p) {
  if (p.message.empty())
    return sluice_category().message(static_cast<int>(p.code));
  // A message quoting the request may hold a secret sent percent-encoded
  // (an id in the path, `/tenants/%61l_…`): found decoded too.
  return redact_encoded(p.message, [](std::string_view s) { return echo_without_secrets(s); });
}

http_response error_response(const problem& p) {
  http_response res;
  res.status = http_status(p.code);
  json_writer w{res.body};
  w.begin_object().key("error").begin_object();
  w.field("code", code_name(p.code));
  w.field("message", shown_message(p));
  // JSON already; what redaction puts in (`{token}`) needs no escaping.
  if (!p.details_json.empty())
    w.key("details").raw(echo_without_secrets(p.details_json));
  w.end_object().end_object();
  if (res.status == 401) // RFC 6750: tell the client how to authenticate
    res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"sluice\"");
  if (p.retry_after_s > 0)
    res.headers.emplace_back("Retry-After", std::to_string(p.retry_after_s));
  return res;
}

} // namespace sluice::net
