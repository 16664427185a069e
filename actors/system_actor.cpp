#include "actors/system_actor.hpp"

#include <caf/actor_system.hpp>

namespace sluice {

namespace {

system_actor_if::behavior_type system_fn(system_actor_if::stateful_pointer<system_state> self,
                                         system_init init) {
  self->state.init = init;
  return self->state.make_behavior();
}

} // namespace

system_actor_if spawn_system_actor(caf::actor_system& sys, system_init init) {
  return sys.spawn(system_fn, init);
}

system_actor_if::behavior_type system_state::make_behavior() {
  return {
    [this](reserve_atom) -> caf::result<bool, std::uint64_t> {
      if (check_token_cap(init.caps, init.live_tokens))
        return {false, init.live_tokens};
      ++init.live_tokens;
      return {true, init.live_tokens};
    },
    [this](release_atom) {
      if (init.live_tokens > 0)
        --init.live_tokens;
    },
  };
}

} // namespace sluice
