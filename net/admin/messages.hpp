#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/message.hpp"

namespace sluice::net {

// Messages read back: GET /systems/{id}/messages, and the live tail
// GET /systems/{id}/messages/stream (Server-Sent Events, net/message_tail).

struct list_messages_req {
  static constexpr admin_op op = admin_op::list_messages;
  page_request page;
  std::int64_t since_us = 0;                                        ///< inclusive
  std::int64_t until_us = std::numeric_limits<std::int64_t>::max(); ///< exclusive
  std::optional<std::uint64_t> token_id;
  std::optional<message_level> level;
  std::optional<message_source> source;
};

problem decode(const admin_input& in, list_messages_req& out);

/// Messages newly committed to a system, for its live tail. The same
/// operation as the list (so the same authorization decision); net/ sends one
/// when the stream opens and one per poll.
///
/// The reply is not the list's object but lines the stream splits: first
/// `{"cursor":N,"more":bool}` (N: the message id to continue after, a
/// number), then one line per message, each exactly the list's item object.
struct stream_messages_req {
  static constexpr admin_op op = admin_op::list_messages;
  /// Continue after this message id; absent: start at the newest message
  /// committed now (no items, only the cursor).
  std::optional<std::uint64_t> after_id;
  std::optional<std::uint64_t> token_id;
  std::size_t limit = default_page; ///< messages per reply at most
};

/// Reads `token`; the cursor comes from the Last-Event-ID header
/// (net/message_tail.cpp).
problem decode(const admin_input& in, stream_messages_req& out);

} // namespace sluice::net
