#pragma once

#include <string_view>

namespace sluice::net {

/// The OpenAPI 3.1 document of both ports (docs/openapi.json, built into the
/// binary), served at GET /api/v1/openapi.json on the admin port.
std::string_view openapi_document() noexcept;

} // namespace sluice::net
