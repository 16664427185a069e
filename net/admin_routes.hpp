#pragma once

#include "actors/gateway.hpp"
#include "net/http_server.hpp"

namespace sluice::net {

/// The admin port's routes (SPEC section 4): matches method and path to an
/// admin operation, packs it as an admin_command for the gateway, and turns the
/// reply into a response. Also answers GET /healthz.
class admin_routes final : public request_handler {
public:
  explicit admin_routes(gateway& g) noexcept : gateway_(g) {}

  void handle(const http_request& req, responder res) override;
  http_response refusal(unsigned status, std::string_view why) override;

private:
  gateway& gateway_;
};

} // namespace sluice::net
