#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "net/http_server.hpp"

namespace sluice::net {

/// The web portal's files, built into the binary from portal/ at build time
/// (cmake/embed_portal.cmake): the browser pages on top of the admin API.
/// They hold no data and no secret; every call they make goes to the same
/// /api/v1 endpoints with the token the person pastes in.
struct portal_file {
  std::string_view path;         ///< "/portal/app.js"
  std::string_view content_type; ///< a literal
  std::string_view etag;         ///< strong, quoted: "\"<32 hex of SHA-256>\""
  const unsigned char* data;
  std::size_t size;

  std::string_view bytes() const noexcept { return {reinterpret_cast<const char*>(data), size}; }
};

/// Every file of the portal, sorted by path.
std::vector<portal_file> portal_files();

/// The Content-Security-Policy every portal response carries: scripts,
/// styles and connections from the admin port itself only, no inline script
/// or style, no framing, no plugins.
inline constexpr std::string_view portal_csp =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The answer to a request for a portal path (net/doors.hpp: "/", "/portal"
/// and "/portal/…"): "/" and "/portal" redirect to
/// "/portal/", which is index.html; a file with its type, strong ETag
/// (`304` on a matching If-None-Match), `Cache-Control: no-cache` (always
/// revalidated, so a new build is picked up at once) and the security
/// headers; `404` for a file that is not there, `405` for a method other than
/// GET or HEAD, `400` for a query parameter (the portal takes none).
http_response portal_response(const http_request& req);

} // namespace sluice::net
