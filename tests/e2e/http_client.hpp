#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::e2e {

/// A response as a client sees it. Header names are lower case.
struct http_result {
  unsigned status = 0;
  std::map<std::string, std::string> headers;
  std::string body;

  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i == headers.end() ? std::string{} : i->second;
  }
};

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A synchronous HTTP/1.1 client on one keep-alive connection to 127.0.0.1
/// (Boost.Beast), reconnecting when the server closed it. Not thread-safe:
/// one per thread.
class http_client {
public:
  explicit http_client(std::uint16_t port);
  /// HTTPS: the server's certificate must be signed by (or be) the PEM
  /// certificate in `ca_file` and name 127.0.0.1; TLS 1.2 or later.
  http_client(std::uint16_t port, std::string ca_file);
  ~http_client();
  http_client(http_client&&) noexcept;
  http_client& operator=(http_client&&) noexcept;

  /// Sends one request; throws std::system_error when the server is gone.
  http_result request(std::string_view method, std::string_view target, std::string_view body = {},
                      const header_list& headers = {},
                      std::string_view content_type = "application/json");

  http_result get(std::string_view target, const header_list& headers = {}) {
    return request("GET", target, {}, headers);
  }
  http_result post(std::string_view target, std::string_view body,
                   const header_list& headers = {}) {
    return request("POST", target, body, headers);
  }

  /// Connections opened so far (1 while one keep-alive connection serves
  /// every request).
  std::size_t connections() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `Authorization: Bearer <token>`.
inline header_list bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

} // namespace sluice::e2e
