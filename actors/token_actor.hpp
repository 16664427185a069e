#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "actors/interfaces.hpp"
#include "actors/registry.hpp"
#include "policy/limiters.hpp"
#include "policy/usage.hpp"

namespace sluice {

/// What a token actor starts from: its record as the registry read it from
/// the metadata store, and where requests go next.
struct token_init {
  store::token_record record;
  /// Personal tokens: the user they act for (its role, whether it is active).
  std::optional<store::user_record> user;
  system_actor_if system; ///< ingest tokens: the system they write to
  storage_actor_if storage;
  admin_actor_if admin;
  registry* reg = nullptr; ///< outlives every actor (owned by the runtime)
  registry_options opts;
};

/// The state of one token's actor. It is the authority on whether its token
/// may be used right now: the admin actor changes the stored record first,
/// then this actor's copy through update_atom (and a personal token's user
/// through user_atom). It checks, in order: status and expiry, which secret
/// was presented (a rotated-out one only during its grace), the user, the
/// port (ingest tokens ingest, personal and service tokens administer), the
/// IP allowlist and the allowed hours (both lifted during break-glass), then
/// the token's own rate limit. It owns the token's usage (posted to the
/// usage board every flush interval, from where the admin actor, the
/// metadata writer, writes it), and
/// passivates itself after the idle timeout (the registry respawns it on the
/// next use).
struct token_state {
  explicit token_state(token_actor_if::stateful_pointer<token_state> self) : self_(self) {}

  token_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.token";

  token_init init;

private:
  /// Which door a request came through: each admits its kinds of token.
  enum class door : std::uint8_t { ingest, webhook, admin };
  /// Why this token may not be used at `now` through `d` with the secret
  /// whose hash is `presented` from `client_ip`; ok when it may.
  problem refusal(std::int64_t now, const token_hash& presented, std::string_view client_ip,
                  door d) const;
  static door door_of(const ingest_job& job) noexcept;
  void ingest(ingest_job_ptr& job);
  void admin(admin_job_ptr& job);
  /// Counts a request refused for the token's status, expiry or kind, here
  /// and at its system.
  void count_refusal(std::int64_t now);
  /// The global metrics (policy/metrics.hpp) of what this actor decides
  /// itself; what its system decides (and reports back through decided_atom)
  /// is counted there, so each request is counted once.
  void count_metric(rejection why) const noexcept;
  void count_shadow() const noexcept;
  /// The token's own limit: passes the job on to the system actor, refuses
  /// it, or returns false when it must wait for an open reservation.
  bool gate(ingest_job_ptr& job, std::int64_t now);
  /// Lets queued jobs through once reservations were settled.
  void drain();
  /// Sends the jobs let through so far to the system actor, as one message.
  /// Every handler that lets a job through ends with it, so nothing waits in
  /// to_system_ between messages and the order to the system is kept.
  void send_on();
  void describe(info_job_ptr& job);
  void apply(store::token_record rec);
  token_usage snapshot() const;
  void tick();
  void flush_usage();
  /// No job waits here, no reservation waits for its system's decision, and
  /// the token's own bucket (if it has a limit) is full again: an actor
  /// spawned later starts with a full bucket, so one that went away sooner
  /// would hand out room the limit has not refilled yet.
  bool may_passivate(std::int64_t now_mono_us) {
    return waiting_.empty() && limiter_.at_rest(now_mono_us);
  }

  token_actor_if::stateful_pointer<token_state> self_;
  request_limiter limiter_;
  usage_meter usage_;
  std::int64_t last_used_at_us_ = 0;
  std::string last_ip_;
  bool usage_dirty_ = false;
  std::int64_t last_activity_us_ = 0;
  bool passivating_ = false;
  /// Jobs that fit only if an open reservation is given back: they wait for
  /// the system actor's decisions, in arrival order.
  std::deque<ingest_job_ptr> waiting_;
  /// Let through while handling the current message; see send_on().
  ingest_batch to_system_;
};

using token_actor = token_actor_if::stateful_base<token_state>;

/// Spawns a token actor on the scheduler.
token_actor_if spawn_token_actor(caf::actor_system& sys, token_init init);

} // namespace sluice
