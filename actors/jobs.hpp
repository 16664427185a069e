#pragma once

#include <caf/actor_control_block.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "actors/gateway.hpp"
#include "policy/message.hpp"

namespace sluice {

/// Live usage of a token, owned by its actor and flushed to the metadata store
/// now and then (and when the actor passivates or the server stops).
struct token_usage {
  std::uint64_t requests = 0;   ///< requests that passed authentication
  std::uint64_t messages = 0;   ///< messages committed
  std::int64_t last_used_at_us = 0;
  std::string last_ip;
};

/// The answer of one request, given exactly once: by the first call, or, when
/// nobody answered before it is destroyed (the job died in the mailbox of an
/// actor that quit), with storage_busy then. So no client ever waits for a
/// reply that cannot come. Move-only; a moved-from one answers nothing.
template <class Reply>
class reply_once {
public:
  reply_once() = default;
  explicit reply_once(std::function<void(Reply&&)> done) : done_(std::move(done)) {}
  reply_once(reply_once&& other) noexcept
    : done_(std::move(other.done_)), answered_(std::exchange(other.answered_, true)) {}
  reply_once& operator=(reply_once&& other) noexcept {
    if (this != &other) {
      settle();
      done_ = std::move(other.done_);
      answered_ = std::exchange(other.answered_, true);
    }
    return *this;
  }
  reply_once(const reply_once&) = delete;
  reply_once& operator=(const reply_once&) = delete;
  ~reply_once() { settle(); }

  /// Answers; later calls do nothing.
  void operator()(Reply&& reply) {
    if (answered_ || !done_)
      return;
    answered_ = true;
    done_(std::move(reply));
  }

private:
  void settle() {
    if (answered_ || !done_)
      return;
    Reply lost{};
    lost.failure = make_problem(errc::storage_busy,
                                "the request was dropped while the server reorganised; retry it");
    (*this)(std::move(lost));
  }

  std::function<void(Reply&&)> done_;
  bool answered_ = false;
};

/// One ingest request on its way: net -> gateway -> token actor -> storage
/// actor -> callback. Shared (CAF messages must be copyable) but handed along,
/// never used by two actors at once.
struct ingest_job {
  // Set by the gateway, on the I/O thread.
  message_batch batch;
  problem parse_problem;  ///< validation result, reported after authentication
  std::string client_ip;
  message_source source = message_source::native;
  reply_once<ingest_reply> complete;

  // Set by the token actor once the request is admitted.
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  int retention_days = 0;
  /// The token actor, told after the commit what was stored.
  caf::strong_actor_ptr reporter;
};

using ingest_job_ptr = std::shared_ptr<ingest_job>;

/// A GET /systems/me request; answered by the token actor.
struct info_job {
  std::string client_ip;
  reply_once<json_reply> complete;
};

using info_job_ptr = std::shared_ptr<info_job>;

/// An admin API call on its way to the admin actor.
struct admin_job {
  admin_command cmd;
  reply_once<json_reply> complete;
};

using admin_job_ptr = std::shared_ptr<admin_job>;

} // namespace sluice
