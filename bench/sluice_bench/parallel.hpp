#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/sluice_bench/admin_client.hpp"
#include "bench/sluice_bench/options.hpp"

namespace sluice::bench {

/// Runs task(client, i) for every i in [0, n) on up to --setup-connections
/// threads, each with its own admin connection (the calling thread is one of
/// them). The first exception stops the others from taking new items and is
/// rethrown here.
template <class Task>
void parallel_for(const bench_options& o, std::size_t n, Task task) {
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  std::mutex error_mtx;
  auto body = [&] {
    try {
      admin_client client{o.admin, o.superuser_token};
      for (;;) {
        auto i = next.fetch_add(1);
        if (i >= n || failed.load())
          return;
        task(client, i);
      }
    } catch (...) {
      std::lock_guard guard{error_mtx};
      if (!failed.exchange(true))
        error = std::current_exception();
    }
  };
  auto count = static_cast<unsigned>(std::min<std::size_t>(o.setup_connections, n));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < count; ++t)
    pool.emplace_back(body);
  if (count > 0)
    body();
  for (auto& t : pool)
    t.join();
  if (error)
    std::rethrow_exception(error);
}

} // namespace sluice::bench
