#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sluice::e2e {

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  std::filesystem::path path_;
};

/// The real sluiced binary (path from $SLUICED), started on loopback with port
/// 0 for both ports; the ports are read from the lines it prints.
class sluiced_process {
public:
  /// Starts sluiced with --data-dir=`data_dir` plus `extra_args`, and waits
  /// until both ports listen. Throws when it does not come up within 20 s.
  sluiced_process(std::filesystem::path data_dir, std::vector<std::string> extra_args = {});
  ~sluiced_process();
  sluiced_process(const sluiced_process&) = delete;
  sluiced_process& operator=(const sluiced_process&) = delete;

  std::uint16_t ingest_port() const noexcept { return ingest_port_; }
  std::uint16_t admin_port() const noexcept { return admin_port_; }
  const std::filesystem::path& data_dir() const noexcept { return data_dir_; }

  /// The superuser token written at first start (bootstrap file in data_dir).
  std::string superuser_token() const;

  /// SIGTERM and wait; returns the exit status (0 = clean).
  int terminate();
  /// SIGKILL and wait: a crash.
  void kill();
  /// Sends `sig` (SIGHUP, ...) and returns at once.
  void signal(int sig);
  bool running() const noexcept { return pid_ > 0; }
  /// The process id (-1 once it exited).
  pid_t pid() const noexcept { return pid_; }

  /// Everything the process printed so far (stdout and stderr; the order
  /// between the two streams is the order the reader saw them in).
  std::string output() const;
  /// What the process wrote to stderr so far: its log lines.
  std::string error_output() const;

private:
  int wait_exit();

  std::filesystem::path data_dir_;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::uint16_t ingest_port_ = 0;
  std::uint16_t admin_port_ = 0;
  mutable std::mutex out_mtx_;
  std::string out_;
  std::string err_;
  std::thread reader_;
};

} // namespace sluice::e2e
