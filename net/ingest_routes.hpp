#pragma once

#include <optional>
#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/otlp/otlp.hpp"
#include "net/responses.hpp"
#include "policy/cidr.hpp"

namespace sluice::net {

/// The ingest port's routes (docs/api.md): its doors (POST /messages, OTLP/HTTP
/// logs and traces, the Langfuse ingestion API, webhooks), GET /systems/me
/// and GET /healthz. Turns each request into a gateway command (decoding the
/// body of the doors with formats of their own) and each reply into a
/// response in the door's own shape; decides nothing else.
class ingest_routes final : public request_handler {
public:
  /// `trusted_proxies`: whose X-Forwarded-For names the client (outlives
  /// this); `max_body`: the largest body once decompressed; `max_records`:
  /// the most messages one request of a decoding door may hold.
  ingest_routes(gateway& g, const ip_allowlist& trusted_proxies, std::size_t max_body,
                std::size_t max_records) noexcept
      : gateway_(g), trusted_(trusted_proxies), max_body_(max_body), max_records_(max_records) {}

  void handle(const http_request& req, responder res) override;
  /// What head_check() refuses, the token included on every door: no body
  /// need be sent for a request its header already fails.
  std::optional<http_response> answer_before_body(const http_request& head) override;
  http_response refusal(unsigned status, std::string_view why) override;
  /// Sends on the requests the gateway gathered this turn.
  void end_of_turn() override;

private:
  /// The refusal a request's header alone decides, in its door's shape:
  /// no such route (404), the method (405), a query parameter (400), the
  /// body's type or coding (415) and, with `screen_token` (before the body
  /// is sent), a token that is missing, malformed or unknown (401). None:
  /// go on with the door's handler.
  std::optional<http_response> head_check(const http_request& req, http_door door,
                                          bool screen_token);
  // One handler per door, after head_check().
  void native(const http_request& req, responder res);
  void otlp(const http_request& req, responder res, otlp::signal signal);
  void langfuse(const http_request& req, responder res);
  void webhook(const http_request& req, responder res);

  gateway& gateway_;
  const ip_allowlist& trusted_;
  std::size_t max_body_;
  std::size_t max_records_;
};

/// Every operation of the ingest port, for the test that holds the OpenAPI
/// document to what the server serves.
std::vector<route_info> ingest_route_list();

} // namespace sluice::net
