#include "actors/registry.hpp"

#include <algorithm>

#include "actors/system_actor.hpp"
#include "actors/token_actor.hpp"

namespace sluice {

registry::registry(caf::actor_system& sys, store::meta_store& meta, storage_actor_if storage,
                   registry_options opts)
    : sys_(sys), meta_(meta), storage_(std::move(storage)), opts_(opts) {}

void registry::set_admin(admin_actor_if admin) { admin_ = std::move(admin); }

registry::shard& registry::shard_of(const token_hash& h) noexcept {
  // Byte 8 picks the shard; bytes 0..7 the slot inside it (the key is a
  // keyed cryptographic hash: any of its bytes are uniformly distributed).
  return shards_[h[8] % shard_count];
}

std::optional<token_actor_if> registry::token_actor(const token_hash& h) {
  auto& s = shard_of(h);
  std::lock_guard guard{s.mtx};
  if (auto* actor = s.tokens.find(h))
    return *actor;
  // A miss: read the record under the shard lock and the id map's lock (see
  // the class comment). Under the id map's lock, not before it: a change the
  // admin actor commits after a read made outside it, but whose lookup of
  // the live actor comes before this spawn registers, would reach no actor,
  // and the actor spawned here would go on with the record before the change
  // (a revoked token accepted until it passivates).
  std::lock_guard ids{ids_mtx_};
  auto rec = meta_.token_by_hash(h);
  if (!rec)
    return std::nullopt;
  if (auto i = by_id_.find(rec->id); i != by_id_.end()) {
    // Live already, reached by another of its secrets (a rotation).
    s.tokens.insert(h, i->second.actor);
    i->second.hashes.push_back(h);
    return i->second.actor;
  }
  token_init init;
  if (rec->system_id != 0) {
    auto system = system_actor(rec->system_id);
    if (!system)
      return std::nullopt; // a token of a system that is gone
    init.system = *system;
  }
  // A personal token acts with its user's role and only while the user is
  // active; the admin actor tells the live actor when either changes.
  if (rec->kind == token_kind::user) {
    init.user = meta_.user(rec->user_id);
    if (!init.user)
      return std::nullopt;
  }
  // The newest usage: a snapshot the store does not have yet (the last one
  // of an actor of this token that passivated moments ago), else the
  // store's, read again after asking the board, as the board forgets a
  // snapshot only once the store has it (see usage_board).
  if (auto pending = opts_.usage->latest_token(rec->id)) {
    rec->usage = std::move(pending->usage);
    rec->last_used_at_us = pending->last_used_at_us;
    rec->last_ip = std::move(pending->last_ip);
  } else if (auto stored = meta_.token(rec->id)) {
    rec->usage = std::move(stored->usage);
    rec->last_used_at_us = stored->last_used_at_us;
    rec->last_ip = std::move(stored->last_ip);
  }
  init.record = std::move(*rec);
  init.storage = storage_;
  init.admin = admin_;
  init.reg = this;
  init.opts = opts_;
  auto id = init.record.id;
  auto actor = spawn_token_actor(sys_, std::move(init));
  by_id_.emplace(id, live_token{actor, {h}});
  s.tokens.insert(h, actor);
  return actor;
}

std::optional<token_actor_if> registry::live_token_actor(const token_hash& h) {
  auto& s = shard_of(h);
  std::lock_guard guard{s.mtx};
  if (auto* actor = s.tokens.find(h))
    return *actor;
  return std::nullopt;
}

std::optional<token_actor_if> registry::live_token_actor(std::uint64_t id) {
  std::lock_guard guard{ids_mtx_};
  if (auto i = by_id_.find(id); i != by_id_.end())
    return i->second.actor;
  return std::nullopt;
}

void registry::forget_token(std::uint64_t id, const caf::actor_addr& who) {
  // The hashes to forget are known only under the id map's lock, but their
  // shards must be locked first (the lock order): read the list, lock its
  // shards, then the id map, and start again in the rare case that another
  // secret was mapped in between (the list only grows).
  std::vector<token_hash> hashes;
  for (;;) {
    {
      std::lock_guard ids{ids_mtx_};
      auto i = by_id_.find(id);
      if (i == by_id_.end() || i->second.actor.address() != who)
        return; // forgotten already, or a newer actor's entry
      hashes = i->second.hashes;
    }
    std::vector<shard*> shards;
    for (auto& h : hashes)
      shards.push_back(&shard_of(h));
    std::sort(shards.begin(), shards.end());
    shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
    std::vector<std::unique_lock<std::mutex>> locks;
    for (auto* s : shards)
      locks.emplace_back(s->mtx);
    std::lock_guard ids{ids_mtx_};
    auto i = by_id_.find(id);
    if (i == by_id_.end() || i->second.actor.address() != who)
      return;
    if (i->second.hashes.size() != hashes.size())
      continue;
    for (auto& h : hashes)
      shard_of(h).tokens.erase_unless(
        h, [&](const token_actor_if& actor) { return actor.address() != who; });
    by_id_.erase(i);
    return;
  }
}

std::vector<token_actor_if> registry::live_token_actors() {
  std::lock_guard guard{ids_mtx_};
  std::vector<token_actor_if> out;
  out.reserve(by_id_.size());
  for (auto& [id, live] : by_id_)
    out.push_back(live.actor);
  return out;
}

system_terms terms_of(const tier_table& tiers, const store::tenant_record& tenant) {
  system_terms t;
  t.tier = tenant.tier;
  t.caps = effective_caps(tiers[tenant.tier], tenant.overrides);
  t.tenant_name = tenant.name;
  return t;
}

std::optional<system_actor_if> registry::system_actor(std::uint64_t id) {
  std::lock_guard guard{systems_mtx_};
  if (auto i = systems_.find(id); i != systems_.end())
    return i->second;
  auto system = meta_.system(id);
  if (!system)
    return std::nullopt;
  auto tenant = meta_.tenant(system->tenant_id);
  if (!tenant)
    return std::nullopt;
  system_init init;
  init.terms = terms_of(opts_.tiers, *tenant);
  init.live_tokens = meta_.live_tokens_of_system(id);
  init.record = std::move(*system);
  init.max_batch_messages = opts_.max_batch_messages;
  init.storage = storage_;
  init.usage_flush_interval = opts_.usage_flush_interval;
  init.metrics = opts_.metrics;
  init.usage = opts_.usage;
  auto actor = spawn_system_actor(sys_, std::move(init));
  systems_.emplace(id, actor);
  return actor;
}

std::optional<system_actor_if> registry::live_system_actor(std::uint64_t id) {
  std::lock_guard guard{systems_mtx_};
  if (auto i = systems_.find(id); i != systems_.end())
    return i->second;
  return std::nullopt;
}

std::size_t registry::live_token_count() const {
  std::lock_guard guard{ids_mtx_};
  return by_id_.size();
}

std::size_t registry::live_system_count() const {
  std::lock_guard guard{systems_mtx_};
  return systems_.size();
}

std::vector<system_actor_if> registry::live_system_actors() {
  std::lock_guard guard{systems_mtx_};
  std::vector<system_actor_if> out;
  for (auto& [id, actor] : systems_)
    out.push_back(actor);
  return out;
}

} // namespace sluice
