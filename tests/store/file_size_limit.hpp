#pragma once

#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <stdexcept>

namespace sluice::store::test {

/// A disk whose blocks from byte `limit` on refuse writes, in every file of
/// this process, for as long as this object lives: the kernel's file size
/// limit (RLIMIT_FSIZE) makes a write that starts at or past `limit` fail
/// with EFBIG, and one that starts before it stop there (SIGXFSZ, which
/// would end the process, is ignored meanwhile). Unlike failing_file, the
/// bytes before `limit` still take writes, so one write in a file can fail
/// while the next, lower in the same file, succeeds.
///
/// Process-wide: every file the process writes meanwhile must stay below
/// `limit`.
class file_size_limit {
public:
  explicit file_size_limit(std::uint64_t limit) {
    if (::getrlimit(RLIMIT_FSIZE, &saved_) != 0)
      throw std::runtime_error("file_size_limit: getrlimit failed");
    saved_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit l = saved_;
    l.rlim_cur = static_cast<rlim_t>(limit);
    if (::setrlimit(RLIMIT_FSIZE, &l) != 0) {
      std::signal(SIGXFSZ, saved_handler_);
      throw std::runtime_error("file_size_limit: setrlimit failed");
    }
  }
  file_size_limit(const file_size_limit&) = delete;
  file_size_limit& operator=(const file_size_limit&) = delete;
  ~file_size_limit() {
    ::setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, saved_handler_);
  }

private:
  rlimit saved_{};
  void (*saved_handler_)(int) = SIG_DFL;
};

} // namespace sluice::store::test
