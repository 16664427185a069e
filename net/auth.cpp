#include "net/auth.hpp"

#include <boost/beast/core/string.hpp>

#include "net/url.hpp"
#include "policy/token_format.hpp"

namespace sluice::net {

namespace {

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && boost::beast::iequals(s.substr(0, prefix.size()), prefix);
}

} // namespace

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::string path_without_secrets(std::string_view path) {
  // A secret sent encoded is still a secret, as the access log sees it too.
  return redact_encoded(path, [](std::string_view s) { return redact_secrets(s); });
}

std::string_view extract_token(const http_request& req, std::string& scratch) {
  if (auto auth = req.header("authorization"); !auth.empty()) {
    // The scheme is case-insensitive (RFC 7235); anything but Bearer is not
    // ours to read here, so it counts as no token.
    if (iequals_prefix(auth, "bearer "))
      return trim_ows(auth.substr(7));
    return {};
  }
  if (auto key = trim_ows(req.header("x-api-key")); !key.empty())
    return key;
  if (auto param = query_param(req.query, "api_key")) {
    scratch = std::move(*param);
    return scratch;
  }
  return {};
}

std::string_view extract_token_or_basic(const http_request& req, std::string& scratch) {
  auto auth = trim_ows(req.header("authorization"));
  if (!iequals_prefix(auth, "basic "))
    return extract_token(req, scratch);
  // base64("public:secret"); the secret is after the first ':'.
  auto encoded = trim_ows(auth.substr(6));
  scratch.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : encoded) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return {};
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      scratch.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  auto colon = scratch.find(':');
  if (colon == std::string::npos)
    return {};
  return std::string_view{scratch}.substr(colon + 1);
}

std::string_view client_address(const http_request& req, const ip_allowlist& trusted,
                                std::string& scratch) {
  if (trusted.empty())
    return req.peer_ip;
  // Every X-Forwarded-For header, in order, as one list (RFC 9110 5.3).
  std::string xff;
  for (auto& h : req.headers)
    if (h.name.size() == 15 && iequals_prefix(h.name, "x-forwarded-for")) {
      if (!xff.empty())
        xff += ", ";
      xff += h.value;
    }
  scratch = client_ip(req.peer_ip, xff, trusted);
  return scratch;
}

} // namespace sluice::net
