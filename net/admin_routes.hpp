#pragma once

#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/responses.hpp"

namespace sluice::net {

/// The admin port's routes: matches method and path to an admin operation,
/// packs it as an admin_command for the gateway, and turns the reply into a
/// response. Also answers GET /healthz and GET /api/v1/openapi.json (the API
/// description of both ports, built into the binary from docs/openapi.json).
class admin_routes final : public request_handler {
public:
  explicit admin_routes(gateway& g) noexcept : gateway_(g) {}

  void handle(const http_request& req, responder res) override;
  http_response refusal(unsigned status, std::string_view why) override;

private:
  gateway& gateway_;
};

/// Every operation of the admin port, for the test that holds the OpenAPI
/// document to what the server serves.
std::vector<route_info> admin_route_list();

} // namespace sluice::net
