#include "net/openapi.hpp"

namespace sluice::net {

namespace {

// Generated at build time from docs/openapi.json (cmake/embed_file.cmake).
constexpr char document[] = {
#include "openapi_json.inc"
};

} // namespace

std::string_view openapi_document() noexcept {
  return {document, sizeof document};
}

} // namespace sluice::net
