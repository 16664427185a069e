// The web portal's files as the admin port serves them (net/portal.cpp): the
// security headers on every answer, caching by strong ETag, the redirect from
// "/", and pages that keep to their own Content-Security-Policy (no inline
// script or style anywhere in them).

#include <boost/test/unit_test.hpp>

#include <regex>
#include <string>

#include "net/doors.hpp"
#include "net/portal.hpp"

using namespace sluice::net;
using sluice::http_door;

namespace {

http_request get_request(std::string_view path, std::span<const header_field> headers = {}) {
  http_request r;
  r.verb = method::get;
  r.path = path;
  r.target = path;
  r.headers = headers;
  return r;
}

std::string header(const http_response& res, std::string_view name) {
  for (auto& [n, v] : res.headers)
    if (n == name)
      return v;
  return {};
}

void check_security_headers(const http_response& res) {
  BOOST_TEST(header(res, "Content-Security-Policy") == std::string{portal_csp});
  BOOST_TEST(header(res, "X-Content-Type-Options") == "nosniff");
  BOOST_TEST(header(res, "Referrer-Policy") == "no-referrer");
  BOOST_TEST(header(res, "X-Frame-Options") == "DENY");
}

} // namespace

BOOST_AUTO_TEST_SUITE(portal)

BOOST_AUTO_TEST_CASE(the_root_redirects_to_the_portal) {
  for (auto path : {"/", "/portal"}) {
    BOOST_TEST((admin_door_of(path) == http_door::portal));
    auto res = portal_response(get_request(path));
    BOOST_TEST(res.status == 302u);
    BOOST_TEST(header(res, "Location") == "/portal/");
    check_security_headers(res);
  }
  BOOST_TEST((admin_door_of("/portalx") == http_door::other));
  BOOST_TEST((admin_door_of("/api/v1/me") == http_door::admin));
}

BOOST_AUTO_TEST_CASE(the_index_page_is_served_with_its_policy_and_validator) {
  auto res = portal_response(get_request("/portal/"));
  BOOST_TEST(res.status == 200u);
  BOOST_TEST(res.content_type == "text/html; charset=utf-8");
  BOOST_TEST(res.body.find("<!doctype html>") == 0u);
  check_security_headers(res);
  BOOST_TEST(header(res, "Cache-Control") == "no-cache");
  auto etag = header(res, "ETag");
  BOOST_TEST(std::regex_match(etag, std::regex{R"("[0-9a-f]{32}")"}), etag);
  // The same file under its own name: the same bytes and validator.
  auto direct = portal_response(get_request("/portal/index.html"));
  BOOST_TEST(direct.body == res.body);
  BOOST_TEST(header(direct, "ETag") == etag);
}

BOOST_AUTO_TEST_CASE(a_matching_validator_gets_304_without_a_body) {
  auto etag = header(portal_response(get_request("/portal/app.js")), "ETag");
  BOOST_REQUIRE(!etag.empty());
  for (auto value : {etag, "W/" + etag, "\"other\", " + etag, std::string{"*"}}) {
    header_field h[] = {{"If-None-Match", value}};
    auto res = portal_response(get_request("/portal/app.js", h));
    BOOST_TEST(res.status == 304u, value);
    BOOST_TEST(res.body.empty());
    BOOST_TEST(header(res, "ETag") == etag);
  }
  header_field stale[] = {{"If-None-Match", "\"0123\""}};
  auto res = portal_response(get_request("/portal/app.js", stale));
  BOOST_TEST(res.status == 200u);
  BOOST_TEST(res.content_type == "text/javascript; charset=utf-8");
}

BOOST_AUTO_TEST_CASE(unknown_files_methods_and_queries_are_refused) {
  auto missing = portal_response(get_request("/portal/nothing.js"));
  BOOST_TEST(missing.status == 404u);
  BOOST_TEST(missing.body.find("not_found") != std::string::npos);
  check_security_headers(missing);
  BOOST_TEST(portal_response(get_request("/portal/../docs/api.md")).status == 404u);

  auto post = get_request("/portal/");
  post.verb = method::post;
  auto res = portal_response(post);
  BOOST_TEST(res.status == 405u);
  BOOST_TEST(header(res, "Allow") == "GET, HEAD");

  auto q = get_request("/portal/");
  q.query = "api_key=alu_x";
  BOOST_TEST(portal_response(q).status == 400u);
}

BOOST_AUTO_TEST_CASE(every_file_keeps_to_the_policy) {
  // What the policy would block in the browser, found here first: inline
  // <script> or <style>, style="" or on…="" attributes, javascript: URLs, and
  // anything loaded from another origin.
  auto files = portal_files();
  BOOST_TEST(files.size() >= 3u);
  const std::regex inline_script{R"(<script(?![^>]*\bsrc=)[^>]*>)", std::regex::icase};
  const std::regex inline_handler{R"(<[^>]+\s(on[a-z]+|style)\s*=)", std::regex::icase};
  const std::regex remote{R"((src|href)\s*=\s*["']?(https?:)?//)", std::regex::icase};
  // In scripts: no HTML parsed from strings, no code made from strings (the
  // policy forbids the latter anyway; the former it cannot see).
  const std::regex html_sink{
    R"(\.(innerHTML|outerHTML)\s*\+?=|insertAdjacentHTML|document\.write|\beval\s*\(|new\s+Function\b|setAttribute\(\s*['"]on)"};
  for (auto& f : files) {
    BOOST_TEST(f.path.starts_with("/portal/"));
    if (f.content_type.starts_with("text/javascript")) {
      std::string code{f.bytes()};
      BOOST_TEST(!std::regex_search(code, html_sink), f.path);
    }
    if (!f.content_type.starts_with("text/html"))
      continue;
    std::string text{f.bytes()};
    BOOST_TEST(!std::regex_search(text, inline_script), f.path);
    BOOST_TEST(!std::regex_search(text, inline_handler), f.path);
    BOOST_TEST(text.find("<style") == std::string::npos, f.path);
    BOOST_TEST(text.find("javascript:") == std::string::npos, f.path);
    BOOST_TEST(!std::regex_search(text, remote), f.path);
  }
}

BOOST_AUTO_TEST_SUITE_END()
