#include "store/guarded_env.hpp"

#include <unistd.h>

#include <algorithm>

namespace sluice::store::detail {

std::size_t page_round(std::size_t bytes) noexcept {
  long page = ::sysconf(_SC_PAGESIZE);
  std::size_t p = page > 0 ? static_cast<std::size_t>(page) : 4096;
  return std::max(p, bytes / p * p);
}

guarded_env::guarded_env(const std::filesystem::path& dir, std::size_t map_size,
                         std::size_t max_map_size, unsigned max_dbs, unsigned extra_flags)
    : max_map_size_(page_round(std::max(map_size, max_map_size))) {
  env_ = env(dir, page_round(map_size), max_dbs, extra_flags);
  // LMDB raises the map to at least the data already in the file, so read the
  // effective size back (single-threaded here: nothing can race).
  map_size_.store(env_.map_size(), std::memory_order_relaxed);
  max_map_size_ = std::max(max_map_size_, map_size_.load(std::memory_order_relaxed));
}

std::error_code guarded_env::grow() {
  std::unique_lock lock(mu_);
  std::size_t cur = map_size_.load(std::memory_order_relaxed);
  if (cur >= max_map_size_)
    return lmdb_error(MDB_MAP_FULL);
  std::size_t next = cur > max_map_size_ / 2 ? max_map_size_ : page_round(cur * 2);
  if (auto ec = env_.set_map_size(next))
    return ec;
  map_size_.store(env_.map_size(), std::memory_order_relaxed);
  return {};
}

std::size_t guarded_env::used_bytes() const {
  // Shared lock: both calls read the meta pages inside the map, which grow()
  // may remap meanwhile.
  std::shared_lock lock(mu_);
  MDB_envinfo info{};
  MDB_stat st{};
  if (mdb_env_info(env_.get(), &info) != 0 || mdb_env_stat(env_.get(), &st) != 0)
    return 0;
  return (static_cast<std::size_t>(info.me_last_pgno) + 1) * st.ms_psize;
}

std::pair<guarded_env::reader, std::error_code> guarded_env::begin_read() const {
  reader r{std::shared_lock(mu_), txn{}};
  auto [t, ec] = txn::begin(env_, true);
  if (ec)
    return {std::move(r), ec};
  r.t = std::move(t);
  return {std::move(r), std::error_code{}};
}

} // namespace sluice::store::detail
