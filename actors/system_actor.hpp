#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>

#include "actors/interfaces.hpp"
#include "policy/tiers.hpp"

namespace sluice {

/// What a system actor starts from.
struct system_init {
  std::uint64_t system_id = 0;
  tier_caps caps;
  std::uint64_t live_tokens = 0; ///< non-revoked tokens, counted in the store
};

/// The state of one system's actor: the tokens-per-system cap is checked and
/// taken here, one request at a time, so concurrent mints cannot overshoot it.
struct system_state {
  explicit system_state(system_actor_if::stateful_pointer<system_state> self) : self_(self) {}

  system_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.system";

  system_init init;

private:
  system_actor_if::stateful_pointer<system_state> self_;
};

using system_actor = system_actor_if::stateful_base<system_state>;

/// Spawns a system actor on the scheduler.
system_actor_if spawn_system_actor(caf::actor_system& sys, system_init init);

} // namespace sluice
