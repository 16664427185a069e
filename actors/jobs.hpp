#pragma once

#include <caf/actor_control_block.hpp>

#include <cstdint>
#include <memory>
#include <string>

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

/// One ingest request on its way: net -> gateway -> token actor -> storage
/// actor -> callback. Shared (CAF messages must be copyable) but handed along,
/// never used by two actors at once. Whoever holds the last reference when it
/// dies without an answer (an actor quit with it in its mailbox) answers
/// storage_busy, so no client ever waits for a reply that cannot come.
struct ingest_job {
  ingest_job() = default;
  ingest_job(const ingest_job&) = delete;
  ingest_job& operator=(const ingest_job&) = delete;
  ~ingest_job();

  // Set by the gateway, on the I/O thread.
  message_batch batch;
  problem parse_problem;  ///< validation result, reported after authentication
  std::string client_ip;
  message_source source = message_source::native;
  ingest_callback done;

  // Set by the token actor once the request is admitted.
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  int retention_days = 0;
  /// The token actor, told after the commit what was stored.
  caf::strong_actor_ptr reporter;

  /// Answers the client; later calls do nothing.
  void complete(ingest_reply&& reply);

private:
  bool answered_ = false;
};

using ingest_job_ptr = std::shared_ptr<ingest_job>;

/// A GET /systems/me request; answered by the token actor.
struct info_job {
  info_job() = default;
  info_job(const info_job&) = delete;
  info_job& operator=(const info_job&) = delete;
  ~info_job();

  std::string client_ip;
  json_callback done;
  void complete(json_reply&& reply);

private:
  bool answered_ = false;
};

using info_job_ptr = std::shared_ptr<info_job>;

/// An admin API call on its way to the admin actor.
struct admin_job {
  admin_job() = default;
  admin_job(const admin_job&) = delete;
  admin_job& operator=(const admin_job&) = delete;
  ~admin_job();

  admin_command cmd;
  json_callback done;
  void complete(json_reply&& reply);

private:
  bool answered_ = false;
};

using admin_job_ptr = std::shared_ptr<admin_job>;

} // namespace sluice
