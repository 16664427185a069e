#pragma once

#include <caf/actor_system.hpp>
#include <caf/spawn_options.hpp>

#include <utility>

namespace sluice {

/// The body of every Sluice actor: the state, built from `self` by CAF, takes
/// its `init` and returns its behavior. (CAF 0.17 does not call a state's
/// make_behavior() itself; this is the one place that does.)
template <class Interface, class State, class Init>
typename Interface::behavior_type
run_state(typename Interface::template stateful_pointer<State> self, Init init) {
  self->state.init = std::move(init);
  return self->state.make_behavior();
}

/// Spawns an actor of interface `Interface` whose state is `State`, started
/// from `init`. `Options` is caf::detached for actors that block (the storage
/// and admin actors wait on disk writes), no_spawn_options for scheduled ones.
template <class Interface, class State, caf::spawn_options Options = caf::no_spawn_options,
          class Init>
Interface spawn_state(caf::actor_system& sys, Init init) {
  return sys.spawn<Options>(run_state<Interface, State, Init>, std::move(init));
}

} // namespace sluice
