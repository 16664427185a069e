#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

#include "actors/interfaces.hpp"
#include "store/message_store.hpp"

namespace sluice {

/// How the storage actor groups its commits (config keys under `storage`).
struct storage_options {
  /// Longest the first write of a group waits for company. 0: the group
  /// closes as soon as the mailbox holds no more writes, which under load is
  /// plenty: while one group's commit syncs, the next one gathers.
  caf::timespan batch_latency{0};
  /// A group closes at once when it holds this many messages.
  std::size_t batch_max_messages = 20'000;
  caf::timespan expiry_interval = std::chrono::hours(1);
};

struct storage_init {
  store::message_store* store = nullptr; ///< owned by the runtime, outlives the actor
  storage_options opts;
  std::atomic<bool>* healthy = nullptr;  ///< false after a failed commit, for /healthz
};

/// The state of the storage actor: the only writer of the message
/// environments. It runs detached (its own thread), because a commit blocks
/// until the data is on disk. Nothing is acknowledged before its commit: every
/// job of a group is answered only after the group's transactions committed.
struct storage_state {
  explicit storage_state(storage_actor_if::stateful_pointer<storage_state> self) : self_(self) {}

  storage_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.storage";

  storage_init init;

private:
  void write(ingest_job_ptr& job);
  void commit();
  void sweep();

  storage_actor_if::stateful_pointer<storage_state> self_;
  std::vector<ingest_job_ptr> pending_;
  std::size_t pending_messages_ = 0;
  std::uint64_t generation_ = 0; ///< bumps per commit; stale flushes are ignored
  bool flush_scheduled_ = false;
  std::vector<caf::typed_response_promise<caf::ok_atom>> barriers_;
  // Reused across commits: no allocation per group in steady state.
  std::vector<store::write_job> writes_;
  std::vector<store::job_outcome> outcomes_;
  /// One report per actor per group: jobs of one token (and system) usually
  /// sit next to each other, so consecutive ones fold into one entry.
  struct report {
    caf::strong_actor_ptr to;
    commit_report counts;
  };
  std::vector<report> token_reports_;
  std::vector<report> system_reports_;
};

using storage_actor = storage_actor_if::stateful_base<storage_state>;

/// Spawns the storage actor on a thread of its own.
storage_actor_if spawn_storage_actor(caf::actor_system& sys, storage_init init);

} // namespace sluice
