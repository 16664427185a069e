#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "tests/e2e/fixture.hpp"

namespace sluice::e2e {

/// What a burst of concurrent clients saw.
struct load_result {
  std::map<unsigned, std::uint64_t> statuses; ///< count per HTTP status
  std::uint64_t accepted_messages = 0;        ///< sum of "accepted" over 202s
  double sending_s = 0;                       ///< from the start signal to the stop signal
  double elapsed_s = 0;                       ///< from the start signal until every answer was in

  /// Every answer, whatever its status.
  std::uint64_t answers() const;
  /// "202: 17300  503: 12  ": the statuses and their counts, for a test's context.
  std::string by_status() const;
};

/// `connections` clients, each on its own keep-alive connection, POST `body`
/// to /messages with `secret` as fast as answers come, for `duration`.
load_result hammer(const sluiced_process& server, const std::string& secret,
                   const std::string& body, int connections, std::chrono::milliseconds duration);

/// As above, each client going round `secrets` one request after another
/// (client i starts at secret i), so every token is used by turns.
load_result hammer(const sluiced_process& server, const std::vector<std::string>& secrets,
                   const std::string& body, int connections, std::chrono::milliseconds duration);

/// The general form: `connections` clients, each on its own keep-alive
/// connection to `port`, making call(client, i) for their i-th request (i
/// starting at the client's number) as fast as answers come, for `duration`.
load_result hammer_calls(std::uint16_t port, int connections, std::chrono::milliseconds duration,
                         const std::function<http_result(http_client&, std::size_t)>& call);

} // namespace sluice::e2e
