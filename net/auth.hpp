#pragma once

#include <string>
#include <string_view>

#include "net/http_server.hpp"

namespace sluice::net {

/// The token a request presents, from (in this order) `Authorization: Bearer`,
/// `X-API-KEY`, or the `api_key` query parameter (decoded into `scratch`, which
/// the returned view may point into). Empty when none is presented. Nothing is
/// checked here: format and lookup are the gateway's business.
std::string_view extract_token(const http_request& req, std::string& scratch);

} // namespace sluice::net
