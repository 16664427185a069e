#include "bench/sluice_bench/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace sluice::bench {

progress_bar::progress_bar(std::string label, std::uint64_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(::isatty(2) == 1),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

progress_bar::~progress_bar() { finish(); }

void progress_bar::advance(std::uint64_t n) {
  std::lock_guard guard{mtx_};
  done_ += n;
  if (!enabled_ || finished_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ >= std::chrono::milliseconds(100)) {
      last_draw_ = now;
      draw(false);
    }
  } else if (total_ > 0) {
    auto decile = static_cast<unsigned>(done_ * 10 / total_);
    if (decile > last_decile_ && decile < 10) {
      last_decile_ = decile;
      draw(false);
    }
  }
}

void progress_bar::finish() {
  std::lock_guard guard{mtx_};
  if (!enabled_ || finished_)
    return;
  finished_ = true;
  draw(true);
}

void progress_bar::draw(bool final) {
  constexpr int width = 30;
  double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (frac > 1)
    frac = 1;
  int filled = static_cast<int>(frac * width);
  char bar[width + 1];
  for (int i = 0; i < width; ++i)
    bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "%s%-10s [%s] %llu/%llu %5.1f s%s", tty_ ? "\r" : "", label_.c_str(), bar,
               static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
               secs, final || !tty_ ? "\n" : "");
  std::fflush(stderr);
}

} // namespace sluice::bench
