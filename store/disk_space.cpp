#include "store/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>

#include "store/lmdb.hpp"

namespace sluice::store {

std::optional<disk_space> disk_space_of(const std::filesystem::path& dir) noexcept {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0)
    return std::nullopt;
  const std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  // f_bavail, also for root: f_bfree adds the blocks a file system keeps in
  // reserve, which only a process the file system names may use (ext4: its
  // resuid or resgid, or one with CAP_SYS_RESOURCE, which a root in a
  // container often lacks). Counting them would call a disk ready that this
  // process cannot fill; leaving them out errs towards 503 early.
  return disk_space{static_cast<std::uint64_t>(st.f_bavail) * unit,
                    static_cast<std::uint64_t>(st.f_blocks) * unit};
}

std::error_code write_error(std::error_code ec, const std::filesystem::path& dir) noexcept {
  if (ec != lmdb_error(EIO))
    return ec;
  auto space = disk_space_of(dir);
  if (space && space->free_bytes < full_disk_slack_bytes)
    return lmdb_error(ENOSPC);
  return ec;
}

} // namespace sluice::store
