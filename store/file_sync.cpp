#include "store/file_sync.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sluice::store {

std::error_code sync_directory(const std::filesystem::path& dir) noexcept {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  std::error_code ec;
  if (fd < 0 || ::fsync(fd) != 0)
    ec = {errno ? errno : EIO, std::system_category()};
  if (fd >= 0)
    ::close(fd);
  return ec;
}

} // namespace sluice::store
