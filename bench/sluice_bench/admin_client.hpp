#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bench/sluice_bench/options.hpp"

namespace sluice::bench {

/// An answer of the admin API.
struct admin_reply {
  unsigned status = 0;
  std::string body;
};

/// A synchronous HTTP/1.1 client of the admin API on one keep-alive
/// connection, authenticated with the superuser token. Used for setup, the
/// revocations of the revoke scenario and the read-back check, never in the
/// ingest hot loop. Not thread-safe: one per thread. Beast stays in the .cpp.
class admin_client {
public:
  admin_client(endpoint_spec where, std::string bearer_token);
  ~admin_client();
  admin_client(const admin_client&) = delete;
  admin_client& operator=(const admin_client&) = delete;

  /// Sends `method target` with a JSON `body` (none when empty) and returns
  /// the answer. A kept-alive connection the server closed meanwhile is
  /// reopened and the request sent once more; throws std::runtime_error
  /// naming the request when the server cannot be reached.
  admin_reply request(std::string_view method, std::string_view target, std::string_view body = {});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Percent-encodes `s` for a query parameter value.
std::string url_encode(std::string_view s);

} // namespace sluice::bench
