#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>
#include <string>

#include "actors/interfaces.hpp"
#include "actors/usage_board.hpp"
#include "policy/limiters.hpp"
#include "policy/metrics.hpp"
#include "policy/usage.hpp"

namespace sluice {

/// What a system actor starts from, as the registry read it from the store.
struct system_init {
  store::system_record record;
  system_terms terms;
  std::uint64_t live_tokens = 0; ///< non-revoked tokens, counted in the store
  std::size_t max_batch_messages = 1000;
  storage_actor_if storage;
  caf::timespan usage_flush_interval = std::chrono::seconds(10);
  gateway_metrics* metrics = nullptr; ///< owned by the runtime; null counts nothing
  usage_board* usage = nullptr;       ///< owned by the runtime; where usage goes
};

/// The state of one system's actor. It owns the system's tier limit (a
/// bucket in messages, sampling, shadow mode), enforces the inline cap, takes
/// token slots for mints one at a time (so concurrent mints cannot overshoot
/// the cap), counts the system's usage, and answers every authenticated ingest
/// request it does not pass on to storage, with the rate-limit headers.
struct system_state {
  explicit system_state(system_actor_if::stateful_pointer<system_state> self) : self_(self) {}

  system_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.system";

  system_init init;

private:
  void ingest(ingest_job_ptr& job);
  void describe(info_job_ptr& job);
  /// Leaves out of a partial request the messages over `cap`, remembering
  /// their indexes for the reply.
  void drop_oversized(ingest_job& job, std::uint64_t cap);
  /// Tells the token what happened to a request it let through.
  void tell_token(const ingest_job& job, system_outcome outcome);
  system_usage snapshot() const;
  void flush_usage();

  system_actor_if::stateful_pointer<system_state> self_;
  system_limiter limiter_;
  usage_meter usage_;
  bool usage_dirty_ = false;
  /// Admitted while handling the current batch, sent to storage at its end.
  ingest_batch to_storage_;
};

using system_actor = system_actor_if::stateful_base<system_state>;

/// Spawns a system actor on the scheduler.
system_actor_if spawn_system_actor(caf::actor_system& sys, system_init init);

} // namespace sluice
