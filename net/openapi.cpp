#include "net/openapi.hpp"

namespace sluice::net {

namespace {

// Generated at build time from docs/openapi.json (cmake/embed_file.cmake).
constexpr unsigned char document[] = {
#include "openapi_json.inc"
};

} // namespace

std::string_view openapi_document() noexcept {
  return {reinterpret_cast<const char*>(document), sizeof document};
}

} // namespace sluice::net
