#pragma once

#include <caf/actor_clock.hpp>
#include <caf/actor_system.hpp>

#include <chrono>
#include <utility>

#include "policy/time.hpp"

namespace sluice {

/// Sends `self` the message `xs...` one `period` from now, rounded up to the
/// timer grid (policy/time.hpp, grid_deadline), so that the timer thread
/// fires the periodic ticks of thousands of actors together instead of
/// waking for each one's own deadline.
template <class Self, class... Ts>
void tick_on_grid(Self self, caf::timespan period, Ts&&... xs) {
  auto& clock = self->system().clock();
  auto due = grid_deadline(clock.now().time_since_epoch(), period);
  self->scheduled_send(self,
                       caf::actor_clock::time_point{
                         std::chrono::duration_cast<caf::actor_clock::time_point::duration>(due)},
                       std::forward<Ts>(xs)...);
}

} // namespace sluice
