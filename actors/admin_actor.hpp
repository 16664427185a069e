#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "actors/admin_body.hpp"
#include "actors/interfaces.hpp"
#include "actors/registry.hpp"
#include "policy/tiers.hpp"
#include "policy/token_hash.hpp"
#include "store/message_store.hpp"
#include "store/meta_store.hpp"

namespace sluice {

struct admin_init {
  store::meta_store* meta = nullptr;        ///< owned by the runtime
  store::message_store* messages = nullptr; ///< owned by the runtime
  registry* reg = nullptr;                  ///< owned by the runtime
  sluice::pepper pepper;
  sluice::tier_table tiers; ///< the tier table in force (from the config)
  caf::timespan usage_flush_interval = std::chrono::seconds(10);
};

/// The state of the admin actor: it serves the admin API and is the single
/// writer of the metadata store. It runs detached (its own thread) because
/// its writes block until they are on disk. A change to a token is written to
/// the store first and then applied to the token's live actor (if any); the
/// call returns only after the actor has applied it.
struct admin_state {
  explicit admin_state(admin_actor_if::stateful_pointer<admin_state> self) : self_(self) {}

  admin_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.admin";

  admin_init init;

  /// Who is calling, once authenticated.
  struct caller {
    std::uint64_t user_id = 0;
    std::uint64_t token_id = 0;
    bool superuser = false;
    std::string public_id; ///< "usr_…", recorded as created_by
  };

private:
  void handle(admin_job_ptr& job);
  problem authenticate(const admin_command& cmd, caller& out);

  void create_tenant(admin_job_ptr& job, const caller& who);
  void list_tenants(admin_job_ptr& job);
  void get_tenant(admin_job_ptr& job);
  void patch_tenant(admin_job_ptr& job);
  void create_system(admin_job_ptr& job);
  void list_systems(admin_job_ptr& job);
  void get_system(admin_job_ptr& job);
  /// Mints one token, or `count` of them (bulk: POST …/tokens/bulk).
  void mint_token(admin_job_ptr& job, const caller& who, bool bulk);
  void list_system_tokens(admin_job_ptr& job);
  void get_token(admin_job_ptr& job);
  void patch_token(admin_job_ptr& job);
  void revoke_token(admin_job_ptr& job);
  void set_token_security(admin_job_ptr& job);
  void token_usage_of(admin_job_ptr& job);
  void system_usage_of(admin_job_ptr& job);
  void list_messages(admin_job_ptr& job);

  /// After a token's record was written: hands it to the token's live actor
  /// (if any), then answers with it once the actor applied it.
  void apply_to_live_token(admin_job_ptr& job, const store::token_record& rec);

  /// The caps a tenant's systems enforce: tier row plus overrides.
  tier_caps caps_of(const store::tenant_record& t) const;
  /// Reads `overrides` from the body into `o` (absent keeps, null removes).
  problem read_overrides(cap_overrides& o);

  void flush_usage();
  std::uint64_t fresh_id();

  admin_actor_if::stateful_pointer<admin_state> self_;
  admin_body body_;
  /// Usage reported by token and system actors, written at the next flush.
  std::unordered_map<std::uint64_t, token_usage> pending_usage_;
  std::unordered_map<std::uint64_t, system_usage> pending_system_usage_;
};

using admin_actor = admin_actor_if::stateful_base<admin_state>;

/// Spawns the admin actor on a thread of its own.
admin_actor_if spawn_admin_actor(caf::actor_system& sys, admin_init init);

} // namespace sluice
