#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <system_error>

namespace sluice::store {

/// Room on the file system holding a directory, as this process may use it.
struct disk_space {
  std::uint64_t free_bytes = 0;  ///< bytes this process may still write
  std::uint64_t total_bytes = 0; ///< size of the file system
};

/// statvfs of `dir`: the free bytes are those any process may allocate
/// (f_bavail: the blocks a file system keeps in reserve are left out, also
/// for root, who may or may not be allowed them). nullopt when the file
/// system cannot tell.
std::optional<disk_space> disk_space_of(const std::filesystem::path& dir) noexcept;

/// Below this much free room a file system counts as full when a write to it
/// fails with EIO (see write_error): a short write leaves at most a fraction
/// of a write's size behind, and some file systems (btrfs, XFS) refuse
/// allocations while a few MiB still show as free. A real device error on a
/// disk with this little room left is still answered as a full disk; the
/// operator has to make room either way.
inline constexpr std::uint64_t full_disk_slack_bytes = 16ull << 20;

/// LMDB reports a short write (the file system filled up in the middle of
/// writing a commit's pages) as EIO, the code of a failing device. This
/// tells them apart: `ec` EIO (lmdb_category) with the file system of `dir`
/// under full_disk_slack_bytes free becomes ENOSPC; any other code, or EIO
/// with room left, is returned as it is.
std::error_code write_error(std::error_code ec, const std::filesystem::path& dir) noexcept;

} // namespace sluice::store
