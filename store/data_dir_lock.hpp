#pragma once

#include <filesystem>

namespace sluice::store {

/// Holds `<data_dir>/lock` under an exclusive `flock` for its lifetime, so
/// that one server at a time runs on a data directory: a second one would
/// open the same environments and write-ahead log, write frames over the
/// first one's and acknowledge groups that a restart cannot find.
///
/// The lock goes with the process (the kernel drops it when the descriptor
/// closes, also on kill -9), so a stale lock file never blocks a start; the
/// file itself is left in place. Offline tools that LMDB's own locking keeps
/// safe (`sluiced create-superuser`, `verify-audit`) do not take it.
class data_dir_lock {
public:
  /// Takes the lock, creating the file (mode 0600) when missing. Throws
  /// std::runtime_error naming the file when another process holds it, or
  /// when it cannot be opened or locked.
  explicit data_dir_lock(const std::filesystem::path& data_dir);
  ~data_dir_lock();

  data_dir_lock(const data_dir_lock&) = delete;
  data_dir_lock& operator=(const data_dir_lock&) = delete;

private:
  int fd_ = -1; ///< owned; closing it releases the lock
};

} // namespace sluice::store
