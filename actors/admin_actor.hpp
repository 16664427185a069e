#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "actors/interfaces.hpp"
#include "actors/registry.hpp"
#include "actors/usage_board.hpp"
#include "net/admin/requests.hpp"
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
  usage_board* usage = nullptr; ///< owned by the runtime; what the actors posted
};

/// A call on its way through the admin actor: who makes it (as its token's
/// actor authenticated it) and what it acts on, read from the store before
/// it runs: the record its path names and the records above it (a token's
/// system and tenant, a system's tenant, a user's tenant). Handlers get it
/// filled in as their operation's row of policy/admin_ops.cpp says.
struct admin_context {
  principal who;
  std::string client_ip;
  std::optional<store::tenant_record> tenant;
  std::optional<store::system_record> system;
  std::optional<store::token_record> token;
  std::optional<store::user_record> user;
  std::optional<store::approval_record> approval;
};

/// The state of the admin actor: it runs the admin API's operations and is
/// the single writer of the metadata store. It runs detached (its own thread)
/// because its writes block until they are on disk.
///
/// net/ decodes and validates each call into a typed request (net/admin/);
/// here a call is authenticated, its target read, authorised, and handed to
/// the handler of its request type, one file per resource (actors/admin/).
/// Handlers keep to what needs this actor's state: metadata writes, token
/// slots at a system's actor, and telling live actors about a change (written
/// to the store first; the call returns once the actor applied it).
struct admin_state {
  explicit admin_state(admin_actor_if::stateful_pointer<admin_state> self) : self_(self) {}

  admin_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.admin";

  admin_init init;

private:
  void handle(admin_job_ptr& job);
  /// Reads the records the operation acts on; false after answering 404.
  bool resolve(admin_job_ptr& job, admin_context& ctx);
  /// What authorisation looks at, from the records resolve() read (and, for
  /// a decision, who received the secret the decider presents).
  authz_target target_of(const admin_context& ctx) const;
  /// "tenant", "token", …: how a 404 names what was not found.
  static std::string_view target_name(admin_target t);

  // Handlers, one overload per request type (actors/admin/<resource>.cpp).
  void run(admin_job_ptr& job, const std::monostate&, admin_context& ctx);
  // tenants.cpp
  void run(admin_job_ptr& job, const net::create_tenant_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_tenants_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::get_tenant_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::patch_tenant_req& req, admin_context& ctx);
  // users.cpp
  void run(admin_job_ptr& job, const net::create_user_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_users_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::get_user_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::patch_user_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::mint_personal_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_personal_tokens_req& req, admin_context& ctx);
  // systems.cpp
  void run(admin_job_ptr& job, const net::create_system_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_systems_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::get_system_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::patch_system_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::system_usage_req& req, admin_context& ctx);
  // tokens.cpp: minting and lists
  void run(admin_job_ptr& job, const net::mint_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::mint_tokens_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_system_tokens_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::mint_service_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::list_service_tokens_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::get_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::token_usage_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::token_history_req& req, admin_context& ctx);
  // token_changes.cpp: changes to one token
  void run(admin_job_ptr& job, const net::patch_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::set_security_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::rotate_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::disable_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::enable_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::revoke_token_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::start_emergency_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::end_emergency_req& req, admin_context& ctx);
  // approvals.cpp
  void run(admin_job_ptr& job, const net::list_approvals_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::get_approval_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::approve_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::reject_req& req, admin_context& ctx);
  // audit.cpp: the audit log and the caller
  void run(admin_job_ptr& job, const net::list_audit_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::verify_audit_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::whoami_req& req, admin_context& ctx);
  // messages.cpp
  void run(admin_job_ptr& job, const net::list_messages_req& req, admin_context& ctx);
  void run(admin_job_ptr& job, const net::stream_messages_req& req, admin_context& ctx);

  /// Answers a page of tokens, each with its live usage (tokens.cpp).
  void list_tokens(admin_job_ptr& job, std::vector<store::token_record> rows, std::size_t limit);
  /// Answers a page of audit events (audit.cpp).
  void write_events(admin_job_ptr& job, const store::audit_page& page);

  /// Mints `count` ingest tokens on the context's system (tokens.cpp).
  void mint(admin_job_ptr& job, const net::mint_token_req& req, std::uint32_t count,
            admin_context& ctx);

  /// Writes a token changed by `action` with its audit event (before: the
  /// context's token), hands it to the token's live actor (if any), and
  /// answers with it once the actor applied it (token_changes.cpp).
  void change_token(admin_job_ptr& job, admin_context& ctx, store::token_record rec,
                    std::string_view action, std::string reason);

  /// After a token's record was written: hands it to the token's live actor
  /// (if any), then answers with it (and its live usage) once the actor
  /// applied it. `secret`, when given, is answered beside it (a rotation).
  void apply_to_live_token(admin_job_ptr& job, const store::token_record& rec,
                           std::string secret = {});

  /// Approves or rejects the context's approval (a rejection revokes its
  /// token), writes both with their audit event, lets the token's live actor
  /// take the change, then answers with the approval (approvals.cpp).
  void decide(admin_job_ptr& job, admin_context& ctx, store::approval_status outcome,
              const std::string& reason);

  /// Who holds the secret the caller presents: whoever it was issued to
  /// (a usr_ or tok_ id), or the caller itself when no one else was. A new
  /// secret the caller receives (a mint, a rotation) is issued to the same
  /// holder: presenting someone's secret does not make its owner the holder
  /// of what it receives.
  std::string holder_of(const principal& who) const;

  /// The person behind a caller: its user, or the user who (directly or
  /// through other service tokens) made the service token; 0 when none.
  std::uint64_t person_behind(const principal& who) const;

  /// The person who holds the current secret of token `token_id` (as
  /// holder_of sees it): the user it was issued to, following tokens it was
  /// issued to up to a person; a personal token issued to no one else is its
  /// user's, a service token its maker's (person_behind). 0 when none is
  /// found. Differs from person_behind for a service token someone else
  /// rotated, and for a personal token someone else set up.
  std::uint64_t person_holding(std::uint64_t token_id) const;

  /// An audit event of `action` by the caller, naming the context's records.
  store::audit_event event(const admin_context& ctx, std::string_view action,
                           std::string reason = {}) const;

  /// The caps a tenant's systems enforce: tier row plus overrides.
  tier_caps caps_of(const store::tenant_record& t) const;

  void flush_usage();
  std::uint64_t fresh_id();

  admin_actor_if::stateful_pointer<admin_state> self_;
  /// Usage taken from the board (init.usage), written at the next flush;
  /// kept when a write fails.
  usage_board::token_map pending_usage_;
  usage_board::system_map pending_system_usage_;
};

using admin_actor = admin_actor_if::stateful_base<admin_state>;

/// Spawns the admin actor on a thread of its own.
admin_actor_if spawn_admin_actor(caf::actor_system& sys, admin_init init);

} // namespace sluice
