#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "actors/jobs.hpp"

namespace sluice {

/// Usage snapshots on their way from the token and system actors to the
/// admin actor, which writes them to the metadata store at its next usage
/// flush (tokens.usage-flush-interval).
///
/// Why not a message each: every live token actor hands over its usage once
/// per flush interval, so 10,000 live tokens made 1,000 messages a second to
/// the admin actor. That actor has a thread of its own (it writes LMDB and
/// waits for the disk), so each message woke it: a futex call on the sending
/// scheduler thread and a context switch, on a machine whose cores the
/// request path needs. Posting here takes a short lock and wakes nobody; the
/// admin actor takes everything at once when it flushes.
///
/// A snapshot is a set of totals, so only the newest one of each token or
/// system matters: a later post replaces an earlier one that was not taken
/// yet, and take() lets a taken snapshot replace an older one the caller
/// still holds (after a failed write).
///
/// A token's newest snapshot stays readable (latest_token) until the admin
/// actor says it is in the store (written): a token actor that passivates
/// posts its last usage here, and an actor spawned for the token again
/// before that usage is written must start from it, not from the store's
/// older totals, or whatever the first one counted since its last write
/// would be replaced, and lost, by the second one's snapshots.
///
/// Thread-safe. Owned by the runtime, which declares it before the actor
/// system, so it outlives every actor that posts.
class usage_board {
public:
  using token_map = std::unordered_map<std::uint64_t, token_usage>;
  using system_map = std::unordered_map<std::uint64_t, system_usage>;

  /// Posts token `id`'s current usage.
  void post_token(std::uint64_t id, token_usage usage);
  /// Posts system `id`'s current usage.
  void post_system(std::uint64_t id, system_usage usage);

  /// Moves every snapshot posted since the last take into `tokens` and
  /// `systems`, replacing what they hold for the same id. The tokens' stay
  /// readable through latest_token until written().
  void take(token_map& tokens, system_map& systems);

  /// Everything taken so far is in the store (a successful write of what
  /// take() handed out).
  void written();

  /// Token `id`'s newest snapshot not known to be in the store yet: posted,
  /// or taken and not written. Ask before reading the store: once this finds
  /// none, the store holds the newest.
  std::optional<token_usage> latest_token(std::uint64_t id);

private:
  std::mutex mtx_;
  token_map tokens_;
  system_map systems_;
  /// Tokens' snapshots taken and not written yet (copies).
  token_map taken_tokens_;
};

} // namespace sluice
