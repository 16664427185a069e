#pragma once

#include <lmdb.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>
#include <utility>

namespace sluice::store {

/// LMDB return codes (MDB_* and errno values) as std::error_code.
const std::error_category& lmdb_category() noexcept;
inline std::error_code lmdb_error(int rc) noexcept { return {rc, lmdb_category()}; }

inline MDB_val to_val(std::string_view s) noexcept {
  return {s.size(), const_cast<char*>(s.data())};
}
inline std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

namespace detail {
struct reader_pool;
} // namespace detail

/// Owns an MDB_env. Move-only; closing happens in the destructor, after every
/// transaction on it has ended (the owner guarantees that by destruction order).
///
/// It keeps a few ended read-only transactions for reuse (mdb_txn_reset, then
/// mdb_txn_renew): LMDB allocates and zeroes a new read transaction's table
/// of every possible named database, max_dbs entries (about 400 KB with the
/// message store's 8192), where a renewal only takes a reader slot.
class env {
public:
  env() noexcept;
  /// Creates the directory if needed and opens the environment with MDB_NOTLS
  /// (read transactions may hop threads) plus `extra_flags`; without
  /// MDB_NOMETASYNC there, every commit is fully synced. Throws
  /// std::system_error on failure, and std::runtime_error for a data file
  /// shorter than the pages its last commit uses.
  env(const std::filesystem::path& dir, std::size_t map_size, unsigned max_dbs,
      unsigned extra_flags = 0);
  ~env();
  env(env&& other) noexcept;
  env& operator=(env&& other) noexcept;
  env(const env&) = delete;
  env& operator=(const env&) = delete;

  MDB_env* get() const noexcept { return env_; }
  explicit operator bool() const noexcept { return env_ != nullptr; }

  /// Current map size in bytes.
  std::size_t map_size() const noexcept;
  /// Flushes everything committed so far to disk (mdb_env_sync, forced).
  /// A full file system is ENOSPC, also when LMDB says EIO (store/disk_space.hpp).
  std::error_code sync() const noexcept;

  /// Sets the map size. Only legal while no transaction of this process is
  /// open on the environment: the caller holds the environment's exclusive lock.
  std::error_code set_map_size(std::size_t bytes) noexcept;

private:
  friend class txn;
  void close() noexcept;
  /// Closes the environment and throws when data.mdb is shorter than its
  /// last page reaches (see env()).
  void check_file_size(const std::filesystem::path& dir);

  MDB_env* env_ = nullptr;
  /// The kept read-only transactions (behind a pointer: the env stays
  /// movable, and a txn refers to it while the env moves).
  std::unique_ptr<detail::reader_pool> readers_;
};

/// Owns an MDB_txn: aborted in the destructor unless committed. Move-only.
/// Views obtained through it (MDB_val data) are valid only until it ends.
class txn {
public:
  txn() = default;
  ~txn() { abort(); }
  txn(txn&& other) noexcept
      : txn_(std::exchange(other.txn_, nullptr)), pool_(std::exchange(other.pool_, nullptr)) {}
  txn& operator=(txn&& other) noexcept {
    if (this != &other) {
      abort();
      txn_ = std::exchange(other.txn_, nullptr);
      pool_ = std::exchange(other.pool_, nullptr);
    }
    return *this;
  }
  txn(const txn&) = delete;
  txn& operator=(const txn&) = delete;

  /// Begins a read-only or read-write transaction. A read-only one renews a
  /// kept transaction of `e` when there is one, and is kept again when it ends.
  static std::pair<txn, std::error_code> begin(const env& e, bool read_only) noexcept;

  MDB_txn* get() const noexcept { return txn_; }
  explicit operator bool() const noexcept { return txn_ != nullptr; }

  /// Commits (durably for write transactions); the txn is ended either way.
  /// For a read-only transaction this is the same as abort().
  /// A commit that failed for want of room is ENOSPC, also when LMDB
  /// reported its short write as EIO (store/disk_space.hpp).
  std::error_code commit() noexcept;
  void abort() noexcept;

  /// Point lookup; nullopt-like empty view + false when absent.
  bool get(MDB_dbi dbi, std::string_view key, std::string_view& value) const noexcept;
  std::error_code put(MDB_dbi dbi, std::string_view key, std::string_view value,
                      unsigned flags = 0) noexcept;
  std::error_code del(MDB_dbi dbi, std::string_view key) noexcept;

private:
  MDB_txn* txn_ = nullptr;
  /// Where a read-only transaction goes when it ends; null for a write one.
  detail::reader_pool* pool_ = nullptr;
};

/// Owns an MDB_cursor inside one transaction; must not outlive it.
class cursor {
public:
  cursor() = default;
  cursor(const txn& t, MDB_dbi dbi);
  ~cursor();
  cursor(cursor&& other) noexcept : cur_(std::exchange(other.cur_, nullptr)) {}
  cursor& operator=(cursor&& other) noexcept;
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;

  MDB_cursor* get() const noexcept { return cur_; }

  /// Positions at the first key >= `key`; false at the end.
  bool seek(std::string_view key, std::string_view& k, std::string_view& v) noexcept;
  bool first(std::string_view& k, std::string_view& v) noexcept;
  bool last(std::string_view& k, std::string_view& v) noexcept;
  bool next(std::string_view& k, std::string_view& v) noexcept;

private:
  bool step(MDB_cursor_op op, std::string_view& k, std::string_view& v) noexcept;
  MDB_cursor* cur_ = nullptr;
};

/// Big-endian encoding of 64-bit keys: LMDB compares keys bytewise, so only
/// big-endian integers sort numerically (and append in order).
void put_be64(char* out, std::uint64_t x) noexcept;
std::uint64_t get_be64(const char* in) noexcept;

/// Keys of one or two big-endian ids: a record's id, or an index entry (an
/// owner's id, then the item's), so a cursor walks both in id order.
using key8 = std::array<char, 8>;
using key16 = std::array<char, 16>;
inline key8 be_key(std::uint64_t id) noexcept {
  key8 k;
  put_be64(k.data(), id);
  return k;
}
inline key16 be_key(std::uint64_t owner, std::uint64_t id) noexcept {
  key16 k;
  put_be64(k.data(), owner);
  put_be64(k.data() + 8, id);
  return k;
}

/// The bytes of a key or of a fixed-size binary value (a hash, a digest), as
/// LMDB takes them; borrowed from `a`.
template <class Byte, std::size_t N>
requires(sizeof(Byte) == 1) std::string_view view(const std::array<Byte, N>& a)
noexcept { return {reinterpret_cast<const char*>(a.data()), N}; }

} // namespace sluice::store
