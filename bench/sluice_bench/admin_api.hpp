#pragma once

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "bench/sluice_bench/admin_client.hpp"

namespace sluice::bench {

/// The admin API answered something other than what the call needs; the
/// message names the call, the status and the start of the body.
struct admin_error : std::runtime_error {
  admin_error(std::string what, unsigned status)
      : std::runtime_error(std::move(what)), status(status) {}
  unsigned status;
};

/// What a mint asks for.
struct mint_spec {
  std::optional<int> retention_days;
  std::string rate_limit; ///< e.g. "5/second"; empty = none
};

/// A minted token.
struct minted_token {
  std::string id;
  std::string secret;
};

/// POST /tenants; returns the tenant id. `unlimited` sets overrides that lift
/// the tier's rate limits (steady and burst rate 10^9 messages/s).
std::string create_tenant(admin_client& c, std::string_view name, std::string_view tier,
                          bool unlimited);

/// POST /tenants/{id}/systems; returns the system id.
std::string create_system(admin_client& c, std::string_view tenant_id, std::string_view name);

/// POST /systems/{id}/tokens.
minted_token mint_token(admin_client& c, std::string_view system_id, const mint_spec& spec);

/// POST /systems/{id}/tokens/bulk with 1 <= n <= 10000. Returns nullopt when
/// the server has no bulk endpoint (404 or 405), so the caller mints one by one.
std::optional<std::vector<minted_token>> mint_bulk(admin_client& c, std::string_view system_id,
                                                   unsigned n, const mint_spec& spec);

/// POST /tokens/{id}/revoke; returns when the server answered 200.
void revoke_token(admin_client& c, std::string_view token_id);

/// One page of GET /systems/{id}/messages (limit 1000): calls `on_bseq` with
/// the bseq of each message (empty when it has none) and returns the next
/// cursor, nullopt on the last page. The bseq is body.bseq for a native
/// message, body.attributes.bseq for an OTLP log record (source otlp_logs),
/// which keeps its attributes there.
std::optional<std::string> read_messages_page(admin_client& c, std::string_view system_id,
                                              const std::optional<std::string>& cursor,
                                              const std::function<void(std::string_view)>& on_bseq);

} // namespace sluice::bench
