#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "policy/message.hpp"

namespace sluice::store {

/// Limits of the message environments (config keys under `storage`).
struct message_store_options {
  std::filesystem::path dir;                       ///< <data-dir>/messages
  std::size_t map_size = 64ull << 20;              ///< initial map size per environment
  std::size_t max_map_size = 1ull << 40;           ///< growth stops here (then 507)
  std::int64_t dedup_window_us = 86'400'000'000LL; ///< 24 h
  /// Pipelined durability. Off: every commit_group is on disk when it returns
  /// (LMDB syncs data and meta page: two flushes per commit). On: commits use
  /// MDB_NOMETASYNC (one flush, for the data); a commit becomes durable when
  /// the next commit of its environment flushes the file, or at sync(). The
  /// caller acknowledges a group only after sync_previous() (at the next
  /// group) or sync() made it durable, and readers see a group only then.
  bool deferred_meta_sync = false;
  /// Size of the write-ahead log's ring (`<dir>/wal`); 0: no log. With a
  /// log, a group is durable when commit_group returns: its records are
  /// appended to the log with O_DSYNC (one write, one flush), and the
  /// environments are committed without flushing (MDB_NOSYNC) and synced by
  /// a checkpoint behind. deferred_meta_sync is then ignored.
  std::size_t wal_capacity = 0;
  /// With a log: a checkpoint starts once this long has passed since the
  /// last one (and something was written), or when a quarter of the log is
  /// in use, whichever comes first.
  std::chrono::milliseconds checkpoint_interval{50};
  /// With a log: a group's write transaction is left open, and later groups
  /// add to it, while the log entries of the groups in it (acknowledged, in
  /// the log) total at most this many bytes per environment; it is committed
  /// at the next checkpoint, when the writer has been idle for a checkpoint
  /// interval (the storage actor), or when a reader asks.
  /// Fewer, larger transactions copy and write each B-tree page once for
  /// many groups. Only while the file system has 16 times this free and the
  /// map can grow by as much (a group that finds no room must fail before
  /// it is acknowledged). 0: every group commits its own transactions.
  std::size_t deferred_apply_bytes = 0;
  /// With a log: how many groups' frames may be under way at once (1 to
  /// write_ahead_log::max_in_flight). 1: commit_group writes its group's
  /// frame itself, and the next group waits for that write. More: the
  /// writer hands each frame to one of this many log writer threads of the
  /// store (submit_group) and goes on with the next group while the device
  /// takes both; a group counts as durable once its frame and every earlier
  /// one are written (reap).
  std::size_t log_writes_in_flight = 1;
};

/// One request's messages, all under the same token (hence the same retention
/// and the same environment). `batch` is borrowed for the duration of the call.
struct write_job {
  int retention_days = 7;
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  message_source source = message_source::native;
  const message_batch* batch = nullptr;
};

/// What happened to one job: all of its messages committed (accepted stored,
/// duplicates recognised and skipped) or none (ec set, lmdb_category).
struct job_outcome {
  std::error_code ec;
  std::uint32_t accepted = 0;
  std::uint32_t duplicates = 0;
};

/// A message as read back.
struct stored_message {
  std::uint64_t id = 0; ///< received_at in µs; unique, increasing
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  int retention_days = 0;
  message_source source = message_source::native;
  message_level level = message_level::none;
  std::int64_t event_time_us = no_event_time;
  std::string body; ///< the message object, minified JSON
};

/// A read-back request: messages of one system, ascending by id.
struct message_query {
  std::uint64_t system_id = 0;
  std::int64_t since_us = 0;                                        ///< inclusive
  std::int64_t until_us = std::numeric_limits<std::int64_t>::max(); ///< exclusive
  std::optional<std::uint64_t> token_id;
  std::optional<message_level> level;
  std::optional<message_source> source;
  std::uint64_t after_id = 0; ///< cursor: only ids greater than this
  std::size_t limit = 100;
  /// Most entries examined per call; a page may come back short (even empty)
  /// with a cursor when filters skip many messages.
  std::size_t scan_budget = 100'000;
};

struct message_page {
  std::vector<stored_message> items;
  std::optional<std::uint64_t> next_cursor; ///< nullopt: nothing more now
};

/// What the write-ahead log's checkpoints did so far.
struct checkpoint_stats {
  std::uint64_t taken = 0;    ///< checkpoints made durable
  std::uint64_t failed = 0;   ///< checkpoints whose flush or record failed
  std::error_code last_error; ///< of the last failed one
};

/// What the start found in the write-ahead log (message_store::recovery()).
struct log_recovery {
  std::size_t groups = 0;   ///< groups after its checkpoint, applied again
  std::size_t messages = 0; ///< the messages in them
  bool retired = false;     ///< the log was left by a run with it: applied and removed
};

struct sweep_result {
  std::size_t message_buckets_dropped = 0;
  std::size_t dedup_buckets_dropped = 0;
};

/// The message environments: one LMDB environment per retention class
/// (<dir>/r7, r30, …, rnever), each holding day buckets: named databases
/// `m<day>` (messages received that UTC day, key = system id + message id, both
/// big-endian) and `d<day>` (dedup entries, key = system id + client id).
/// Expiry drops whole buckets, never before every message in them is past its
/// retention (policy/retention.hpp).
///
/// Threads: one writer thread (the storage actor) calls commit_group (or
/// submit_group and reap) and sweep; query, map_size and watermark may run
/// on any thread concurrently. With a write-ahead log the store runs one more
/// thread of its own, which flushes the environments and writes checkpoint
/// records, and with log_writes_in_flight > 1 that many log writer threads
/// (see message_store.cpp for why a power loss cannot lose or corrupt
/// anything).
class message_store {
public:
  explicit message_store(const message_store_options& opts);
  ~message_store();
  message_store(const message_store&) = delete;
  message_store& operator=(const message_store&) = delete;

  /// Stores every job in one write transaction per environment and commits
  /// durably; on return, outcomes[i] tells job i's fate. Message ids are
  /// max(previous + 1, now_us). A message whose client `id` this system stored
  /// within the dedup window (in any environment, or earlier in this group) is
  /// counted as a duplicate and not stored. A full map grows and the
  /// environment's transaction is redone. `outcomes.size() == jobs.size()`.
  void commit_group(std::span<const write_job> jobs, std::int64_t now_us,
                    std::span<job_outcome> outcomes);

  /// With a log and log_writes_in_flight > 1: does what commit_group does
  /// except wait for the group's log write, which one of the store's log
  /// writer threads makes; outcomes[i] is final except for that write's
  /// result, which reap() reports. Every group goes through reap, in the
  /// order submitted, even one with nothing to write: its duplicates may
  /// name messages of an earlier group still being written. At most
  /// log_writes_in_flight groups may be submitted and not yet reaped.
  void submit_group(std::span<const write_job> jobs, std::int64_t now_us,
                    std::span<job_outcome> outcomes);
  /// How many groups' log writes may be under way at once: the option, with
  /// a log; 1 without one (commit_group only).
  std::size_t log_writes_in_flight() const noexcept;
  /// Groups submitted and not yet reaped.
  std::size_t groups_in_flight() const noexcept;
  /// Calls `done(ec)` for each submitted group whose log write ended, oldest
  /// first, stopping at the first still under way (with `wait`: waits for
  /// every one). ec: the group's write failed, or an earlier group's did and
  /// no checkpoint covers this one since; then nothing of the group is
  /// acknowledged. Writer thread only.
  void reap(const std::function<void(std::error_code)>& done, bool wait);
  /// Called on a log writer thread after each write: must make the writer
  /// call reap soon (the storage actor sends itself a message). Set once,
  /// before the first submit_group.
  void on_written(std::function<void()> written);

  /// With deferred_meta_sync: makes every group before the last commit_group
  /// durable (the last group's own commits flushed the files of the
  /// environments it wrote; the others are synced here). Without: nothing to
  /// do. On error the earlier groups' durability is unknown.
  std::error_code sync_previous();

  /// Makes every group committed so far durable (syncs what is not yet).
  /// With a write-ahead log: takes a checkpoint now (so a restart replays
  /// nothing), waiting for one under way first.
  std::error_code sync();

  /// Whether a group is durable when commit_group returns (a write-ahead
  /// log), so its answers need not wait for a later sync.
  bool durable_on_commit() const noexcept;
  /// With a write-ahead log: starts a checkpoint when one is due (the
  /// interval passed, or a quarter of the log is in use) and collects one
  /// that finished. Its first step commits the groups applied behind the
  /// log on this thread, so the writer calls it after answering the group it
  /// just committed, not before. Writer thread, between groups; nothing
  /// without a log.
  void checkpoint_if_due();

  /// With deferred_apply_bytes: commits the write transactions left open, so
  /// that every acknowledged group is visible to readers. Writer thread only,
  /// between groups. On error those groups stay in the log (and in memory,
  /// to be applied again before the next group of their environment); no
  /// checkpoint is taken until they are applied.
  std::error_code apply_deferred();
  /// Whether groups are left in open transactions (writer thread).
  bool has_deferred() const noexcept;
  /// How a reader (query) that must see groups left in open transactions
  /// gets the writer to apply them: `wanted` is called on the reader's
  /// thread and must make the writer call apply_deferred soon (the storage
  /// actor sends itself a message). Set once, before any query.
  void on_apply_wanted(std::function<void()> wanted);

  /// The checkpoints' outcomes so far (writer thread; all zero without a log).
  checkpoint_stats checkpoints() const;
  /// What opening the store applied from the write-ahead log (any thread;
  /// set before the constructor returns).
  const log_recovery& recovery() const noexcept;
  /// Bytes of the write-ahead log holding groups no durable checkpoint
  /// covers yet (any thread; 0 without a log).
  std::uint64_t log_used_bytes() const noexcept;

  /// Whether storage takes writes (after a failed commit, with no traffic
  /// to tell): rewrites each environment's own bookkeeping, unchanged, in a
  /// write transaction, and syncs. Error: the first failure (ENOSPC for a
  /// full disk, as commit_group reports it). Writer thread only, between
  /// groups (nothing committed and not yet synced is lost by it: it syncs).
  std::error_code probe();

  /// Reads back messages (only durable ones, up to the visible watermark).
  /// Groups acknowledged but left in an open transaction are applied first
  /// (see on_apply_wanted): a reader sees every message acknowledged before
  /// it asked. Throws std::system_error (timed_out) when the writer has not
  /// applied them within ten seconds.
  /// Throws std::system_error (lmdb_category) when LMDB cannot begin a read
  /// transaction (e.g. MDB_READERS_FULL): a page silently missing an
  /// environment would make the cursor skip messages.
  message_page query(const message_query& q) const;

  /// Drops expired message buckets and dedup buckets older than the window.
  sweep_result sweep(std::int64_t now_us);

  /// Highest id whose group is fully committed; readers see nothing above it.
  std::uint64_t watermark() const noexcept;

  /// Sum of map sizes of all environments, and of the given class alone.
  std::size_t map_size() const;
  std::size_t map_size(int retention_days) const;
  /// Bytes in use of the given class's environment (for metrics; any thread).
  std::size_t used_bytes(int retention_days) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::store
