#pragma once

#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"
#include "net/responses.hpp"

namespace sluice::net {

/// The ingest port's routes (docs/api.md): POST /messages, GET /systems/me,
/// GET /healthz. Turns each request into a gateway command and each reply into
/// a response; decides nothing else.
class ingest_routes final : public request_handler {
public:
  explicit ingest_routes(gateway& g) noexcept : gateway_(g) {}

  void handle(const http_request& req, responder res) override;
  http_response refusal(unsigned status, std::string_view why) override;

private:
  gateway& gateway_;
};

/// Every operation of the ingest port, for the test that holds the OpenAPI
/// document to what the server serves.
std::vector<route_info> ingest_route_list();

} // namespace sluice::net
