#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace sluice::bench {

/// A progress bar on stderr, shared by the setup threads: redrawn at most
/// every 100 ms on a terminal (with \r), and every 10 % otherwise so logs stay
/// short. Thread-safe.
class progress_bar {
public:
  /// A bar labelled `label` going up to `total`; silent when `enabled` is false.
  progress_bar(std::string label, std::uint64_t total, bool enabled);
  ~progress_bar();

  /// Counts `n` more done.
  void advance(std::uint64_t n = 1);
  /// Draws the final state and ends the line (once).
  void finish();

private:
  void draw(bool final);

  std::mutex mtx_;
  std::string label_;
  std::uint64_t total_;
  std::uint64_t done_ = 0;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  unsigned last_decile_ = 0;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

} // namespace sluice::bench
