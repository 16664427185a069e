#pragma once

#include "actors/gateway.hpp"
#include "net/http_server.hpp"

namespace sluice::net {

/// The ingest port's routes (SPEC section 3): POST /messages, GET /systems/me,
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

/// True when a Content-Type names JSON (application/json, any "+json", or
/// absent: clients that send raw JSON without a type are common).
bool is_json_content_type(std::string_view content_type) noexcept;

/// The response for a request the server refused before routing it.
http_response refusal_response(unsigned status, std::string_view why);

/// 404 for an unknown path, 405 (with Allow) for a known path and wrong method.
http_response not_found_response(std::string_view path);
http_response method_not_allowed_response(std::string_view allow);

/// GET (or HEAD) /healthz, the same on both ports: 200 while storage accepts
/// writes, 503 otherwise; 405 for other methods.
http_response healthz_response(const http_request& req, bool healthy);

/// The JSON reply of a gateway call as a response: its status from `kind`, or
/// the error table's for a refusal.
http_response to_response(json_reply&& reply);

} // namespace sluice::net
