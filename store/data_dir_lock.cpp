#include "store/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sluice::store {

data_dir_lock::data_dir_lock(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0)
    throw std::runtime_error("lock file " + file.string() + ": " + std::strerror(errno));
  int rc;
  do
    rc = ::flock(fd_, LOCK_EX | LOCK_NB);
  while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error("data directory " + data_dir.string()
                               + " is in use by another sluiced (it holds " + file.string()
                               + "); stop that one first, or give this one a data directory "
                                 "of its own");
    throw std::runtime_error("lock file " + file.string() + ": " + std::strerror(err));
  }
}

data_dir_lock::~data_dir_lock() {
  if (fd_ >= 0)
    ::close(fd_);
}

} // namespace sluice::store
