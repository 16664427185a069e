#include "actors/usage_ticker.hpp"

#include <algorithm>

#include "actors/registry.hpp"
#include "actors/spawn.hpp"

namespace sluice {

usage_ticker_if spawn_usage_ticker(caf::actor_system& sys, usage_ticker_init init) {
  return spawn_state<usage_ticker_if, usage_ticker_state>(sys, std::move(init));
}

usage_ticker_if::behavior_type usage_ticker_state::make_behavior() {
  using usage_ticker_defaults::step;
  slices_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(init.interval / step));
  step_ = init.interval / static_cast<caf::timespan::rep>(slices_);
  self_->delayed_send(self_, step_, tick_atom::value);
  return {
    [this](tick_atom) {
      init.reg->token_slice(next_, slices_, batch_);
      for (auto& token : batch_)
        self_->send(token, tick_atom::value);
      batch_.clear();
      next_ = (next_ + 1) % slices_;
      self_->delayed_send(self_, step_, tick_atom::value);
    },
  };
}

} // namespace sluice
