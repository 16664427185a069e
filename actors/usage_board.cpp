#include "actors/usage_board.hpp"

#include <utility>

namespace sluice {

void usage_board::post_token(std::uint64_t id, token_usage usage) {
  std::lock_guard guard{mtx_};
  tokens_.insert_or_assign(id, std::move(usage));
}

void usage_board::post_system(std::uint64_t id, system_usage usage) {
  std::lock_guard guard{mtx_};
  systems_.insert_or_assign(id, std::move(usage));
}

namespace {

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
    into.insert_or_assign(id, std::move(usage));
  from.clear();
}

} // namespace

void usage_board::take(token_map& tokens, system_map& systems) {
  std::lock_guard guard{mtx_};
  move_into(tokens_, tokens);
  move_into(systems_, systems);
}

} // namespace sluice
