#pragma once

#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/message_tail.hpp"
#include "net/responses.hpp"
#include "policy/cidr.hpp"
#include "policy/metrics.hpp"

namespace sluice::net {

/// The admin port's routes: matches method and path to an admin operation,
/// packs it as an admin_command for the gateway, and turns the reply into a
/// response. Also answers GET /healthz, GET /api/v1/openapi.json (the API
/// description of both ports, built into the binary from docs/openapi.json)
/// and GET /metrics (Prometheus, no token: the admin port listens on loopback
/// by default, and the metrics carry no secret and no tenant's data).
class admin_routes final : public request_handler {
public:
  /// `trusted_proxies`: whose X-Forwarded-For names the client (outlives this).
  /// `metrics`: what GET /metrics renders (outlives this); null: no /metrics.
  /// `streams`: how live tails behave; `max_streams`: how many may be open
  /// at once (more are refused with 503 too_many_streams).
  admin_routes(gateway& g, const ip_allowlist& trusted_proxies,
               const gateway_metrics* metrics = nullptr, const stream_settings& streams = {},
               std::size_t max_streams = default_max_streams)
      : gateway_(g), trusted_(trusted_proxies), metrics_(metrics), stream_settings_(streams),
        streams_(max_streams) {}

  /// Live tails open now.
  std::size_t open_streams() const noexcept { return streams_.open(); }

  void handle(const http_request& req, responder res) override;
  http_response refusal(unsigned status, std::string_view why) override;

private:
  gateway& gateway_;
  const ip_allowlist& trusted_;
  const gateway_metrics* metrics_;
  stream_settings stream_settings_;
  stream_slots streams_;
};

/// Every operation of the admin port, for the test that holds the OpenAPI
/// document to what the server serves.
std::vector<route_info> admin_route_list();

} // namespace sluice::net
