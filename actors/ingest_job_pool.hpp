#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

#include "actors/jobs.hpp"

namespace sluice {

/// Defaults of an ingest_job_pool (not configurable: they bound memory that
/// is kept for speed, not behaviour).
namespace job_pool_defaults {
/// Jobs a pool keeps ready; more come back only under a burst, and are freed.
inline constexpr std::size_t max_free = 4096;
/// A returned job keeps its batch buffers up to this size; one that carried
/// a larger request gives them back to the allocator.
inline constexpr std::size_t keep_batch_bytes = 64u << 10;
/// Times a job no token actor took up is sent on again (ingest_rerouter)
/// before it is answered storage_busy. Once is what a passivation needs; the
/// bound ends a loop, should the registry ever lead to an actor that is gone.
inline constexpr std::uint8_t max_reroutes = 3;
} // namespace job_pool_defaults

/// Where a pool sends a job that came back unanswered before any token actor
/// took it up. That happens to a request that found its token's actor just
/// before the actor passivated and reached its mailbox after it closed (the
/// I/O thread looks the actor up while it reads a request and sends at the
/// end of that turn of its loop). Sent on to the token's actor as it is now,
/// the request is decided as if it had come a moment later, instead of being
/// answered storage_busy.
class ingest_rerouter {
public:
  virtual ~ingest_rerouter() = default;
  /// Any thread: sends `job` on to the actor its presented hash leads to now
  /// and returns true (`job` is moved from); or returns false, leaving `job`
  /// as it was (answered, when the token is gone, or not: then it is
  /// answered storage_busy as any job dropped unanswered).
  virtual bool reroute(ingest_job_ptr& job) noexcept = 0;
};

/// Ingest jobs for one I/O thread, recycled. Each accepted request used to
/// cost three allocations before any actor saw it (the job, and its batch's
/// bytes and message list, filled by the parser); a recycled job comes with
/// the buffers of the request it carried before, cleared, so in steady state
/// a request of the usual size allocates none of them.
///
/// take() is called by the owning thread only; a job comes back from
/// whichever thread drops its last reference (mostly the storage actor's,
/// after the answer), through recycle(). A job's life ends there, exactly as
/// it did when it was deleted: an unanswered request is answered (storage
/// busy), its backlog bytes are given back and its actor references dropped,
/// on the returning thread; only then is the cleared object kept.
///
/// A job that comes back unanswered and not authenticated (no token actor
/// took it up) goes to the pool's rerouter first, up to max_reroutes times
/// (see ingest_rerouter).
///
/// The pool must outlive every job it handed out: the runtime owns the pools
/// and stops the actor system and the I/O threads first. So must the
/// rerouter.
class ingest_job_pool {
public:
  explicit ingest_job_pool(ingest_rerouter* rerouter = nullptr);
  ingest_job_pool(const ingest_job_pool&) = delete;
  ingest_job_pool& operator=(const ingest_job_pool&) = delete;
  ~ingest_job_pool();

  /// The owning thread: a job in its initial state (as if new), with room
  /// in its batch when a recycled one was available.
  ingest_job_ptr take();

  /// Any thread: ends the life of `job`, whose last reference is gone, and
  /// keeps the cleared object in its pool (or deletes it when it has none,
  /// the pool is full, or its buffers are over the size kept).
  static void recycle(ingest_job* job) noexcept;

  /// The owning thread: jobs waiting to be taken again (for tests).
  std::size_t free_jobs();

private:
  void give_back(ingest_job* job) noexcept;

  ingest_rerouter* const rerouter_; ///< null: nothing is rerouted
  std::mutex mu_;
  // Both reserve max_free and are swapped, so giving back never allocates.
  std::vector<ingest_job*> returned_; ///< under mu_: came back, not yet seen by take()
  std::vector<ingest_job*> ready_;    ///< owning thread: taken from returned_ in one swap
};

} // namespace sluice
