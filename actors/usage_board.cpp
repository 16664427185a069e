#include "actors/usage_board.hpp"

#include <utility>

namespace sluice {

namespace {

/// Puts `usage` in place of what `map` holds for `id`: its totals and
/// minutes are newer, but the minutes the older snapshot had changed were
/// never written, so they stay marked as changed.
template <class Map, class Usage>
void replace(Map& map, std::uint64_t id, Usage&& usage) {
  auto [it, fresh] = map.try_emplace(id, std::forward<Usage>(usage));
  if (fresh)
    return;
  auto changed = it->second.changed;
  it->second = std::forward<Usage>(usage);
  it->second.changed.add(changed);
}

/// Moves `from` into `into`, newer entries winning; the usual case (the
/// caller wrote everything it held) is a swap under the lock, and the
/// board keeps the caller's emptied buckets for the next interval.
template <class Map>
void move_into(Map& from, Map& into) {
  if (into.empty()) {
    into.swap(from);
    return;
  }
  for (auto& [id, usage] : from)
    replace(into, id, std::move(usage));
  from.clear();
}

} // namespace

void usage_board::post_token(std::uint64_t id, token_usage usage) {
  std::lock_guard guard{mtx_};
  replace(tokens_, id, std::move(usage));
}

void usage_board::post_system(std::uint64_t id, system_usage usage) {
  std::lock_guard guard{mtx_};
  replace(systems_, id, std::move(usage));
}

void usage_board::take(token_map& tokens, system_map& systems) {
  std::lock_guard guard{mtx_};
  for (const auto& [id, usage] : tokens_)
    replace(taken_tokens_, id, usage);
  move_into(tokens_, tokens);
  move_into(systems_, systems);
}

void usage_board::written() {
  std::lock_guard guard{mtx_};
  taken_tokens_.clear();
}

std::optional<token_usage> usage_board::latest_token(std::uint64_t id) {
  std::lock_guard guard{mtx_};
  if (auto it = tokens_.find(id); it != tokens_.end())
    return it->second;
  if (auto it = taken_tokens_.find(id); it != taken_tokens_.end())
    return it->second;
  return std::nullopt;
}

} // namespace sluice
