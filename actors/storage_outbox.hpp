#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "actors/interfaces.hpp"

namespace sluice {

/// Where the writes the system actors admit during one turn of a thread
/// (a turn_scheduler::run_here scope) wait until the turn ends, to go to
/// the storage actor as one message instead of one per system actor.
///
/// Why: a turn of an I/O thread often holds requests of many systems (the
/// mixed row of the benchmark: 100 tenants), and each system actor sent its
/// admitted jobs on its own. Every one of those messages is a mailbox
/// element and, for the storage thread, a wake-up or a turn of its loop;
/// gathered, a turn costs storage one message.
///
/// The order storage sees a system's writes in is kept, and so is what the
/// revocation barrier relies on (a system actor's barrier reaches storage
/// behind every write the actor admitted before it): a system actor keeps a
/// `ticket` naming the outbox and the batch its last writes wait in, and
/// before it sends storage anything else (writes outside a turn, writes from
/// a turn on another thread, a barrier) it settles the ticket: if that batch
/// has not left yet, the caller sends it itself, from whichever thread it
/// runs on. Each outbox has a mutex for that; only its own thread takes it,
/// except for such a settlement.
///
/// Outboxes live in a fixed pool for the life of the process (a thread
/// takes one on its first turn and gives it back when it exits), so a ticket
/// never points to freed memory (each on cache lines of its own); batch numbers only grow, so a
/// ticket of a thread long gone reads as settled. A thread that finds the pool taken (more than
/// `pool_size` threads running turns at once) sends directly.
class alignas(64) storage_outbox {
public:
  /// Where a sender's last writes went: an outbox and its batch number.
  /// Empty (box null) when they were sent directly or are settled.
  struct ticket {
    storage_outbox* box = nullptr;
    std::uint64_t batch = 0;
  };

  /// How many threads can hold an outbox at once.
  static constexpr std::size_t pool_size = 64;

  /// Inside a turn on this thread: moves `jobs` into this thread's outbox,
  /// behind whatever is in it, points `last` at it and returns true; the
  /// outbox goes to `storage` when the turn ends. Outside a turn (or
  /// without an outbox): returns false, `jobs` untouched, for the caller to
  /// send itself. Either way, the writes `last` named before are on their
  /// way to storage first (see settle()).
  static bool hold(const storage_actor_if& storage, ingest_batch& jobs, ticket& last);

  /// Makes sure the writes `last` names have been sent to storage: when
  /// they still wait in an outbox, sends that outbox's batch now. Whatever
  /// the caller sends storage afterwards arrives behind them. Any thread.
  static void settle(ticket& last);

  storage_outbox() = default;
  storage_outbox(const storage_outbox&) = delete;
  storage_outbox& operator=(const storage_outbox&) = delete;

private:
  friend struct outbox_pool;
  friend struct thread_outbox;

  /// Sends the gathered jobs, if any, and starts the next batch. Under mtx_.
  void send_locked();
  /// The batch numbered `batch` has left (or never held anything).
  bool sent(std::uint64_t batch) const noexcept {
    return batch_.load(std::memory_order_acquire) != batch;
  }

  std::mutex mtx_;
  /// Guarded by mtx_: where the gathered jobs go (empty handle when none are
  /// gathered, so the pool holds no actor between turns) and the jobs.
  storage_actor_if dest_;
  ingest_batch jobs_;
  /// The number of the batch gathering now; written under mtx_ (after the
  /// batch was sent, with release), read without it.
  std::atomic<std::uint64_t> batch_{1};
  /// Taken by a thread (outbox_pool).
  std::atomic<bool> taken_{false};
};

} // namespace sluice
