#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sluice::store::test {

/// A disk that fails writes to one file, for as long as this object lives:
/// every descriptor this process has open on `file` is pointed at
/// /dev/full (dup2, so the code under test keeps its descriptor numbers),
/// whose writes the kernel refuses with ENOSPC; reads get zeros. When it
/// ends, each descriptor gets its file back. Nothing in the code under test
/// knows: it sees the errors a failing device would give it.
///
/// Only for descriptors opened before it starts; not thread-safe with code
/// that opens or closes descriptors of `file` meanwhile.
class failing_file {
public:
  explicit failing_file(const std::filesystem::path& file) {
    const auto target = std::filesystem::canonical(file);
    const int full = ::open("/dev/full", O_RDWR | O_CLOEXEC);
    if (full < 0)
      throw std::runtime_error("failing_file: cannot open /dev/full");
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
      std::error_code ec;
      auto link = std::filesystem::read_symlink(e.path(), ec);
      if (ec || link != target)
        continue;
      const int fd = std::stoi(e.path().filename().string());
      const int saved = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
      if (saved < 0 || ::dup2(full, fd) < 0) {
        ::close(full);
        restore();
        throw std::runtime_error("failing_file: cannot swap a descriptor");
      }
      swapped_.emplace_back(fd, saved);
    }
    ::close(full);
    if (swapped_.empty())
      throw std::runtime_error("failing_file: no descriptor open on " + target.string());
  }
  ~failing_file() { restore(); }
  failing_file(const failing_file&) = delete;
  failing_file& operator=(const failing_file&) = delete;

  /// How many descriptors were swapped.
  std::size_t descriptors() const noexcept { return swapped_.size(); }

private:
  void restore() noexcept {
    for (auto [fd, saved] : swapped_) {
      ::dup2(saved, fd);
      ::close(saved);
    }
    swapped_.clear();
  }

  std::vector<std::pair<int, int>> swapped_; ///< (descriptor, a copy of its own file)
};

} // namespace sluice::store::test
