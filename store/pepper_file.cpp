#include "store/pepper_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "store/file_sync.hpp"

namespace sluice::store {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p, int err = 0) {
  std::string msg = "pepper file " + p.string() + ": " + what;
  if (err != 0)
    msg += std::string(": ") + std::strerror(err);
  throw std::runtime_error(msg);
}

/// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

pepper read_existing(const std::filesystem::path& file) {
  fd_guard f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0)
    fail("cannot open", file, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    fail("cannot stat", file, errno);
  if (!S_ISREG(st.st_mode))
    fail("not a regular file", file);
  // Anything beyond owner read/write (group, other, execute, setuid, ...) is
  // refused: the pepper is the key of every stored hash.
  if ((st.st_mode & 07777 & ~static_cast<mode_t>(0600)) != 0)
    fail("mode is wider than 0600 (chmod 600 it)", file);
  pepper p;
  if (static_cast<std::size_t>(st.st_size) != p.key.size())
    fail("size is " + std::to_string(st.st_size) + " bytes, expected "
           + std::to_string(p.key.size()),
         file);
  std::size_t got = 0;
  while (got < p.key.size()) {
    ssize_t n = ::read(f.fd, p.key.data() + got, p.key.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      fail("cannot read", file, n < 0 ? errno : 0);
    got += static_cast<std::size_t>(n);
  }
  return p;
}

void fsync_dir(const std::filesystem::path& dir) {
  if (auto ec = sync_directory(dir))
    fail("cannot sync directory", dir, ec.value());
}

} // namespace

pepper load_pepper(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "pepper";
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    throw std::runtime_error("pepper file " + file.string()
                             + " is missing, but the data directory holds tokens: every token's "
                               "hash is keyed by it; restore it from your backup");
  return read_existing(file);
}

pepper load_or_create_pepper(const std::filesystem::path& data_dir) {
  const auto file = data_dir / "pepper";
  std::error_code ec;
  if (std::filesystem::exists(file, ec))
    return read_existing(file);

  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    fail("cannot create directory", data_dir, ec.value());

  // Write a temporary file completely and durably, then link it into place:
  // a crash never leaves a short pepper behind, and link() (unlike rename)
  // refuses to replace a pepper another process created meanwhile.
  const auto tmp = data_dir / "pepper.tmp";
  pepper p = generate_pepper();
  {
    fd_guard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
    if (f.fd < 0)
      fail("cannot create", tmp, errno);
    // The umask can only narrow 0600, but a pre-existing tmp file keeps its
    // old mode with O_TRUNC: set it explicitly.
    if (::fchmod(f.fd, 0600) != 0)
      fail("cannot chmod", tmp, errno);
    std::size_t put = 0;
    while (put < p.key.size()) {
      ssize_t n = ::write(f.fd, p.key.data() + put, p.key.size() - put);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        fail("cannot write", tmp, n < 0 ? errno : 0);
      put += static_cast<std::size_t>(n);
    }
    if (::fsync(f.fd) != 0)
      fail("cannot sync", tmp, errno);
  }
  if (::link(tmp.c_str(), file.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST)
      return read_existing(file);
    fail("cannot link into place", file, err);
  }
  ::unlink(tmp.c_str());
  fsync_dir(data_dir);
  return p;
}

} // namespace sluice::store
