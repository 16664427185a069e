#pragma once

#include <cstdint>
#include <limits>
#include <optional>

#include "net/admin/common.hpp"
#include "policy/admin_ops.hpp"
#include "policy/message.hpp"

namespace sluice::net {

// Messages read back: GET /systems/{id}/messages.

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

} // namespace sluice::net
