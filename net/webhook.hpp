#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "policy/errors.hpp"
#include "policy/message.hpp"

namespace sluice::net {

// Webhooks (POST /webhooks/{alw_…}): any JSON a sender delivers. An array
// is one message per element, anything else one message. Event Grid and
// CloudEvents deliveries keep their event id (a redelivery is a duplicate,
// not stored twice) and their event time.

/// Decodes a webhook body into `out`. Not JSON: malformed_json; more than
/// `max_messages` elements: batch_too_large.
problem decode_webhook(std::string_view body, std::size_t max_messages, message_batch& out);

/// The validation code of an Azure Event Grid subscription validation event
/// ([{"data":{"validationCode":"…"}, …}]); nullopt when the body holds none.
std::optional<std::string> event_grid_validation_code(std::string_view body);

} // namespace sluice::net
