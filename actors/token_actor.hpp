#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <string>

#include "actors/interfaces.hpp"
#include "actors/registry.hpp"
#include "policy/tiers.hpp"

namespace sluice {

/// What a token actor starts from: its record and its tenant's caps, as the
/// registry read them from the metadata store.
struct token_init {
  store::token_record record;
  sluice::tier tier = sluice::tier::free;
  tier_caps caps;
  std::string tenant_name;
  std::string system_name;
  std::size_t max_batch_messages = 1000;
  storage_actor_if storage;
  admin_actor_if admin;
  registry* reg = nullptr; ///< outlives every actor (owned by the runtime)
  registry_options opts;
};

/// The state of one token's actor. It is the authority on whether its token may
/// write right now: the admin actor changes the stored record first, then this
/// actor's copy through update_atom. It owns the live usage counters and writes
/// them back through the admin actor (the metadata writer) every flush interval,
/// and passivates itself after the idle timeout (the registry respawns it on
/// the next use).
struct token_state {
  explicit token_state(token_actor_if::stateful_pointer<token_state> self) : self_(self) {}

  token_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.token";

  token_init init;
  token_usage usage;
  bool usage_dirty = false;
  std::int64_t last_activity_us = 0;
  bool passivating = false;

private:
  void ingest(ingest_job_ptr& job);
  void describe(info_job_ptr& job);
  void tick();
  void flush_usage();

  token_actor_if::stateful_pointer<token_state> self_;
};

using token_actor = token_actor_if::stateful_base<token_state>;

/// Spawns a token actor on the scheduler.
token_actor_if spawn_token_actor(caf::actor_system& sys, token_init init);

} // namespace sluice
