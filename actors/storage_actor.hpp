#pragma once

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "actors/interfaces.hpp"
#include "policy/metrics.hpp"
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
  /// After a failed commit, how often a probe write checks whether storage
  /// takes writes again while no group does (storage.ready-check-interval).
  caf::timespan probe_interval = std::chrono::seconds(1);
  /// With groups left in open transactions (applying behind the log): they
  /// are committed once no group has come for this long (the checkpoint
  /// interval). Under load the checkpoints commit them.
  caf::timespan apply_idle = std::chrono::milliseconds(5);
  /// With log writes in flight: a group starts its write while another one
  /// is under way only when its messages hold at most this many bytes
  /// (storage.log-write-overlap-bytes); a larger one waits for that write.
  std::size_t overlap_max_bytes = 64u << 10;
};

struct storage_init {
  store::message_store* store = nullptr; ///< owned by the runtime, outlives the actor
  storage_options opts;
  /// False from a failed commit until a commit or a probe succeeds (GET
  /// /readyz); owned by the runtime, outlives the actor.
  std::atomic<bool>* healthy = nullptr;
  /// Group sizes and latencies, accepted messages, storage errors (owned by
  /// the runtime, outlives the actor); null counts nothing.
  gateway_metrics* metrics = nullptr;
};

/// The state of the storage actor: the only writer of the message
/// environments. It runs detached (its own thread), because a commit blocks
/// until the data is on disk. Nothing is acknowledged before it is durable.
///
/// With the write-ahead log (the default, message_store_options::wal_capacity)
/// a group is durable when its frame and every earlier one are written. With
/// one write at a time, commit_group writes it and the group is answered at
/// once. With more (the store's log_writes_in_flight), the group is handed to the
/// store's log writers (submit_group) and the actor goes on gathering the
/// next one; a writer's `written` message makes it answer the groups whose
/// writes ended, oldest first (reap), and submit the one gathered meanwhile.
/// Without it, commits are pipelined (deferred_meta_sync): group N is
/// committed with one flush for its data; it becomes durable when group N+1
/// is committed (its flush covers the whole file) or, when no group follows
/// at once, by an explicit sync. So the answers of group N are held until
/// then: one flush per group instead of two, at the same latency.
struct storage_state {
  explicit storage_state(storage_actor_if::stateful_pointer<storage_state> self) : self_(self) {}

  storage_actor_if::behavior_type make_behavior();

  static inline const char* name = "sluice.storage";

  storage_init init;

private:
  void write(ingest_job_ptr& job);
  /// Commits the pending group; answers the held one, which is durable then.
  void commit();
  /// Answers every held job (with `sync_error` when durability failed),
  /// reports to their token and system actors, and delivers held barriers.
  void release(const std::error_code& sync_error);
  /// Whether groups are handed to the store's log writers (submit_group).
  bool pipelined() const noexcept;
  /// Answers the groups whose log writes ended, oldest first (with `wait`,
  /// all of them, waiting).
  void reap(bool wait);
  /// Submits and answers every group, pending or under way (at exit).
  void drain();
  /// Counts a group of `messages` durable, committed since `started`.
  void committed(std::size_t messages, std::chrono::steady_clock::time_point started);
  /// With the log, after a group's answers: a checkpoint when due, its
  /// outcome in the metrics, the idle check of groups left open.
  void between_groups();
  void sweep();
  /// Counts the write-ahead log's checkpoints since the last call in the
  /// metrics, and logs a failed one (each failure once).
  void report_checkpoints();
  /// Runs a probe write when nothing else is being written; schedules the
  /// next one while storage still fails.
  void probe();
  /// Arms the idle check of groups left in open transactions (at most one
  /// pending; it re-arms itself while groups keep coming).
  void schedule_apply();
  /// Whether writes succeed, as /readyz shows it; a failure schedules a
  /// probe write.
  void set_health(bool ok);
  void schedule_probe();

  using promise = caf::typed_response_promise<caf::ok_atom>;

  storage_actor_if::stateful_pointer<storage_state> self_;
  // The group being gathered.
  std::vector<ingest_job_ptr> pending_;
  std::size_t pending_messages_ = 0;
  std::uint64_t pending_bytes_ = 0; ///< message body bytes in pending_
  std::vector<promise> barriers_;
  std::uint64_t generation_ = 0; ///< bumps per commit; stale flushes/syncs are ignored
  bool flush_scheduled_ = false;
  bool probe_scheduled_ = false;
  /// An idle check of the groups left in open transactions is scheduled.
  bool apply_scheduled_ = false;
  /// The last commit (or probe) failed: no write has succeeded since.
  bool failing_ = false;
  store::checkpoint_stats reported_; ///< what report_checkpoints() told last
  // The group committed last, not yet durable: its answers wait.
  std::vector<ingest_job_ptr> held_;
  std::vector<store::job_outcome> held_outcomes_;
  std::vector<promise> held_barriers_;
  /// A group whose log write is under way (pipelined()). flights_ is a ring
  /// of log_writes_in_flight entries, oldest at flights_head_; their vectors
  /// are swapped with pending_ and held_, so they keep their capacity.
  struct flight {
    std::vector<ingest_job_ptr> jobs;
    std::vector<store::job_outcome> outcomes;
    std::vector<promise> barriers;
    std::size_t messages = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::vector<flight> flights_;
  std::size_t flights_head_ = 0, flights_count_ = 0;
  // Reused across commits: no allocation per group in steady state.
  std::vector<store::write_job> writes_;
  std::vector<store::job_outcome> outcomes_;
};

using storage_actor = storage_actor_if::stateful_base<storage_state>;

/// Spawns the storage actor on a thread of its own.
storage_actor_if spawn_storage_actor(caf::actor_system& sys, storage_init init);

} // namespace sluice
