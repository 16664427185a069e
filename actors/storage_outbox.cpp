#include "actors/storage_outbox.hpp"

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <iterator>
#include <utility>

#include "actors/turn_scheduler.hpp"

namespace sluice {

/// The outboxes, for the life of the process (see storage_outbox).
struct outbox_pool {
  static storage_outbox* take() noexcept {
    for (auto& box : boxes) {
      bool free = false;
      if (!box.taken_.load(std::memory_order_relaxed)
          && box.taken_.compare_exchange_strong(free, true, std::memory_order_acquire))
        return &box;
    }
    return nullptr;
  }
  static void give_back(storage_outbox* box) noexcept {
    box->taken_.store(false, std::memory_order_release);
  }

  static inline storage_outbox boxes[storage_outbox::pool_size];
};

/// A thread's outbox, taken from the pool on its first turn with writes.
struct thread_outbox {
  storage_outbox* box = nullptr;
  bool looked = false; ///< asked the pool once (a full pool is not asked again)
  bool armed = false;  ///< the current turn sends the outbox when it ends

  thread_outbox() = default;
  thread_outbox(const thread_outbox&) = delete;
  thread_outbox& operator=(const thread_outbox&) = delete;
  ~thread_outbox() {
    if (!box)
      return;
    {
      // Empty already (every turn sends its outbox); for certainty.
      std::lock_guard lock{box->mtx_};
      box->send_locked();
    }
    outbox_pool::give_back(box);
  }

  /// Registered with turn_scheduler::at_turn_end by a turn's first hold().
  static void send_at_turn_end();

  storage_outbox* get() noexcept {
    if (!looked) {
      looked = true;
      box = outbox_pool::take();
    }
    return box;
  }
};

namespace {
thread_local thread_outbox this_thread_outbox;
} // namespace

void thread_outbox::send_at_turn_end() {
  auto& mine = this_thread_outbox;
  mine.armed = false;
  if (!mine.box)
    return;
  std::lock_guard lock{mine.box->mtx_};
  mine.box->send_locked();
}

bool storage_outbox::hold(const storage_actor_if& storage, ingest_batch& jobs, ticket& last) {
  auto& mine = this_thread_outbox;
  if (!mine.armed) {
    if (!turn_scheduler::at_turn_end(&thread_outbox::send_at_turn_end)) {
      settle(last); // outside a turn: the caller sends, behind them
      return false;
    }
    mine.armed = true;
  }
  auto* box = mine.get();
  if (!box) {
    settle(last);
    return false;
  }
  // Earlier writes in another thread's outbox (this actor ran there in a
  // turn that has not ended yet) leave before these join this one.
  if (last.box != box)
    settle(last);
  std::lock_guard lock{box->mtx_};
  auto* to = caf::actor_cast<caf::abstract_actor*>(storage);
  if (!box->jobs_.empty() && caf::actor_cast<caf::abstract_actor*>(box->dest_) != to)
    box->send_locked(); // another storage actor (two runtimes in one process)
  if (box->jobs_.empty())
    box->dest_ = storage;
  box->jobs_.insert(box->jobs_.end(), std::make_move_iterator(jobs.begin()),
                    std::make_move_iterator(jobs.end()));
  jobs.clear();
  last = {box, box->batch_.load(std::memory_order_relaxed)};
  return true;
}

void storage_outbox::settle(ticket& last) {
  auto* box = std::exchange(last.box, nullptr);
  if (!box || box->sent(last.batch))
    return;
  std::lock_guard lock{box->mtx_};
  if (!box->sent(last.batch))
    box->send_locked();
}

void storage_outbox::send_locked() {
  if (jobs_.empty())
    return;
  auto dest = std::exchange(dest_, storage_actor_if{});
  // Sent under the mutex: batches of one outbox reach storage in the order
  // of their numbers, whichever threads send them.
  caf::anon_send(dest, write_atom::value, std::move(jobs_));
  jobs_.clear(); // moved from: valid, made empty for sure
  batch_.fetch_add(1, std::memory_order_release);
}

} // namespace sluice
