#include "actors/registry.hpp"

#include <caf/send.hpp>

#include <cstring>

#include "actors/system_actor.hpp"
#include "actors/token_actor.hpp"

namespace sluice {

std::size_t registry::hash_of_hash::operator()(const token_hash& h) const noexcept {
  // The key is already a keyed cryptographic hash: any 8 bytes of it are a
  // uniformly distributed hash value.
  std::size_t x;
  std::memcpy(&x, h.data(), sizeof x);
  return x;
}

registry::registry(caf::actor_system& sys, store::meta_store& meta, storage_actor_if storage,
                   registry_options opts)
  : sys_(sys), meta_(meta), storage_(std::move(storage)), opts_(opts) {}

void registry::set_admin(admin_actor_if admin) {
  admin_ = std::move(admin);
}

registry::shard& registry::shard_of(const token_hash& h) noexcept {
  // Bytes 8.. pick the shard; bytes 0..7 feed the map inside it.
  return shards_[h[8] % shard_count];
}

std::optional<token_actor_if> registry::token_actor(const token_hash& h) {
  auto& s = shard_of(h);
  std::lock_guard guard{s.mtx};
  if (auto i = s.tokens.find(h); i != s.tokens.end())
    return i->second;
  // A miss: read the record under the shard lock (see the class comment).
  auto rec = meta_.token_by_hash(h);
  if (!rec)
    return std::nullopt;
  token_init init;
  if (auto tenant = meta_.tenant(rec->tenant_id)) {
    init.tier = tenant->tier;
    init.tenant_name = tenant->name;
  }
  init.caps = default_caps(init.tier);
  if (auto system = meta_.system(rec->system_id))
    init.system_name = system->name;
  init.record = std::move(*rec);
  init.storage = storage_;
  init.admin = admin_;
  init.reg = this;
  init.opts = opts_;
  init.max_batch_messages = opts_.max_batch_messages;
  auto actor = spawn_token_actor(sys_, std::move(init));
  s.tokens.emplace(h, actor);
  return actor;
}

std::optional<token_actor_if> registry::live_token_actor(const token_hash& h) {
  auto& s = shard_of(h);
  std::lock_guard guard{s.mtx};
  if (auto i = s.tokens.find(h); i != s.tokens.end())
    return i->second;
  return std::nullopt;
}

void registry::forget_token(const token_hash& h, const caf::actor_addr& who) {
  auto& s = shard_of(h);
  std::lock_guard guard{s.mtx};
  if (auto i = s.tokens.find(h); i != s.tokens.end() && i->second.address() == who)
    s.tokens.erase(i);
}

std::vector<token_actor_if> registry::live_token_actors() {
  std::vector<token_actor_if> out;
  for (auto& s : shards_) {
    std::lock_guard guard{s.mtx};
    for (auto& [h, actor] : s.tokens)
      out.push_back(actor);
  }
  return out;
}

std::size_t registry::live_tokens() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard guard{s.mtx};
    n += s.tokens.size();
  }
  return n;
}

std::optional<system_actor_if> registry::system_actor(std::uint64_t id) {
  std::lock_guard guard{systems_mtx_};
  if (auto i = systems_.find(id); i != systems_.end())
    return i->second;
  auto system = meta_.system(id);
  if (!system)
    return std::nullopt;
  system_init init;
  init.system_id = id;
  auto tenant = meta_.tenant(system->tenant_id);
  init.caps = default_caps(tenant ? tenant->tier : tier::free);
  init.live_tokens = meta_.live_tokens_of_system(id);
  auto actor = spawn_system_actor(sys_, init);
  systems_.emplace(id, actor);
  return actor;
}

void registry::stop_systems() {
  std::lock_guard guard{systems_mtx_};
  for (auto& [id, actor] : systems_)
    caf::anon_send_exit(actor, caf::exit_reason::user_shutdown);
  systems_.clear();
}

} // namespace sluice
