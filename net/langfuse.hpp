#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"
#include "policy/message.hpp"

namespace sluice::net {

// The Langfuse ingestion API's body (POST /api/public/ingestion), what the
// Langfuse SDKs send: {"batch":[{id, type, timestamp, body, metadata?}…],
// "metadata"?}. Each event becomes one message, deduplicated by its id.

/// Largest body the Langfuse door takes (the Langfuse API's own cap).
inline constexpr std::size_t langfuse_max_body_bytes = 3'500'000;

/// The event types Sluice stores.
inline constexpr std::string_view langfuse_event_types[] = {
  "trace-create",      "span-create",  "span-update",  "generation-create",
  "generation-update", "event-create", "score-create", "sdk-log",
};

/// A decoded batch: the events that can be stored, in order, with their
/// ids; and the ones refused on their own (answered in `errors`).
struct langfuse_batch {
  message_batch batch;
  std::vector<std::string> ids; ///< the id of each message of `batch`
  struct refusal {
    std::string id;
    unsigned status = 400;
    std::string message;
  };
  std::vector<refusal> refused;
};

/// Decodes a Langfuse ingestion body. A body that is not such an object
/// (not JSON, not an object, no "batch" array) is a problem (400); an event
/// that is not valid on its own (no id, an unknown type, no body object) is
/// refused alone. More than `max_events` events is batch_too_large.
problem decode_langfuse(std::string_view body, std::size_t max_events, langfuse_batch& out);

/// The 207 body: {"successes":[{"id","status":201}…],"errors":[{"id","status","message"}…]}
/// for the batch decoded into `in`: every event of `in.batch` succeeded
/// except those whose index is in `dropped` (with `dropped_status`).
std::string langfuse_response(const langfuse_batch& in, const std::vector<std::uint32_t>& dropped,
                              unsigned dropped_status, std::string_view dropped_reason);

} // namespace sluice::net
