#pragma once

#include <caf/actor_system.hpp>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/token_hash_index.hpp"
#include "actors/usage_board.hpp"
#include "policy/metrics.hpp"
#include "policy/tiers.hpp"
#include "policy/token_hash.hpp"
#include "store/meta_store.hpp"

namespace sluice {

/// Settings the registry hands to the actors it spawns.
struct registry_options {
  caf::timespan token_idle_timeout = std::chrono::minutes(10);
  caf::timespan usage_flush_interval = std::chrono::seconds(10);
  std::size_t max_batch_messages = 1000;
  sluice::tier_table tiers; ///< the tier table in force (from the config)
  /// Where the actors count refusals, sampling and shadow hits (owned by the
  /// runtime, outlives every actor); null counts nothing.
  gateway_metrics* metrics = nullptr;
  /// Where token and system actors post their usage for the admin actor
  /// (owned by the runtime, outlives every actor); never null.
  usage_board* usage = nullptr;
};

/// The terms a tenant's systems enforce: its tier's row of `tiers` with its
/// overrides applied.
system_terms terms_of(const tier_table& tiers, const store::tenant_record& tenant);

/// Finds a token's actor from the hash of its secret, spawning it from the
/// metadata store on first use; likewise a system's actor from its id.
///
/// One actor per token, however many secrets lead to it (a rotated secret
/// keeps working through its grace): hashes map to actors in shards, each with
/// its own mutex, and token ids map to the same actors.
///
/// Thread-safe: the I/O threads call it directly (no actor hop on the hot
/// path). A lookup of a live token takes one shard lock for a hash map probe.
/// A miss takes the id map's lock, reads the store and finds the token's
/// actor or spawns it, all under that lock, which is what makes updates safe:
/// the admin actor writes a change to the store *before* it asks
/// live_token_actor() (the same lock) for the actor to notify, so a spawn
/// either read the new record or was registered in time to be notified.
/// Lock order: a hash shard (ascending when several), then the id map, then
/// the systems.
class registry {
public:
  registry(caf::actor_system& sys, store::meta_store& meta, storage_actor_if storage,
           registry_options opts);
  registry(const registry&) = delete;
  registry& operator=(const registry&) = delete;

  /// Set once at start-up, before any lookup (the admin actor needs the
  /// registry to exist first).
  void set_admin(admin_actor_if admin);

  /// The actor of the token whose secret hashes to `h`, spawned if needed;
  /// nullopt when no token has this hash.
  std::optional<token_actor_if> token_actor(const token_hash& h);

  /// The actor of token `id`, only if it is live right now.
  std::optional<token_actor_if> live_token_actor(std::uint64_t id);

  /// The actor reached by hash `h`, only if it is live right now: one probe
  /// under the shard's lock, never a read of the store. A hit means `h` is
  /// the hash of a secret minted (or rotated in) by the admin actor.
  std::optional<token_actor_if> live_token_actor(const token_hash& h);

  /// Called by a token actor that passivates: forgets it under its id and
  /// under every hash this registry mapped to it (the one it was spawned for,
  /// and a rotated secret's, mapped at its first use), unless an entry
  /// already points to a newer actor.
  void forget_token(std::uint64_t id, const caf::actor_addr& who);

  /// Every live token actor (for the usage flush at shutdown).
  std::vector<token_actor_if> live_token_actors();

  /// The actor of system `id`, spawned if needed; nullopt when unknown.
  std::optional<system_actor_if> system_actor(std::uint64_t id);

  /// The actor of system `id`, only if it is live right now. As for tokens,
  /// the admin actor writes a change to the store before it asks.
  std::optional<system_actor_if> live_system_actor(std::uint64_t id);

  /// Every live system actor (for the usage flush and exit at shutdown).
  std::vector<system_actor_if> live_system_actors();

  /// How many token and system actors are live (for metrics: one lock and
  /// a size each, no walk).
  std::size_t live_token_count() const;
  std::size_t live_system_count() const;

private:
  struct shard {
    mutable std::mutex mtx;
    token_hash_index<token_actor_if> tokens;
  };
  static constexpr std::size_t shard_count = 64;

  shard& shard_of(const token_hash& h) noexcept;

  caf::actor_system& sys_;
  store::meta_store& meta_;
  /// A live token actor and every hash mapped to it. The registry keeps the
  /// list, not the actor: a secret's hash can be mapped to an actor that has
  /// already decided to passivate (a rotated secret's first request, racing
  /// the idle tick), and only what was mapped is sure to be forgotten. Grows
  /// under ids_mtx_ and the hash's shard lock; never shrinks while live.
  struct live_token {
    token_actor_if actor;
    std::vector<token_hash> hashes;
  };
  mutable std::mutex ids_mtx_;
  std::unordered_map<std::uint64_t, live_token> by_id_;
  storage_actor_if storage_;
  admin_actor_if admin_;
  registry_options opts_;
  std::array<shard, shard_count> shards_;
  mutable std::mutex systems_mtx_;
  std::unordered_map<std::uint64_t, system_actor_if> systems_;
};

} // namespace sluice
