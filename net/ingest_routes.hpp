#pragma once

#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/responses.hpp"
#include "policy/cidr.hpp"

namespace sluice::net {

/// The ingest port's routes (docs/api.md): POST /messages, GET /systems/me,
/// GET /healthz. Turns each request into a gateway command and each reply into
/// a response; decides nothing else.
class ingest_routes final : public request_handler {
public:
  /// `trusted_proxies`: whose X-Forwarded-For names the client (outlives this).
  ingest_routes(gateway& g, const ip_allowlist& trusted_proxies) noexcept
    : gateway_(g), trusted_(trusted_proxies) {}

  void handle(const http_request& req, responder res) override;
  http_response refusal(unsigned status, std::string_view why) override;

private:
  gateway& gateway_;
  const ip_allowlist& trusted_;
};

/// Every operation of the ingest port, for the test that holds the OpenAPI
/// document to what the server serves.
std::vector<route_info> ingest_route_list();

} // namespace sluice::net
