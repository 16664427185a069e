#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <chrono>
#include <cstdint>
#include <vector>

#include "actors/interfaces.hpp"

namespace sluice {

class registry;

/// Defaults of the usage ticker.
namespace usage_ticker_defaults {
/// The ticker wakes at most this often, and at least once per interval.
inline constexpr caf::timespan step = std::chrono::milliseconds(100);
} // namespace usage_ticker_defaults

struct usage_ticker_init {
  /// Owned by the runtime, which stops this actor (and waits for it) before
  /// it destroys the registry.
  const registry* reg = nullptr;
  /// Each live token actor is ticked once per interval (tokens.usage-flush-interval).
  caf::timespan interval = std::chrono::seconds(10);
};

/// Ticks every live token actor once per usage flush interval: it writes its
/// usage, and passivates when idle (token_state::tick). One timer for all of
/// them, where each token actor used to keep its own: with 10,000 live tokens
/// that was 1,000 timer events a second, each a wake-up of the actor
/// library's clock thread and a hand-off from it (that thread took 2-3 % of
/// the server's CPU under load over many tokens). The interval is cut into steps of at most
/// 100 ms; each step ticks the tokens whose id falls in that step's slice,
/// so the ticks of many tokens are spread evenly over the interval and sent
/// from one scheduler thread. A token's first tick comes within one interval
/// of its actor's start (not exactly one interval after it, as before).
/// Hand-offs from the scheduler thread itself need no wake-up.
struct usage_ticker_state {
  explicit usage_ticker_state(usage_ticker_if::stateful_pointer<usage_ticker_state> self)
      : self_(self) {}

  usage_ticker_if::behavior_type make_behavior();

  static inline const char* name = "sluice.usage_ticker";

  usage_ticker_init init;

private:
  usage_ticker_if::stateful_pointer<usage_ticker_state> self_;
  std::uint64_t slices_ = 1;          ///< steps per interval
  caf::timespan step_{};              ///< interval / slices_
  std::uint64_t next_ = 0;            ///< the slice the next step ticks
  std::vector<token_actor_if> batch_; ///< reused: one slice's actors
};

/// Spawns the usage ticker (a scheduled actor).
usage_ticker_if spawn_usage_ticker(caf::actor_system& sys, usage_ticker_init init);

} // namespace sluice
