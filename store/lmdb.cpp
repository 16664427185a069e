#include "store/lmdb.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/disk_space.hpp"

namespace sluice::store {

namespace {

/// LMDB's return codes are either its own MDB_* values (negative, in
/// [MDB_KEYEXIST, MDB_LAST_ERRCODE]) or plain errno values (positive), so the
/// errno ones map to the generic category: `ec == std::errc::no_space_on_device`
/// then works for the caller that has to answer 507.
class lmdb_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "lmdb"; }
  std::string message(int rc) const override { return mdb_strerror(rc); }
  std::error_condition default_error_condition(int rc) const noexcept override {
    if (rc > 0)
      return {rc, std::generic_category()};
    return {rc, *this};
  }
};

/// A failed write of `env` as the caller should see it: LMDB's EIO for a
/// short write becomes ENOSPC when the environment's file system is full
/// (store/disk_space.hpp).
std::error_code write_failure(MDB_env* env, int rc) noexcept {
  if (rc != EIO || env == nullptr)
    return lmdb_error(rc);
  const char* dir = nullptr;
  if (mdb_env_get_path(env, &dir) != 0 || dir == nullptr)
    return lmdb_error(rc);
  return write_error(lmdb_error(rc), dir);
}

} // namespace

namespace detail {

/// Ended read-only transactions of one environment, reset and ready to renew.
/// Each holds a reader slot (with MDB_NOTLS the slot belongs to the
/// transaction), not a snapshot: a reset transaction keeps no page alive.
struct reader_pool {
  /// How many are kept; more readers than this at once begin and end as
  /// LMDB does by itself. Well below max_readers.
  static constexpr std::size_t capacity = 8;

  std::mutex mu;
  std::vector<MDB_txn*> kept; ///< reset; guarded by mu

  /// A kept transaction, or null when none is.
  MDB_txn* take() noexcept {
    std::lock_guard lock(mu);
    if (kept.empty())
      return nullptr;
    MDB_txn* t = kept.back();
    kept.pop_back();
    return t;
  }

  /// Ends a read-only transaction: kept for the next reader, or freed when
  /// enough are kept.
  void give_back(MDB_txn* t) noexcept {
    mdb_txn_reset(t);
    {
      std::lock_guard lock(mu);
      if (kept.size() < capacity) {
        kept.push_back(t); // capacity reserved in the constructor: no throw
        return;
      }
    }
    mdb_txn_abort(t);
  }

  reader_pool() { kept.reserve(capacity); }
  ~reader_pool() {
    for (MDB_txn* t : kept)
      mdb_txn_abort(t);
  }
};

} // namespace detail

const std::error_category& lmdb_category() noexcept {
  static const lmdb_category_impl instance;
  return instance;
}

// ---------------------------------------------------------------------------
// env

/// Reader slots: with MDB_NOTLS every read transaction (not every thread)
/// takes one, so the default of 126 is too few for many concurrent queries.
static constexpr unsigned max_readers = 512;

env::env(const std::filesystem::path& dir, std::size_t map_size, unsigned max_dbs,
         unsigned extra_flags) {
  std::error_code fs_ec;
  std::filesystem::create_directories(dir, fs_ec);
  if (fs_ec)
    throw std::system_error(fs_ec, "cannot create " + dir.string());
  int rc = mdb_env_create(&env_);
  if (rc != 0) {
    env_ = nullptr;
    throw std::system_error(lmdb_error(rc), "mdb_env_create");
  }
  // Everything below must happen before mdb_env_open; on any failure the half
  // made environment is closed here since the destructor will not run.
  auto fail = [&](int code, const char* what) {
    mdb_env_close(env_);
    env_ = nullptr;
    throw std::system_error(lmdb_error(code), std::string(what) + " " + dir.string());
  };
  if ((rc = mdb_env_set_mapsize(env_, map_size)) != 0)
    fail(rc, "mdb_env_set_mapsize");
  if ((rc = mdb_env_set_maxdbs(env_, max_dbs)) != 0)
    fail(rc, "mdb_env_set_maxdbs");
  if ((rc = mdb_env_set_maxreaders(env_, max_readers)) != 0)
    fail(rc, "mdb_env_set_maxreaders");
  // MDB_NOTLS: read transactions are not tied to a thread. Never MDB_NOSYNC.
  // MDB_NOMETASYNC only where the owner makes commits durable itself (see
  // message_store_options::deferred_meta_sync); otherwise a commit that
  // returned is on disk.
  if ((rc = mdb_env_open(env_, dir.c_str(), MDB_NOTLS | extra_flags, 0600)) != 0)
    fail(rc, "mdb_env_open");
  check_file_size(dir);
  readers_ = std::make_unique<detail::reader_pool>();
}

void env::check_file_size(const std::filesystem::path& dir) {
  // Every page up to the last one a commit used was written to the file by
  // that commit or an earlier one, so an intact data file reaches the end of
  // it. A shorter one (cut by a failed copy or by hand) would be read past
  // its end through the map, and the process would die of SIGBUS without a
  // word: refuse it here instead.
  MDB_envinfo info{};
  MDB_stat st{};
  mdb_filehandle_t fd = -1;
  struct ::stat file {};
  if (mdb_env_info(env_, &info) != 0 || mdb_env_stat(env_, &st) != 0
      || mdb_env_get_fd(env_, &fd) != 0 || ::fstat(fd, &file) != 0)
    return; // not known: LMDB's own checks stand
  const auto needed = (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  if (static_cast<std::uint64_t>(file.st_size) >= needed)
    return;
  mdb_env_close(env_);
  env_ = nullptr;
  throw std::runtime_error((dir / "data.mdb").string() + " is " + std::to_string(file.st_size)
                           + " bytes, but its pages reach " + std::to_string(needed)
                           + ": the file was cut short; restore this environment from a backup");
}

std::error_code env::sync() const noexcept {
  if (int rc = mdb_env_sync(env_, 1); rc != 0)
    return write_failure(env_, rc);
  return {};
}

env::env() noexcept = default;

env::env(env&& other) noexcept
    : env_(std::exchange(other.env_, nullptr)), readers_(std::move(other.readers_)) {}

env::~env() { close(); }

void env::close() noexcept {
  // The kept transactions first: mdb_env_close frees what they point into.
  readers_.reset();
  if (env_ != nullptr)
    mdb_env_close(std::exchange(env_, nullptr));
}

env& env::operator=(env&& other) noexcept {
  if (this != &other) {
    close();
    env_ = std::exchange(other.env_, nullptr);
    readers_ = std::move(other.readers_);
  }
  return *this;
}

std::size_t env::map_size() const noexcept {
  MDB_envinfo info{};
  if (env_ == nullptr || mdb_env_info(env_, &info) != 0)
    return 0;
  return info.me_mapsize;
}

std::error_code env::set_map_size(std::size_t bytes) noexcept {
  if (env_ == nullptr)
    return lmdb_error(EINVAL);
  if (int rc = mdb_env_set_mapsize(env_, bytes); rc != 0)
    return lmdb_error(rc);
  return {};
}

// ---------------------------------------------------------------------------
// txn

std::pair<txn, std::error_code> txn::begin(const env& e, bool read_only) noexcept {
  txn t;
  if (!e)
    return {std::move(t), lmdb_error(EINVAL)};
  MDB_txn* raw = nullptr;
  if (read_only && e.readers_) {
    if (MDB_txn* kept = e.readers_->take()) {
      if (mdb_txn_renew(kept) == 0) {
        t.txn_ = kept;
        t.pool_ = e.readers_.get();
        return {std::move(t), std::error_code{}};
      }
      // A renewal that failed (MDB_MAP_RESIZED, a reader-table problem) says
      // nothing a fresh begin would not: drop this one and begin anew.
      mdb_txn_abort(kept);
    }
  }
  if (int rc = mdb_txn_begin(e.get(), nullptr, read_only ? MDB_RDONLY : 0u, &raw); rc != 0)
    return {std::move(t), lmdb_error(rc)};
  t.txn_ = raw;
  if (read_only)
    t.pool_ = e.readers_.get();
  return {std::move(t), std::error_code{}};
}

std::error_code txn::commit() noexcept {
  if (txn_ == nullptr)
    return lmdb_error(EINVAL);
  if (pool_ != nullptr) { // read-only: nothing to commit
    abort();
    return {};
  }
  // mdb_txn_commit frees the transaction even when it fails.
  MDB_env* e = mdb_txn_env(txn_);
  int rc = mdb_txn_commit(std::exchange(txn_, nullptr));
  return rc == 0 ? std::error_code{} : write_failure(e, rc);
}

void txn::abort() noexcept {
  if (txn_ == nullptr)
    return;
  if (auto* pool = std::exchange(pool_, nullptr))
    pool->give_back(std::exchange(txn_, nullptr));
  else
    mdb_txn_abort(std::exchange(txn_, nullptr));
}

bool txn::get(MDB_dbi dbi, std::string_view key, std::string_view& value) const noexcept {
  MDB_val k = to_val(key);
  MDB_val v{};
  if (txn_ == nullptr || mdb_get(txn_, dbi, &k, &v) != 0) {
    value = {};
    return false;
  }
  value = to_view(v);
  return true;
}

std::error_code txn::put(MDB_dbi dbi, std::string_view key, std::string_view value,
                         unsigned flags) noexcept {
  if (txn_ == nullptr)
    return lmdb_error(EINVAL);
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  int rc = mdb_put(txn_, dbi, &k, &v, flags);
  return rc == 0 ? std::error_code{} : lmdb_error(rc);
}

std::error_code txn::del(MDB_dbi dbi, std::string_view key) noexcept {
  if (txn_ == nullptr)
    return lmdb_error(EINVAL);
  MDB_val k = to_val(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  return rc == 0 ? std::error_code{} : lmdb_error(rc);
}

// ---------------------------------------------------------------------------
// cursor

cursor::cursor(const txn& t, MDB_dbi dbi) {
  if (int rc = mdb_cursor_open(t.get(), dbi, &cur_); rc != 0) {
    cur_ = nullptr;
    throw std::system_error(lmdb_error(rc), "mdb_cursor_open");
  }
}

// A cursor of a write transaction is freed by LMDB when that transaction ends,
// so closing it afterwards would be a double free: the owner destroys the
// cursor before ending the transaction (documented as "must not outlive it").
cursor::~cursor() {
  if (cur_ != nullptr)
    mdb_cursor_close(cur_);
}

cursor& cursor::operator=(cursor&& other) noexcept {
  if (this != &other) {
    if (cur_ != nullptr)
      mdb_cursor_close(cur_);
    cur_ = std::exchange(other.cur_, nullptr);
  }
  return *this;
}

bool cursor::step(MDB_cursor_op op, std::string_view& k, std::string_view& v) noexcept {
  MDB_val key{};
  MDB_val val{};
  if (cur_ == nullptr || mdb_cursor_get(cur_, &key, &val, op) != 0) {
    k = {};
    v = {};
    return false;
  }
  k = to_view(key);
  v = to_view(val);
  return true;
}

bool cursor::seek(std::string_view key, std::string_view& k, std::string_view& v) noexcept {
  MDB_val kv = to_val(key);
  MDB_val val{};
  if (cur_ == nullptr || mdb_cursor_get(cur_, &kv, &val, MDB_SET_RANGE) != 0) {
    k = {};
    v = {};
    return false;
  }
  k = to_view(kv);
  v = to_view(val);
  return true;
}

bool cursor::first(std::string_view& k, std::string_view& v) noexcept {
  return step(MDB_FIRST, k, v);
}
bool cursor::last(std::string_view& k, std::string_view& v) noexcept {
  return step(MDB_LAST, k, v);
}
bool cursor::next(std::string_view& k, std::string_view& v) noexcept {
  return step(MDB_NEXT, k, v);
}

// ---------------------------------------------------------------------------
// big-endian keys

void put_be64(char* out, std::uint64_t x) noexcept {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(x & 0xffu);
    x >>= 8;
  }
}

std::uint64_t get_be64(const char* in) noexcept {
  std::uint64_t x = 0;
  for (int i = 0; i < 8; ++i)
    x = (x << 8) | static_cast<unsigned char>(in[i]);
  return x;
}

} // namespace sluice::store
