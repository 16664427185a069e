#include "net/portal.hpp"

#include <algorithm>
#include <string>

#include "net/auth.hpp"
#include "net/responses.hpp"
#include "net/url.hpp"

namespace sluice::net {

namespace {

// Generated at build time from portal/ (cmake/embed_portal.cmake):
// file_N arrays and the embedded_files table.
#include "portal_files.inc"

constexpr std::string_view prefix = "/portal/";

/// The headers every portal answer carries, the redirect and errors included.
void add_security_headers(http_response& res) {
  res.headers.emplace_back("Content-Security-Policy", std::string{portal_csp});
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.headers.emplace_back("Referrer-Policy", "no-referrer");
  res.headers.emplace_back("X-Frame-Options", "DENY");
  res.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
  res.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
}

/// If-None-Match names `etag` (a list, or "*"). Weak comparison, as RFC 9110
/// asks for this header: W/"x" matches "x".
bool etag_matches(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    auto comma = header.find(',');
    auto item = trim_ows(header.substr(0, comma));
    if (item.starts_with("W/"))
      item.remove_prefix(2);
    if (item == "*" || item == etag)
      return true;
    header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
  }
  return false;
}

const portal_file* find_file(std::string_view path) {
  auto it = std::find_if(std::begin(embedded_files), std::end(embedded_files),
                         [&](const portal_file& f) { return f.path == path; });
  return it == std::end(embedded_files) ? nullptr : &*it;
}

} // namespace

std::vector<portal_file> portal_files() {
  return {std::begin(embedded_files), std::end(embedded_files)};
}

http_response portal_response(const http_request& req) {
  http_response res;
  if (req.verb != method::get && req.verb != method::head)
    res = method_not_allowed_response("GET, HEAD");
  else if (auto bad = refused_query_param(req.query, ""))
    res = refused_query_response(*bad);
  else if (req.path == "/" || req.path == "/portal") {
    res.status = 302;
    res.headers.emplace_back("Location", "/portal/");
    res.headers.emplace_back("Cache-Control", "no-cache");
  } else {
    auto path = req.path == prefix ? std::string_view{"/portal/index.html"} : req.path;
    auto* file = find_file(path);
    if (!file) {
      res = not_found_response(req.path);
    } else {
      res.headers.emplace_back("ETag", std::string{file->etag});
      // Asset names carry no version: the browser asks again every time and
      // gets a 304 while the build is the same.
      res.headers.emplace_back("Cache-Control", "no-cache");
      if (etag_matches(req.header("if-none-match"), file->etag)) {
        res.status = 304;
      } else {
        res.content_type = file->content_type;
        res.body.assign(file->bytes());
      }
    }
  }
  add_security_headers(res);
  return res;
}

} // namespace sluice::net
