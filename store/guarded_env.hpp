#pragma once

// Private to store/: an LMDB environment together with the lock that makes map
// growth (and other environment-wide changes) safe while other threads read.

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <shared_mutex>
#include <system_error>

#include "store/lmdb.hpp"

namespace sluice::store::detail {

/// An environment plus its reader/resizer lock.
///
/// Invariant: every read transaction on the environment is begun and ended while
/// its thread holds `mutex()` shared. What must not overlap any read
/// transaction runs from the single writer thread with `mutex()` held
/// exclusively:
/// - mdb_env_set_mapsize (`grow`), with no transaction at all open on the
///   environment (the writer aborted its own first);
/// - mdb_drop of a named database (it closes the handle at once), and the
///   commit of a write txn that opened new handles, followed by publishing
///   them. There the write txn is begun first: lock order is always LMDB's
///   writer mutex, then `mutex()`.
class guarded_env {
public:
  guarded_env(const std::filesystem::path& dir, std::size_t map_size, std::size_t max_map_size,
              unsigned max_dbs, unsigned extra_flags = 0);

  const env& get() const noexcept { return env_; }
  std::shared_mutex& mutex() const noexcept { return mu_; }

  /// Map size as last set by this process; safe to read from any thread
  /// (mdb_env_info would race with a concurrent resize).
  std::size_t map_size() const noexcept { return map_size_.load(std::memory_order_relaxed); }
  /// The size the map may grow to.
  std::size_t max_map_size() const noexcept { return max_map_size_; }

  /// Bytes of the map in use: up to the highest page the last commit used
  /// (pages freed below it are reused before the map grows). Any thread;
  /// briefly takes the shared lock. 0 when LMDB cannot tell.
  std::size_t used_bytes() const;

  /// Doubles the map (capped at the maximum). MDB_MAP_FULL when it is already
  /// at the maximum. Takes the exclusive lock; the caller has no transaction
  /// open on this environment and holds no lock on it.
  std::error_code grow();

  /// A read transaction that keeps the shared lock for its whole life. Member
  /// order matters: the transaction ends before the lock is released.
  struct reader {
    std::shared_lock<std::shared_mutex> lock;
    txn t;
  };
  /// Takes the shared lock and begins a read transaction under it.
  std::pair<reader, std::error_code> begin_read() const;

private:
  env env_;
  mutable std::shared_mutex mu_;
  std::atomic<std::size_t> map_size_{0};
  std::size_t max_map_size_ = 0;
};

/// Rounds `bytes` down to a whole number of OS pages (at least one page).
std::size_t page_round(std::size_t bytes) noexcept;

} // namespace sluice::store::detail
