#include "store/message_store.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

#include "policy/retention.hpp"
#include "store/byte_order.hpp"
#include "store/disk_space.hpp"
#include "store/file_sync.hpp"
#include "store/guarded_env.hpp"
#include "store/lmdb.hpp"
#include "store/wal.hpp"

namespace sluice::store {

// On-disk layout of one environment (one retention class):
//
//   m<day>   messages received on UTC day <day> (decimal day number)
//            key   = system id (8 B BE) + message id (8 B BE)
//            value = 32-byte header + the message body (minified JSON)
//   d<day>   dedup entries of messages received on <day>
//            key   = system id (8 B BE) + client id bytes
//            value = message id (8 B BE)
//   info     "last_id" -> highest message id assigned when the txn committed
//
// Value header, little-endian fields:
//   offset  0  u8   format version (1)
//   offset  1  u8   message_source
//   offset  2  u8   message_level
//   offset  3  u8   reserved (0)
//   offset  4  i32  retention_days
//   offset  8  u64  token_id
//   offset 16  u64  tenant_id
//   offset 24  i64  event_time_us (no_event_time when the client sent none)
// The system id and the message id are in the key.
//
// Durability with the write-ahead log (message_store_options::wal_capacity)
// ------------------------------------------------------------------------
// A group commits its transactions with MDB_NOSYNC (written to the page
// cache, not flushed), then appends one frame to the log holding every put
// the group made (below); the frame's O_DSYNC write is the group's only
// flush. A checkpoint, taken between groups, records a snapshot of every
// environment: each one's last transaction id and its two meta pages, and
// the log position from which frames are not in that snapshot. A thread of
// the store then flushes the data files and writes the record (O_DSYNC).
//
// Why a power loss cannot corrupt or lose what was acknowledged:
// - After a crash, the page cache is gone; any page written since the last
//   flush may be old or new on disk. LMDB never overwrites a page of a
//   snapshot some reader still uses. So each environment keeps a read
//   transaction open on the snapshot of the last durable checkpoint (`pin`):
//   every page of that snapshot stays exactly as flushed, whatever LMDB
//   wrote after it. The pin moves only once the next record is durable.
// - The meta pages are the exception (LMDB rewrites them in place at every
//   commit), so the record holds their bytes. At open, an environment whose
//   last transaction is newer than the record's gets its meta pages back
//   from the record: that is the checkpoint's snapshot, intact. Then every
//   frame after the record's position is applied again, in order, which
//   reproduces exactly the acknowledged groups (ids and dedup entries are in
//   the frames; nothing is decided again).
// - A frame is acknowledged only after its write returned; a torn or stale
//   frame fails its CRC or lsn and ends the replay (store/wal.hpp). Records
//   alternate between two slots, so a torn record leaves the previous one.
// - Expiry (mdb_drop) is not logged: after a power loss a dropped bucket may
//   come back until the next sweep, which runs at start.
//
// Applying behind the log (message_store_options::deferred_apply_bytes)
// ----------------------------------------------------------------------
// A group's write transaction need not be committed for the group to be
// durable: the log has it. So it is left open, and the next groups add to
// it, until a checkpoint is due (checkpoint-interval), the writer is idle,
// a reader wants to see the groups, or the groups in it reach the byte cap.
// One commit then copies and writes each touched B-tree page once for all
// of them: with messages of 100 systems (100 leaves) in every group, most of
// the cost of a group commit was that.
// - Readers see nothing of an open transaction. The visible watermark
//   (`watermark`) moves only when everything acknowledged is committed;
//   `acked` is the highest id acknowledged. A query that finds acked >
//   watermark asks the writer to apply first (on_apply_wanted) and waits:
//   a message acknowledged before a read began is in that read.
// - A checkpoint commits the open transactions first: a checkpoint's
//   snapshot holds every group whose frame lies before its position.
// - A failed put (a full map) or commit aborts the whole transaction, and
//   with it the earlier groups in it, which were acknowledged. Their log
//   entries are kept (env_slot::deferred_ops) and applied again before the
//   environment takes another group; until that succeeds no checkpoint is
//   taken, so the log keeps them too.
// - A group that opens a new bucket (a new day) commits at once, with the
//   environment's readers excluded, as without deferral.
// - Only while the file system has room (deferred_apply_room_factor times
//   the cap, looked at every deferred_apply_room_check), and the map too: a
//   commit can fail for want of disk space (LMDB grows its file), and a map
//   at its limit fails puts; that must be a 507 for the group that needs
//   the room, before it is acknowledged, not a failure after the fact that
//   leaves acknowledged messages unreadable (they stay durable in the log
//   either way) until room comes back. Near a full map the groups applied
//   again need not fit where they did (LMDB cannot reuse pages a checkpoint
//   still pins), so deferral stops well before.
//
// Frame payload: u64 LE last id, then one entry per put:
//   u8 environment index, u8 kind ('m' or 'd'), i64 LE day, u16 LE key
//   length, u32 LE value length, key bytes, value bytes.

namespace {

using detail::get_le;
using detail::put_le;

constexpr unsigned msg_max_dbs = 8192;
constexpr std::size_t header_size = 32;
constexpr std::uint8_t format_version = 1;
constexpr std::string_view last_id_key = "last_id";
/// Groups wait in open transactions only while the data directory's file
/// system has this many times deferred_apply_bytes free ...
constexpr std::uint64_t deferred_apply_room_factor = 16;
/// ... looked at this often (a statvfs), by the writer thread.
constexpr std::chrono::milliseconds deferred_apply_room_check{100};

void write_header(char* out, const write_job& job, const parsed_message& m) noexcept {
  out[0] = static_cast<char>(format_version);
  out[1] = static_cast<char>(job.source);
  out[2] = static_cast<char>(m.level);
  out[3] = 0;
  put_le(out + 4, static_cast<std::uint32_t>(job.retention_days), 4);
  put_le(out + 8, job.token_id, 8);
  put_le(out + 16, job.tenant_id, 8);
  put_le(out + 24, static_cast<std::uint64_t>(m.event_time_us), 8);
}

/// What a reader needs from a value header.
struct header {
  message_source source;
  message_level level;
  int retention_days;
  std::uint64_t token_id;
  std::uint64_t tenant_id;
  std::int64_t event_time_us;
};

std::optional<header> read_header(std::string_view v) noexcept {
  if (v.size() < header_size || static_cast<std::uint8_t>(v[0]) != format_version)
    return std::nullopt;
  const char* p = v.data();
  return header{
    static_cast<message_source>(static_cast<std::uint8_t>(p[1])),
    static_cast<message_level>(static_cast<std::uint8_t>(p[2])),
    static_cast<int>(static_cast<std::int32_t>(static_cast<std::uint32_t>(get_le(p + 4, 4)))),
    get_le(p + 8, 8),
    get_le(p + 16, 8),
    static_cast<std::int64_t>(get_le(p + 24, 8)),
  };
}

std::string bucket_name(char kind, std::int64_t day) { return kind + std::to_string(day); }

/// `m<day>` / `d<day>` -> (kind, day); anything else -> nullopt.
std::optional<std::pair<char, std::int64_t>> parse_bucket_name(std::string_view s) noexcept {
  if (s.size() < 2 || (s[0] != 'm' && s[0] != 'd'))
    return std::nullopt;
  std::int64_t day = 0;
  auto [p, ec] = std::from_chars(s.data() + 1, s.data() + s.size(), day);
  if (ec != std::errc{} || p != s.data() + s.size())
    return std::nullopt;
  return std::pair{s[0], day};
}

std::int64_t sat_sub(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    return b > 0 ? std::numeric_limits<std::int64_t>::min()
                 : std::numeric_limits<std::int64_t>::max();
  return r;
}

using bucket_map = std::map<std::int64_t, MDB_dbi>;

/// An environment's two meta pages for a checkpoint record, each without its
/// trailing zero bytes (a meta page is a small header and zeros, so a record
/// of nine environments is a few KiB instead of 72): u32 LE page size, then
/// per page u32 LE length and the bytes. Exact: unpacking restores them.
std::string pack_meta_pages(std::string_view pages, std::size_t psize) {
  std::string out(4, '\0');
  put_le(out.data(), psize, 4);
  for (std::size_t i = 0; i < 2; ++i) {
    auto page = pages.substr(i * psize, psize);
    auto n = page.find_last_not_of('\0');
    n = n == std::string_view::npos ? 0 : n + 1;
    char len[4];
    put_le(len, n, 4);
    out.append(len, 4);
    out.append(page.substr(0, n));
  }
  return out;
}

std::optional<std::string> unpack_meta_pages(std::string_view packed) {
  if (packed.size() < 4)
    return std::nullopt;
  auto psize = get_le(packed.data(), 4);
  packed.remove_prefix(4);
  if (psize == 0 || psize > (1u << 20))
    return std::nullopt;
  std::string pages(2 * psize, '\0');
  for (std::size_t i = 0; i < 2; ++i) {
    if (packed.size() < 4)
      return std::nullopt;
    auto n = get_le(packed.data(), 4);
    packed.remove_prefix(4);
    if (n > psize || packed.size() < n)
      return std::nullopt;
    pages.replace(i * psize, n, packed.substr(0, n));
    packed.remove_prefix(n);
  }
  return pages;
}

} // namespace

// ---------------------------------------------------------------------------
// state

/// One retention class: its environment and the handles of its buckets.
struct env_slot {
  int days = 0;
  std::unique_ptr<detail::guarded_env> env;
  MDB_dbi info = 0; ///< opened at construction, never closed

  /// Published bucket handles, day -> dbi. Every handle here was created by a
  /// committed transaction. Mutated only by the writer thread holding the
  /// environment's lock exclusively; readers copy what they need under the
  /// shared lock before beginning their transaction. The writer itself reads
  /// them without the lock (it is the only thread that changes them).
  bucket_map m, d;

  /// Writer thread only: for each message bucket handle, a key known to be
  /// >= every key in that database (the greatest key put, or the last key
  /// found there). A key above it may be put with MDB_APPEND. After an abort
  /// it may be too high, which only costs the append fast path, never
  /// correctness. Entries of closed handles are erased (handles get reused).
  std::unordered_map<MDB_dbi, std::string> last_key;

  /// Writer thread only, with deferred_meta_sync: the last commit here is not
  /// yet durable (its meta page is written but not flushed); it was made by
  /// group number `unsynced_group`.
  bool unsynced = false;
  std::uint64_t unsynced_group = 0;

  // Writer thread only, with the write-ahead log.
  std::string wal_ops; ///< log entries staged in the current write txn
  bool dirty = false;  ///< a group committed here since the last checkpoint began
  /// The transaction the last durable checkpoint recorded: a checkpoint
  /// flushes the data file when the environment has moved on from it (any
  /// commit: a group's, a sweep's, a probe's).
  std::uint64_t durable_txnid = 0;
  /// Read txn on the snapshot of the last durable checkpoint: LMDB reuses no
  /// page of it while this is open. Never read through (so map growth, which
  /// remaps, does not affect it). Declared after `env`: ends before it closes.
  txn pin;
  txn next_pin; ///< the snapshot of the checkpoint under way
  /// The write txn holding acknowledged groups not yet committed (applying
  /// behind the log), and those groups' log entries: what is applied again
  /// when the txn is lost. deferred_ops without `open` means it was lost and
  /// is not applied yet.
  txn open;
  std::string deferred_ops;
};

struct message_store::impl {
  message_store_options opts;
  std::vector<env_slot> slots; ///< index = retention::class_index
  /// Writer thread only: the last id assigned (persisted per env in `info`).
  std::uint64_t last_id = 0;
  /// Highest id readers may see: every group up to it is committed.
  std::atomic<std::uint64_t> watermark{0};
  /// Highest id acknowledged (with deferred apply, ahead of `watermark`
  /// while groups wait in open transactions).
  std::atomic<std::uint64_t> acked{0};
  /// How a reader gets the writer to apply (on_apply_wanted), and where it
  /// waits for that: publish() notifies when someone waits.
  std::function<void()> apply_wanted;
  mutable std::mutex apply_mu;
  mutable std::condition_variable apply_cv;
  mutable std::atomic<int> apply_waiters{0};
  // Writer thread only, with deferred_meta_sync: the number of the current
  // (last) group, the highest id it or any earlier group committed, and the
  // highest id committed before it.
  std::uint64_t group_seq = 0;
  std::uint64_t latest_max = 0;
  std::uint64_t before_latest_max = 0;

  // The write-ahead log and its checkpoints (null: none).
  std::unique_ptr<write_ahead_log> wal;
  // Writer thread: the group's frame payload, written as one frame without
  // a copy of its own: the last id, then the log entries (env_slot::wal_ops)
  // of each environment the group committed, in commit order. An
  // environment's wal_ops are left alone from its commit to the write: later
  // passes clear and stage only environments still active.
  char frame_last_id[8] = {};
  std::vector<std::string_view> frame_parts;
  std::size_t frame_bytes = 0;
  /// A checkpoint being taken: filled by the writer thread between groups,
  /// then flushed and recorded by `ck_thread` (no other thread touches it
  /// while `ck_in_flight`).
  struct checkpoint_job {
    wal_checkpoint record;
    std::vector<std::size_t> flush; ///< slots whose data files need a flush
    std::error_code result;
  };
  checkpoint_job ck_job;
  bool ck_in_flight = false; ///< writer thread's view
  std::chrono::steady_clock::time_point ck_last{};
  std::mutex ck_mu; ///< guards the three flags below
  std::condition_variable ck_cv;
  bool ck_requested = false, ck_done = false, ck_stop = false;
  std::thread ck_thread;
  checkpoint_stats ck_stats; ///< writer thread

  // Log writes in flight (log_writes_in_flight > 1). Group number k (counting
  // submit_group calls) is flights[k % max_in_flight] from its submission
  // until it is reported; at most log_writes_in_flight are.
  static constexpr std::size_t max_flights = write_ahead_log::max_in_flight;
  struct flight {
    write_ahead_log::frame frame;
    bool logged = false; ///< its frame went to a log writer
    std::uint64_t group_max = 0;
    /// The write's result, set by the log writer (under lw_mu) before `done`;
    /// then the group's outcome, decided in settle().
    std::error_code ec;
    std::atomic<bool> done{false};
  };
  std::array<flight, max_flights> flights;
  // Writer thread: groups submitted, settled (their write ended and the
  // log knows it; acked), and reported through reap.
  std::uint64_t fl_submitted = 0, fl_settled = 0, fl_reported = 0;
  /// Writer thread: a log write failed (or the checkpoint standing in for
  /// it). Frames after it may be intact but are unreachable to replay, and
  /// the refused groups are staged in the environments, not durable; so no
  /// group is acknowledged and no frame is written until a checkpoint covers
  /// everything up to `log_broken_head` (the next group takes one first).
  bool log_broken = false;
  std::error_code log_broken_ec;
  std::uint64_t log_broken_head = 0;
  std::mutex lw_mu;                   ///< guards the queue below, and each flight's ec and done
  std::condition_variable lw_cv;      ///< a frame is queued, or stop
  std::condition_variable lw_done_cv; ///< a write ended
  std::array<std::uint64_t, max_flights> lw_queue{}; ///< group numbers, in order
  std::uint64_t lw_queued = 0, lw_taken = 0;
  bool lw_stop = false;
  std::function<void()> written; ///< on_written; called on a log writer thread, under lw_mu
  std::vector<std::thread> lw_threads;
  std::atomic<std::uint64_t> log_used{0}; ///< wal->used(), for any thread
  // Writer thread: whether the file system had room to defer, and when that
  // was last looked at.
  bool room_to_defer = false;
  std::chrono::steady_clock::time_point room_checked{};
  log_recovery recovered; ///< set by the constructor

  explicit impl(const message_store_options& o) : opts(o) {
    // The log switched off (wal_capacity 0) while a log of an earlier run is
    // still there: it may hold acknowledged groups the environments lack
    // (applied behind the log, or a power loss since its checkpoint), and its
    // checkpoint must not outlive this run: environments written without the
    // log move past that checkpoint and reuse its snapshot's pages, so a
    // later start with the log on would "rewind" them to meta pages whose
    // trees are gone (MDB_BAD_TXN, MDB_CORRUPTED). So recover from it as a
    // start with the log would, flush the environments, and remove it.
    const bool retire_log = opts.wal_capacity == 0 && std::filesystem::exists(opts.dir / "wal");
    if (opts.wal_capacity > 0) {
      opts.deferred_meta_sync = false;
      wal = std::make_unique<write_ahead_log>(opts.dir / "wal", opts.wal_capacity);
    } else if (retire_log) {
      wal = std::make_unique<write_ahead_log>(opts.dir / "wal", 0); // its size is the file's
    }
    slots.resize(retention::values.size());
    for (std::size_t i = 0; i < slots.size(); ++i) {
      auto& s = slots[i];
      s.days = retention::values[i];
      open_env(s);
      if (wal && wal->recovered())
        rewind_to_checkpoint(s, *wal->recovered());
      if (auto ec = reload(s))
        throw std::system_error(ec, "message store: open " + retention::class_name(s.days));
    }
    if (retire_log) {
      recovered.retired = true;
      replay_log();
      for (auto& s : slots)
        if (auto ec = s.env->get().sync())
          throw std::system_error(ec, "message store: flushing " + retention::class_name(s.days)
                                        + " before removing the write-ahead log");
      wal.reset();
      std::filesystem::remove(opts.dir / "wal");
      if (auto ec = sync_directory(opts.dir)) // the removal survives a power loss
        throw std::system_error(ec, "message store: sync " + opts.dir.string());
      for (auto& s : slots) { // the flags of a store without the log
        s.env.reset();
        open_env(s);
        if (auto ec = reload(s))
          throw std::system_error(ec, "message store: open " + retention::class_name(s.days));
      }
    }
    if (wal) {
      replay_log();
      for (auto& s : slots)
        s.dirty = true;
      if (auto ec = checkpoint_now())
        throw std::system_error(ec, "message store: first checkpoint of the write-ahead log");
      ck_thread = std::thread([this] {
        ::pthread_setname_np(::pthread_self(), "wal-checkpoint"); // for top -H, perf
        checkpoint_loop();
      });
      opts.log_writes_in_flight =
        std::clamp<std::size_t>(opts.log_writes_in_flight, 1, max_flights);
      if (opts.log_writes_in_flight > 1)
        for (std::size_t i = 0; i < opts.log_writes_in_flight; ++i)
          lw_threads.emplace_back([this] {
            ::pthread_setname_np(::pthread_self(), "wal-writer");
            log_writer_loop();
          });
    }
    watermark.store(last_id, std::memory_order_release);
    acked.store(last_id, std::memory_order_release);
  }

  ~impl() {
    if (!lw_threads.empty()) {
      {
        std::lock_guard lock(lw_mu);
        lw_stop = true;
      }
      lw_cv.notify_all();
      for (auto& t : lw_threads)
        t.join(); // each writes what is queued first
    }
    if (!ck_thread.joinable())
      return;
    {
      std::lock_guard lock(ck_mu);
      ck_stop = true;
    }
    ck_cv.notify_all();
    ck_thread.join(); // finishes a checkpoint under way first
  }

  void open_env(env_slot& s) {
    unsigned flags = wal ? MDB_NOSYNC : opts.deferred_meta_sync ? MDB_NOMETASYNC : 0u;
    s.env =
      std::make_unique<detail::guarded_env>(opts.dir / retention::class_name(s.days), opts.map_size,
                                            opts.max_map_size, msg_max_dbs, flags);
  }

  // -------------------------------------------------------------------------
  // write-ahead log: recovery

  static std::uint64_t last_txnid(const env_slot& s) {
    MDB_envinfo info{};
    if (int rc = mdb_env_info(s.env->get().get(), &info); rc != 0)
      throw std::system_error(lmdb_error(rc), "message store: mdb_env_info");
    return info.me_last_txnid;
  }

  /// Puts the environment back to the checkpoint's snapshot when it went on
  /// past it (see the comment at the top). Start-up only.
  void rewind_to_checkpoint(env_slot& s, const wal_checkpoint& c) {
    auto name = retention::class_name(s.days);
    auto it = std::find_if(c.envs.begin(), c.envs.end(), [&](auto& e) { return e.name == name; });
    if (it == c.envs.end())
      throw std::runtime_error("message store: the write-ahead log has no checkpoint of " + name);
    auto now = last_txnid(s);
    if (now == it->txnid)
      return;
    if (now < it->txnid)
      throw std::runtime_error(
        "message store: " + name + " is older than its write-ahead log's checkpoint (transaction "
        + std::to_string(now) + " < " + std::to_string(it->txnid)
        + "); a log left from other data does not match it: after restoring a backup made "
          "with mdb_copy, remove messages/wal; a copy of the whole "
          "directory is restored with its own wal file");
    auto pages = unpack_meta_pages(it->meta_pages);
    if (!pages)
      throw std::runtime_error("message store: the write-ahead log's checkpoint of " + name
                               + " is malformed");
    s.env.reset();
    auto file = opts.dir / name / "data.mdb";
    // The meta pages it has now, put back if the checkpoint's snapshot is not
    // there any more: the rewind must never be what breaks an environment.
    std::string current(pages->size(), '\0');
    auto put_meta = [&](const std::string& bytes, bool save_current) {
      int fd = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
      std::error_code ec;
      if (fd < 0)
        ec = {errno, std::system_category()};
      else if ((save_current
                && ::pread(fd, current.data(), current.size(), 0)
                     != static_cast<ssize_t>(current.size()))
               || ::pwrite(fd, bytes.data(), bytes.size(), 0) != static_cast<ssize_t>(bytes.size())
               || ::fdatasync(fd) != 0)
        ec = {errno ? errno : EIO, std::system_category()};
      if (fd >= 0)
        ::close(fd);
      if (ec)
        throw std::system_error(ec, "message store: rewind " + file.string());
    };
    put_meta(*pages, true);
    open_env(s);
    std::error_code open_ec;
    if (last_txnid(s) != it->txnid || (open_ec = reload(s))) {
      s.env.reset();
      put_meta(current, false);
      open_env(s);
      throw std::runtime_error(
        "message store: " + name
        + " does not open at its write-ahead log's checkpoint "
          "(transaction "
        + std::to_string(it->txnid) + (open_ec ? ": " + open_ec.message() : "")
        + "); it was left as it was. It has been written without this log since (a start with "
          "storage.write-ahead-log-size=0 by an older version?): if that run was stopped "
          "cleanly, remove messages/wal and start again");
    }
  }

  /// Applies every frame after the checkpoint again (start-up only).
  void replay_log() {
    std::vector<std::string> frames;
    wal->replay([&](std::string_view p) { frames.emplace_back(p); });
    if (frames.empty())
      return;
    recovered.groups = frames.size();
    for (auto& f : frames) {
      std::uint64_t last = 0;
      for_each_entry(f, last,
                     [&](std::uint8_t, char kind, std::int64_t, std::string_view,
                         std::string_view) { recovered.messages += kind == 'm'; });
    }
    for (std::size_t e = 0; e < slots.size(); ++e) {
      auto name = retention::class_name(slots[e].days);
      for (;;) {
        auto ec = apply_frames(e, frames);
        if (!ec)
          break;
        if (ec != lmdb_error(MDB_MAP_FULL))
          throw std::system_error(ec, "message store: replaying the write-ahead log into " + name);
        if (auto gec = slots[e].env->grow())
          throw std::system_error(gec, "message store: replaying the write-ahead log into " + name);
      }
      if (auto ec = reload(slots[e]))
        throw std::system_error(ec, "message store: open " + name);
    }
  }

  /// One frame's entries, in order; false when it is malformed.
  template <class F>
  static bool for_each_entry(std::string_view p, std::uint64_t& frame_last_id, F&& f) {
    if (p.size() < 8)
      return false;
    frame_last_id = get_le(p.data(), 8);
    p.remove_prefix(8);
    while (!p.empty()) {
      if (p.size() < 16)
        return false;
      auto env = static_cast<std::uint8_t>(p[0]);
      char kind = p[1];
      auto day = static_cast<std::int64_t>(get_le(p.data() + 2, 8));
      auto klen = get_le(p.data() + 10, 2);
      auto vlen = get_le(p.data() + 12, 4);
      p.remove_prefix(16);
      if (p.size() < klen + vlen || (kind != 'm' && kind != 'd'))
        return false;
      f(env, kind, day, p.substr(0, klen), p.substr(klen, vlen));
      p.remove_prefix(klen + vlen);
    }
    return true;
  }

  /// With `exclude_readers`, the commit (which may add bucket handles) holds
  /// the environment's lock exclusively, taken after the txn began (the
  /// lock order of reload()).
  std::error_code apply_frames(std::size_t e, const std::vector<std::string>& frames,
                               bool exclude_readers = false) {
    env_slot& s = slots[e];
    auto [t, ec] = txn::begin(s.env->get(), false);
    if (ec)
      return ec;
    std::map<std::string, MDB_dbi> dbis;
    std::uint64_t max_last = 0;
    bool touched = false;
    for (const auto& f : frames) {
      std::uint64_t fl = 0;
      bool mine = false;
      bool ok = for_each_entry(
        f, fl,
        [&](std::size_t env, char kind, std::int64_t day, std::string_view k, std::string_view v) {
          if (env != e || ec)
            return;
          mine = true;
          auto name = bucket_name(kind, day);
          auto it = dbis.find(name);
          if (it == dbis.end()) {
            MDB_dbi dbi = 0;
            if (int rc = mdb_dbi_open(t.get(), name.c_str(), MDB_CREATE, &dbi); rc != 0) {
              ec = lmdb_error(rc);
              return;
            }
            it = dbis.emplace(name, dbi).first;
          }
          // In key order where it can (MDB_APPEND fills pages whole, as the
          // group's own puts did: groups applied again after their txn was
          // lost must fit where they fitted before), anywhere otherwise.
          ec = t.put(it->second, k, v, MDB_APPEND);
          if (ec == lmdb_error(MDB_KEYEXIST))
            ec = t.put(it->second, k, v);
        });
      if (!ok)
        return std::make_error_code(std::errc::illegal_byte_sequence);
      if (ec)
        return ec;
      if (mine) {
        touched = true;
        max_last = std::max(max_last, fl);
      }
    }
    if (!touched)
      return {};
    last_id = std::max(last_id, max_last);
    char buf[8];
    put_be64(buf, last_id);
    if ((ec = t.put(s.info, last_id_key, {buf, 8})))
      return ec;
    std::unique_lock<std::shared_mutex> lock;
    if (exclude_readers)
      lock = std::unique_lock(s.env->mutex());
    return t.commit();
  }

  // -------------------------------------------------------------------------
  // applying behind the log

  /// Whether a group may be left in an open transaction of `s` now: with
  /// room on the file system (looked at now and then) and in the map
  /// (writer thread).
  bool may_defer(const env_slot& s) {
    if (!wal || opts.deferred_apply_bytes == 0)
      return false;
    auto now = std::chrono::steady_clock::now();
    if (now - room_checked >= deferred_apply_room_check) {
      room_checked = now;
      auto space = disk_space_of(opts.dir);
      room_to_defer =
        space && space->free_bytes / deferred_apply_room_factor >= opts.deferred_apply_bytes;
    }
    if (!room_to_defer)
      return false;
    auto used = s.env->used_bytes();
    auto max = s.env->max_map_size();
    return used < max && (max - used) / deferred_apply_room_factor >= opts.deferred_apply_bytes;
  }

  /// Commits the open transactions of the environments after `e`, so that
  /// LMDB's writer mutexes (one per environment, each held by its open
  /// transaction) are only ever taken in environment order. Only this thread
  /// takes them, so no order could deadlock, but a fixed one is what the
  /// thread sanitizer can check. A commit that fails leaves that
  /// environment's groups to be applied again (deferred_ops).
  void close_above(std::size_t e) {
    for (std::size_t x = e + 1; x < slots.size(); ++x)
      (void)commit_open(slots[x]);
  }

  /// Commits the open transaction of `s`, if any; on success its groups
  /// need no applying again. (Nothing in it opened a handle: such a group
  /// commits at once.) On failure LMDB has freed it, and deferred_ops holds
  /// its groups.
  std::error_code commit_open(env_slot& s) {
    if (!s.open)
      return {};
    auto ec = s.open.commit();
    if (!ec)
      s.deferred_ops.clear();
    return ec;
  }

  bool has_deferred() const noexcept {
    return std::any_of(slots.begin(), slots.end(),
                       [](const env_slot& s) { return s.open || !s.deferred_ops.empty(); });
  }

  /// Applies environment e's acknowledged groups again from their log
  /// entries, after the transaction holding them was lost. Writer thread,
  /// with no write txn open on e.
  std::error_code reapply(std::size_t e) {
    env_slot& s = slots[e];
    if (s.deferred_ops.empty())
      return {};
    std::vector<std::string> frames(1, std::string(8, '\0'));
    put_le(frames[0].data(), last_id, 8);
    frames[0] += s.deferred_ops;
    close_above(e);
    for (;;) {
      // It may open bucket handles: committed with readers excluded.
      auto ec = apply_frames(e, frames, true);
      if (!ec)
        break;
      if (ec != lmdb_error(MDB_MAP_FULL))
        return ec;
      if (auto gec = s.env->grow())
        return gec;
    }
    if (auto ec = reload(s)) // publishes the handles apply_frames opened
      return ec;
    s.deferred_ops.clear();
    s.dirty = true;
    return {};
  }

  std::error_code apply_deferred() {
    std::error_code first;
    for (std::size_t e = 0; e < slots.size(); ++e) {
      auto ec = slots[e].open ? commit_open(slots[e]) : reapply(e);
      if (ec && !first)
        first = ec;
    }
    if (!first)
      publish(acked.load(std::memory_order_relaxed));
    return first;
  }

  /// A reader's wait until every group acknowledged before it asked is
  /// visible (see on_apply_wanted).
  void wait_applied() const {
    const std::uint64_t target = acked.load(std::memory_order_acquire);
    if (watermark.load(std::memory_order_acquire) >= target || !apply_wanted)
      return;
    apply_waiters.fetch_add(1, std::memory_order_acq_rel);
    apply_wanted();
    bool ok;
    {
      std::unique_lock lock(apply_mu);
      ok = apply_cv.wait_for(lock, std::chrono::seconds(10),
                             [&] { return watermark.load(std::memory_order_acquire) >= target; });
    }
    apply_waiters.fetch_sub(1, std::memory_order_acq_rel);
    if (!ok)
      throw std::system_error(std::make_error_code(std::errc::timed_out),
                              "acknowledged messages are not applied yet");
  }

  // -------------------------------------------------------------------------
  // write-ahead log: checkpoints

  /// Fills ck_job with a snapshot of every environment, now, and pins it.
  /// Writer thread, between groups (no write txn open).
  std::error_code begin_checkpoint() {
    // The snapshot must hold every group before the log position recorded.
    if (auto ec = apply_deferred())
      return ec;
    ck_job.record = wal_checkpoint{};
    ck_job.flush.clear();
    ck_job.record.position = wal->position();
    ck_job.record.lsn = wal->next_lsn();
    for (std::size_t i = 0; i < slots.size(); ++i) {
      env_slot& s = slots[i];
      // The writer thread is the only one that grows the map, so this read
      // txn needs no shared lock (guarded_env's invariant is about readers
      // on other threads).
      auto [t, ec] = txn::begin(s.env->get(), true);
      int fd = -1;
      MDB_stat st{};
      if (!ec && mdb_env_get_fd(s.env->get().get(), &fd) == 0
          && mdb_env_stat(s.env->get().get(), &st) == 0) {
        std::string pages(2 * std::size_t{st.ms_psize}, '\0');
        if (::pread(fd, pages.data(), pages.size(), 0) == static_cast<ssize_t>(pages.size()))
          ck_job.record.envs.push_back({retention::class_name(s.days), mdb_txn_id(t.get()),
                                        pack_meta_pages(pages, st.ms_psize)});
        else
          ec = {errno ? errno : EIO, std::system_category()};
      } else if (!ec) {
        ec = lmdb_error(EIO);
      }
      if (ec) {
        for (auto& x : slots) {
          x.next_pin.abort();
          x.dirty = true;
        }
        return ec;
      }
      if (ck_job.record.envs.back().txnid != s.durable_txnid)
        ck_job.flush.push_back(i);
      s.dirty = false;
      s.next_pin = std::move(t);
    }
    return {};
  }

  /// Flushes the data files, then writes the record. Any thread.
  std::error_code run_checkpoint() {
    for (auto i : ck_job.flush)
      if (auto ec = slots[i].env->get().sync())
        return ec;
    return wal->write_checkpoint(ck_job.record);
  }

  void finish_checkpoint(std::error_code ec) {
    ck_in_flight = false;
    ck_last = std::chrono::steady_clock::now();
    if (ec) {
      ++ck_stats.failed;
      ck_stats.last_error = ec;
      for (auto& s : slots) {
        s.next_pin.abort();
        s.dirty = true; // try again after the next group
      }
      return;
    }
    for (std::size_t i = 0; i < slots.size(); ++i) {
      slots[i].pin = std::move(slots[i].next_pin);
      slots[i].durable_txnid = ck_job.record.envs[i].txnid;
    }
    wal->reclaim(ck_job.record.position);
    // Its snapshot holds every group whose frame lies before its position.
    if (log_broken && ck_job.record.position >= log_broken_head)
      log_broken = false;
    ++ck_stats.taken;
    log_used.store(wal->used(), std::memory_order_relaxed);
  }

  void checkpoint_loop() {
    std::unique_lock lock(ck_mu);
    for (;;) {
      ck_cv.wait(lock, [&] { return ck_stop || ck_requested; });
      if (!ck_requested)
        return;
      ck_requested = false;
      lock.unlock();
      auto ec = run_checkpoint();
      lock.lock();
      ck_job.result = ec;
      ck_done = true;
      ck_cv.notify_all();
    }
  }

  /// Finishes a checkpoint under way when its thread is done (or waits).
  void collect_checkpoint(bool wait) {
    if (!ck_in_flight)
      return;
    std::error_code ec;
    {
      std::unique_lock lock(ck_mu);
      if (wait)
        ck_cv.wait(lock, [&] { return ck_done; });
      if (!ck_done)
        return;
      ck_done = false;
      ec = ck_job.result;
    }
    finish_checkpoint(ec);
  }

  /// Starts a checkpoint on the store's thread when one is due.
  void maybe_checkpoint() {
    collect_checkpoint(false);
    if (ck_in_flight)
      return;
    bool due = wal->used() >= wal->capacity() / 4
               || std::chrono::steady_clock::now() - ck_last >= opts.checkpoint_interval;
    if (!due || std::none_of(slots.begin(), slots.end(), [](auto& s) { return s.dirty; }))
      return;
    if (begin_checkpoint())
      return; // tried again after the next group
    {
      std::lock_guard lock(ck_mu);
      ck_requested = true;
    }
    ck_in_flight = true;
    ck_cv.notify_all();
  }

  /// Takes a checkpoint on this (the writer) thread.
  std::error_code checkpoint_now() {
    collect_checkpoint(true);
    if (auto ec = begin_checkpoint())
      return ec;
    auto ec = run_checkpoint();
    finish_checkpoint(ec);
    return ec;
  }

  /// A log write (or the checkpoint standing in for it) failed with `ec`:
  /// see log_broken. The first failure is the one reported until mended.
  void break_log(std::error_code ec) {
    if (log_broken)
      return;
    log_broken = true;
    log_broken_ec = ec;
    // Past the failed frame (the log keeps its place and lsn): a checkpoint
    // begun before the failure, whose snapshot lacks the refused group
    // staged since, records a position before it and mends nothing.
    log_broken_head = wal->position();
  }

  /// Before a group goes on after a failed write: the checkpoint that covers
  /// everything written so far (finish_checkpoint mends the log); the
  /// failure while it still stands. While the disk keeps failing, each
  /// group tries once.
  std::error_code mend_log() {
    if (log_broken)
      checkpoint_now();
    return log_broken ? log_broken_ec : std::error_code{};
  }

  /// Makes room in the log for the group's frame (its last id set): true
  /// when the frame fits; false when it cannot, and a checkpoint covers the
  /// group instead (it is staged in the environments already; ec: that
  /// checkpoint's error), or an earlier write in flight failed (ec: that).
  bool room_for_frame(std::error_code& ec) {
    put_le(frame_last_id, last_id, 8);
    collect_checkpoint(false);
    if (wal->fits(frame_bytes))
      return true;
    // Frames under way keep their bytes until written (none with one write
    // at a time), and room comes back once a checkpoint covers them.
    settle(true);
    if (log_broken) {
      ec = log_broken_ec;
      return false;
    }
    collect_checkpoint(true);
    if (wal->fits(frame_bytes))
      return true;
    ec = checkpoint_now();
    return false;
  }

  /// Appends the group's frame; when the log has no room, a checkpoint
  /// covers the group instead (it is committed to the environments already).
  std::error_code log_group() {
    std::error_code ec;
    if (!room_for_frame(ec))
      return ec;
    ec = wal->append(frame_parts);
    log_used.store(wal->used(), std::memory_order_relaxed);
    return ec;
  }

  // -------------------------------------------------------------------------
  // write-ahead log: writes in flight (log_writes_in_flight > 1)

  /// Hands the group staged last to the log writers (or settles it at once
  /// when it has no frame, or cannot have one). Writer thread.
  void submit_frame(std::uint64_t group_max) {
    // Counted as submitted only once decided: prepare_frame may settle the
    // earlier groups, and must not take this one for one of them.
    const std::uint64_t k = fl_submitted;
    auto& f = flights[k % max_flights];
    f.group_max = group_max;
    f.logged = false;
    f.ec = {};
    f.done.store(false, std::memory_order_relaxed);
    std::error_code ec;
    if (frame_bytes > sizeof frame_last_id) {
      // After a failed write, frames go on once a checkpoint covers all
      // written so far: taken here, before this group's frame.
      ec = mend_log();
      if (!ec)
        ec = prepare_frame(f.frame, f.logged);
    }
    ++fl_submitted;
    if (!f.logged) {
      f.ec = ec;
      f.done.store(true, std::memory_order_release);
      return;
    }
    {
      std::lock_guard lock(lw_mu);
      lw_queue[lw_queued++ % max_flights] = k;
    }
    lw_cv.notify_one();
  }

  /// Reserves the group's frame in the log (`logged`); when the log has no
  /// room, a checkpoint covers the group instead (as log_group does).
  std::error_code prepare_frame(write_ahead_log::frame& out, bool& logged) {
    std::error_code ec;
    if (!room_for_frame(ec))
      return ec;
    if ((ec = wal->prepare(frame_parts, out)))
      return ec;
    logged = true;
    log_used.store(wal->used(), std::memory_order_relaxed);
    return {};
  }

  /// A log writer thread: writes queued frames, in the order queued, one at
  /// a time (the others write the next ones meanwhile).
  void log_writer_loop() {
    for (;;) {
      std::uint64_t k = 0;
      {
        std::unique_lock lock(lw_mu);
        lw_cv.wait(lock, [&] { return lw_stop || lw_taken < lw_queued; });
        if (lw_taken == lw_queued)
          return; // stopping, and nothing left to write
        k = lw_queue[lw_taken++ % max_flights];
      }
      auto& f = flights[k % max_flights];
      auto ec = wal->write(f.frame);
      {
        // `written` under the lock too: once the writer has seen every write
        // end (reap with wait, at the storage actor's exit), no log writer
        // is still in it.
        std::lock_guard lock(lw_mu);
        f.ec = ec;
        f.done.store(true, std::memory_order_release);
        if (written)
          written();
      }
      lw_done_cv.notify_all();
    }
  }

  /// Takes the submitted groups whose writes ended, oldest first, up to the
  /// first still under way (with `wait`: all of them), and decides each
  /// one's outcome: acknowledged only when its write and every earlier one
  /// succeeded (a frame past a bad one is not replayed), or a checkpoint
  /// covers it since. Writer thread.
  void settle(bool wait) {
    while (fl_settled < fl_submitted) {
      auto& f = flights[fl_settled % max_flights];
      if (!f.done.load(std::memory_order_acquire)) {
        if (!wait)
          return;
        std::unique_lock lock(lw_mu);
        lw_done_cv.wait(lock, [&] { return f.done.load(std::memory_order_acquire); });
      }
      if (f.logged)
        wal->finish();
      if (f.ec) {
        break_log(f.ec);
      } else if (log_broken) {
        f.ec = log_broken_ec;
      } else {
        if (f.group_max > acked.load(std::memory_order_relaxed))
          acked.store(f.group_max, std::memory_order_release);
        if (!has_deferred())
          publish(f.group_max);
      }
      ++fl_settled;
    }
  }

  void reap(const std::function<void(std::error_code)>& done, bool wait) {
    settle(wait);
    while (fl_reported < fl_settled) {
      auto ec = flights[fl_reported % max_flights].ec;
      ++fl_reported;
      done(ec);
    }
  }

  static void log_entry(std::string& out, std::size_t env, char kind, std::int64_t day,
                        std::string_view key, std::string_view value) {
    char h[16];
    h[0] = static_cast<char>(env);
    h[1] = kind;
    put_le(h + 2, static_cast<std::uint64_t>(day), 8);
    put_le(h + 10, key.size(), 2);
    put_le(h + 12, value.size(), 4);
    out.append(h, sizeof h);
    out.append(key);
    out.append(value);
  }

  /// (Re)opens every bucket of the environment by walking the names in the
  /// main database, and reads `last_id`. Writer thread only, with no
  /// transaction open on the environment: at start, and after a failed drop
  /// (mdb_drop closes a handle even when its txn then fails).
  ///
  /// Lock order, everywhere: LMDB's writer mutex (taken by beginning a write
  /// txn) before the environment's exclusive lock. Readers never take the
  /// former, and only this thread writes, so the order is merely kept tidy.
  std::error_code reload(env_slot& s) {
    for (;;) {
      auto [t, ec] = txn::begin(s.env->get(), false);
      if (ec)
        return ec;
      // Exclusive: the txn's commit adds handles to LMDB's table, which a
      // reader beginning its txn at that moment would copy half-updated.
      std::unique_lock lock(s.env->mutex());
      int rc = mdb_dbi_open(t.get(), "info", MDB_CREATE, &s.info);
      std::vector<std::string> names;
      if (rc == 0) {
        MDB_dbi main = 0;
        rc = mdb_dbi_open(t.get(), nullptr, 0, &main);
        if (rc == 0) {
          cursor c(t, main);
          std::string_view k, v;
          for (bool ok = c.first(k, v); ok; ok = c.next(k, v))
            if (parse_bucket_name(k))
              names.emplace_back(k);
        }
      }
      bucket_map m, d;
      for (std::size_t i = 0; rc == 0 && i < names.size(); ++i) {
        MDB_dbi dbi = 0;
        rc = mdb_dbi_open(t.get(), names[i].c_str(), 0, &dbi);
        if (rc == 0) {
          auto [kind, day] = *parse_bucket_name(names[i]);
          (kind == 'm' ? m : d)[day] = dbi;
        }
      }
      if (rc == 0) {
        std::string_view v;
        if (t.get(s.info, last_id_key, v) && v.size() == 8)
          last_id = std::max(last_id, get_be64(v.data()));
        rc = t.commit().value();
      }
      if (rc == 0) {
        s.m = std::move(m);
        s.d = std::move(d);
        s.last_key.clear();
        return {};
      }
      t.abort();
      lock.unlock();
      if (rc != MDB_MAP_FULL)
        return lmdb_error(rc);
      if (auto gec = s.env->grow())
        return gec;
    }
  }

  std::uint64_t next_id(std::int64_t now_us) noexcept {
    auto now = static_cast<std::uint64_t>(std::max<std::int64_t>(now_us, 0));
    last_id = std::max(last_id + 1, now);
    return last_id;
  }

  // -------------------------------------------------------------------------
  // commit_group

  /// Per environment state of one commit_group call.
  struct env_work {
    std::vector<std::size_t> jobs; ///< indexes into the group, arrival order
    bool active = false;           ///< still to be committed
    txn w;                         ///< write txn of the current attempt
    bucket_map new_m, new_d;       ///< created in `w`, not yet published
    std::uint64_t max_id = 0;      ///< highest id staged in `w`
  };

  /// State of one staging attempt of a group.
  struct attempt {
    std::int64_t now_us = 0;
    std::int64_t dedup_threshold = 0; ///< entries with id >= this are live
    std::int64_t dedup_first_day = 0; ///< oldest d<day> that can hold them
    /// Read transactions (with their shared locks) on environments that are
    /// not written in this attempt, opened when a dedup check needs them.
    std::vector<std::optional<detail::guarded_env::reader>> readers;
    std::string dedup_key;
  };

  /// Forgets handles created by a transaction that did not commit: LMDB
  /// closed them when it ended, and their numbers may be handed out again.
  void forget_new(env_slot& s, env_work& w) {
    for (const auto* bm : {&w.new_m, &w.new_d})
      for (const auto& [day, dbi] : *bm)
        s.last_key.erase(dbi);
    w.new_m.clear();
    w.new_d.clear();
  }

  void abort_all(std::vector<env_work>& work) {
    for (std::size_t e = 0; e < work.size(); ++e)
      if (work[e].active) {
        work[e].w.abort();
        forget_new(slots[e], work[e]);
        work[e].max_id = 0;
      }
  }

  /// The handle of bucket `kind<day>` for writing, created in `w` if needed.
  std::error_code bucket(env_slot& s, env_work& w, char kind, std::int64_t day, MDB_dbi& out) {
    auto& published = kind == 'm' ? s.m : s.d;
    auto& fresh = kind == 'm' ? w.new_m : w.new_d;
    if (auto it = published.find(day); it != published.end()) {
      out = it->second;
      return {};
    }
    if (auto it = fresh.find(day); it != fresh.end()) {
      out = it->second;
      return {};
    }
    // Only this (writer) thread opens handles, and only inside its write txn;
    // the handle is published once that txn has committed.
    auto name = bucket_name(kind, day);
    if (int rc = mdb_dbi_open(w.w.get(), name.c_str(), MDB_CREATE, &out); rc != 0)
      return lmdb_error(rc);
    fresh[day] = out;
    return {};
  }

  /// Whether (system, client id) in `a.dedup_key` was stored within the
  /// window in any environment, including this group's pending writes and
  /// acknowledged groups that wait to be applied (both visible only through
  /// the open write transactions).
  std::pair<bool, std::error_code> is_duplicate(std::vector<env_work>& work, attempt& a) {
    for (std::size_t e = 0; e < slots.size(); ++e) {
      env_slot& s = slots[e];
      auto first = s.d.lower_bound(a.dedup_first_day);
      bool has_fresh = work[e].active && !work[e].new_d.empty();
      if (first == s.d.end() && !has_fresh)
        continue; // no dedup bucket within the window here
      const txn* t = nullptr;
      if (work[e].active) {
        t = &work[e].w;
      } else if (s.open) {
        // Not written by this group, but earlier ones wait in its open
        // transaction (applying behind the log), which a read transaction
        // would not see. This thread owns it; reading through it changes
        // nothing, and its handles are the committed ones in s.d (a group
        // that opens a handle is never left open).
        t = &s.open;
      } else {
        if (!a.readers[e]) {
          auto [r, ec] = s.env->begin_read();
          if (ec)
            return {false, ec};
          a.readers[e] = std::move(r);
        }
        t = &a.readers[e]->t;
      }
      auto live = [&](MDB_dbi dbi) {
        std::string_view v;
        return t->get(dbi, a.dedup_key, v) && v.size() == 8
               && static_cast<std::int64_t>(get_be64(v.data())) >= a.dedup_threshold;
      };
      for (auto it = first; it != s.d.end(); ++it)
        if (live(it->second))
          return {true, {}};
      if (has_fresh)
        for (auto it = work[e].new_d.lower_bound(a.dedup_first_day); it != work[e].new_d.end();
             ++it)
          if (live(it->second))
            return {true, {}};
    }
    return {false, {}};
  }

  /// Stages one job into its environment's write txn. Returns the first
  /// LMDB error (the caller then abandons the attempt).
  std::error_code stage_job(const write_job& job, std::size_t e, std::vector<env_work>& work,
                            attempt& a, job_outcome& out) {
    env_slot& s = slots[e];
    env_work& w = work[e];
    const message_batch& b = *job.batch;
    for (const auto& item : b.items) {
      std::string_view cid = b.id(item);
      if (!cid.empty()) {
        a.dedup_key.resize(8);
        put_be64(a.dedup_key.data(), job.system_id);
        a.dedup_key.append(cid);
        auto [dup, ec] = is_duplicate(work, a);
        if (ec)
          return ec;
        if (dup) {
          ++out.duplicates;
          continue;
        }
      }
      std::uint64_t id = next_id(a.now_us);
      std::int64_t day = retention::day_of(static_cast<std::int64_t>(id));
      MDB_dbi mdbi = 0;
      if (auto ec = bucket(s, w, 'm', day, mdbi))
        return ec;

      // Append fast path: only when the key is known to be above every key
      // in the bucket (MDB_APPEND of a smaller key fails with MDB_KEYEXIST).
      auto key = be_key(job.system_id, id);
      auto lk = s.last_key.find(mdbi);
      if (lk == s.last_key.end()) {
        cursor c(w.w, mdbi);
        std::string_view k, v;
        lk = s.last_key.emplace(mdbi, c.last(k, v) ? std::string(k) : std::string()).first;
      }
      bool append = view(key) > std::string_view(lk->second);

      std::string_view body = b.body(item);
      MDB_val k = to_val(view(key));
      MDB_val v{header_size + body.size(), nullptr};
      if (int rc = mdb_put(w.w.get(), mdbi, &k, &v, MDB_RESERVE | (append ? MDB_APPEND : 0u));
          rc != 0)
        return lmdb_error(rc);
      // MDB_RESERVE: LMDB made room in the page; fill it in place, no copy.
      auto* dst = static_cast<char*>(v.mv_data);
      write_header(dst, job, item);
      if (!body.empty())
        std::memcpy(dst + header_size, body.data(), body.size());
      if (append)
        lk->second.assign(view(key));
      if (wal)
        log_entry(s.wal_ops, e, 'm', day, view(key), {dst, header_size + body.size()});

      if (!cid.empty()) {
        MDB_dbi ddbi = 0;
        if (auto ec = bucket(s, w, 'd', day, ddbi))
          return ec;
        char idbuf[8];
        put_be64(idbuf, id);
        if (auto ec = w.w.put(ddbi, a.dedup_key, {idbuf, 8}))
          return ec;
        if (wal)
          log_entry(s.wal_ops, e, 'd', day, a.dedup_key, {idbuf, 8});
      }
      ++out.accepted;
      w.max_id = std::max(w.max_id, id);
    }
    return {};
  }

  /// A job the store cannot take at all (never partially staged).
  static bool valid_job(const write_job& job) noexcept {
    if (job.batch == nullptr || !retention::class_index(job.retention_days))
      return false;
    const auto& b = *job.batch;
    for (const auto& m : b.items) {
      if (std::size_t{m.body_offset} + m.body_size > b.bytes.size()
          || std::size_t{m.id_offset} + m.id_size > b.bytes.size())
        return false;
      // The dedup key (8 B system id + client id) must fit LMDB's key limit.
      if (m.id_size + 8u > 511u)
        return false;
    }
    return true;
  }

  void commit_group(std::span<const write_job> jobs, std::int64_t now_us,
                    std::span<job_outcome> outcomes, bool in_flight = false) {
    const std::size_t n = std::min(jobs.size(), outcomes.size());
    ++group_seq;
    std::vector<env_work> work(slots.size());
    for (std::size_t i = 0; i < n; ++i) {
      outcomes[i] = job_outcome{};
      if (!valid_job(jobs[i])) {
        outcomes[i].ec = lmdb_error(EINVAL);
        continue;
      }
      if (jobs[i].batch->items.empty())
        continue; // nothing to store: ok as is
      auto e = *retention::class_index(jobs[i].retention_days);
      work[e].jobs.push_back(i);
      work[e].active = true;
    }

    auto fail_env = [&](std::size_t e, std::error_code ec) {
      for (auto i : work[e].jobs)
        outcomes[i] = job_outcome{ec, 0, 0};
      work[e].active = false;
    };
    // Staged outcomes of the current attempt; copied out on commit.
    std::vector<job_outcome> staged(n);
    std::uint64_t group_max = 0;
    if (wal) {
      frame_parts.assign(1, {frame_last_id, sizeof frame_last_id}); // set in log_group
      frame_bytes = sizeof frame_last_id;
    }

    try {
      run_passes(jobs, n, now_us, outcomes, work, staged, group_max, fail_env);
    } catch (...) {
      // Handles created by the aborted txns must not stay in `last_key`.
      abort_all(work);
      throw;
    }

    // Every id up to group_max that will ever be visible is committed now,
    // and later groups only assign greater ids. With deferred sync it becomes
    // visible once durable (sync_previous / sync).
    if (wal && in_flight) {
      submit_frame(group_max);
      return;
    }
    if (wal) {
      // After a failed log write (or the checkpoint that stood in for one),
      // the groups refused since are staged in the environments, below this
      // group's ids: this group would make them visible, so a checkpoint
      // first makes them durable (as submit_frame does with writes in
      // flight). While it fails, each group is refused.
      std::error_code ec = mend_log();
      if (!ec && frame_bytes > sizeof frame_last_id && (ec = log_group()))
        break_log(ec);
      if (ec) {
        // Not durable: refused. What the environments hold of it becomes
        // durable, and visible, with that checkpoint.
        for (std::size_t i = 0; i < n; ++i)
          if (!outcomes[i].ec)
            outcomes[i] = job_outcome{ec, 0, 0};
        return;
      }
      if (group_max > acked.load(std::memory_order_relaxed))
        acked.store(group_max, std::memory_order_release);
      if (!has_deferred())
        publish(group_max);
      // No checkpoint here: its first step commits the groups applied behind
      // the log, which can take a few milliseconds, and the caller answers
      // this group first (checkpoint_if_due).
      return;
    }
    if (opts.deferred_meta_sync) {
      before_latest_max = latest_max;
      latest_max = std::max(latest_max, group_max);
      return;
    }
    publish(group_max);
  }

  void publish(std::uint64_t max_id) noexcept {
    if (max_id > watermark.load(std::memory_order_relaxed))
      watermark.store(max_id, std::memory_order_release);
    if (apply_waiters.load(std::memory_order_acquire) > 0) {
      // Under the mutex: a waiter between its check and its wait misses no
      // notification.
      { std::lock_guard lock(apply_mu); }
      apply_cv.notify_all();
    }
  }

  /// Syncs every environment whose last commit is not durable and was made by
  /// a group before `group` (all of them for group_seq + 1).
  std::error_code sync_before(std::uint64_t group) {
    std::error_code first;
    for (auto& s : slots) {
      if (!s.unsynced || s.unsynced_group >= group)
        continue;
      if (auto ec = s.env->get().sync()) {
        if (!first)
          first = ec;
        continue;
      }
      s.unsynced = false;
    }
    return first;
  }

  std::error_code sync_previous() {
    if (!opts.deferred_meta_sync) // also with the log: nothing is deferred
      return {};
    // An environment the current group committed to was flushed whole by that
    // commit, so its earlier commits are durable; the rest are synced here.
    if (auto ec = sync_before(group_seq))
      return ec;
    publish(before_latest_max);
    return {};
  }

  std::error_code sync() {
    if (wal)
      return checkpoint_now();
    if (!opts.deferred_meta_sync)
      return {};
    if (auto ec = sync_before(group_seq + 1))
      return ec;
    publish(latest_max);
    return {};
  }

  /// Rewrites every environment's last id (a write of a few pages, the
  /// same data) and makes it durable: whether storage takes writes again.
  std::error_code probe() {
    if (auto ec = apply_deferred()) // the same write txn lock, and the same disk
      return ec;
    char buf[8];
    put_be64(buf, last_id);
    for (auto& s : slots) {
      for (;;) {
        auto [t, ec] = txn::begin(s.env->get(), false);
        if (ec)
          return ec;
        ec = t.put(s.info, last_id_key, {buf, 8});
        if (!ec)
          ec = t.commit();
        if (!ec)
          break;
        t.abort();
        if (ec != lmdb_error(MDB_MAP_FULL))
          return ec;
        if (auto gec = s.env->grow())
          return gec;
      }
      if (opts.deferred_meta_sync) {
        s.unsynced = true;
        s.unsynced_group = group_seq;
      }
    }
    return sync();
  }

  template <class FailEnv>
  void run_passes(std::span<const write_job> jobs, std::size_t n, std::int64_t now_us,
                  std::span<job_outcome> outcomes, std::vector<env_work>& work,
                  std::vector<job_outcome>& staged, std::uint64_t& group_max, FailEnv& fail_env) {
    // Each pass stages every job of every still-active environment, then
    // commits them one by one. Whatever goes wrong (map full, an error) ends
    // the pass: all open write txns are aborted and the remaining
    // environments are staged again from scratch. That keeps dedup decisions
    // consistent (a message is never judged a duplicate of one whose txn did
    // not commit) and terminates: each pass either commits, grows a map
    // towards its maximum, or removes a failed environment.
    for (;;) {
      bool any = std::any_of(work.begin(), work.end(), [](auto& w) { return w.active; });
      if (!any)
        break;

      attempt a;
      a.now_us = now_us;
      a.dedup_threshold = sat_sub(now_us, opts.dedup_window_us);
      a.dedup_first_day = retention::day_of(a.dedup_threshold);
      a.readers.resize(slots.size());

      // Stage.
      std::optional<std::pair<std::size_t, std::error_code>> failure;
      for (std::size_t e = 0; e < work.size() && !failure; ++e) {
        if (!work[e].active)
          continue;
        slots[e].wal_ops.clear();
        if (slots[e].open) { // earlier groups wait in it: add to it
          work[e].w = std::move(slots[e].open);
          continue;
        }
        if (!slots[e].deferred_ops.empty()) // lost with its txn: apply first
          if (auto ec = reapply(e)) {
            failure = {e, ec};
            break;
          }
        close_above(e);
        auto [t, ec] = txn::begin(slots[e].env->get(), false);
        if (ec)
          failure = {e, ec};
        else
          work[e].w = std::move(t);
      }
      for (std::size_t i = 0; i < n && !failure; ++i) {
        if (outcomes[i].ec || jobs[i].batch->items.empty())
          continue;
        auto e = *retention::class_index(jobs[i].retention_days);
        if (!work[e].active)
          continue;
        staged[i] = job_outcome{};
        if (auto ec = stage_job(jobs[i], e, work, a, staged[i]))
          failure = {e, ec};
      }
      for (std::size_t e = 0; e < work.size() && !failure; ++e) {
        if (!work[e].active)
          continue;
        char buf[8];
        put_be64(buf, last_id);
        if (auto ec = work[e].w.put(slots[e].info, last_id_key, {buf, 8}))
          failure = {e, ec};
      }
      a.readers.clear(); // end the read txns before any commit or resize

      // Commit.
      for (std::size_t e = 0; e < work.size() && !failure; ++e) {
        if (!work[e].active)
          continue;
        env_slot& s = slots[e];
        env_work& w = work[e];
        std::error_code ec;
        bool deferred = false;
        if (w.new_m.empty() && w.new_d.empty()) {
          if (s.deferred_ops.size() + s.wal_ops.size() <= opts.deferred_apply_bytes
              && may_defer(s)) {
            s.open = std::move(w.w); // committed later (applying behind the log)
            deferred = true;
          } else {
            ec = w.w.commit();
          }
        } else {
          // New handles: commit and publish with readers excluded, so no
          // reader begins a txn while LMDB updates its handle table, and a
          // reader only ever copies handles committed before its txn.
          std::unique_lock lock(s.env->mutex());
          ec = w.w.commit();
          if (!ec) {
            s.m.merge(w.new_m);
            s.d.merge(w.new_d);
            w.new_m.clear();
            w.new_d.clear();
          }
        }
        if (ec) {
          forget_new(s, w);
          failure = {e, ec};
          break;
        }
        for (auto i : w.jobs)
          outcomes[i] = staged[i];
        group_max = std::max(group_max, w.max_id);
        w.active = false;
        if (wal) {
          frame_parts.emplace_back(s.wal_ops);
          frame_bytes += s.wal_ops.size();
          s.dirty = true;
          if (deferred)
            s.deferred_ops += s.wal_ops;
          else
            s.deferred_ops.clear(); // committed with this group
        }
        if (opts.deferred_meta_sync) {
          s.unsynced = true;
          s.unsynced_group = group_seq;
        }
      }

      if (failure) {
        abort_all(work);
        auto [e, ec] = *failure;
        if (ec == lmdb_error(MDB_MAP_FULL))
          ec = slots[e].env->grow(); // ok: redo the pass with a bigger map
        if (ec)
          fail_env(e, ec);
        // The aborted txns may have held earlier, acknowledged groups: apply
        // them again now, also where this group failed (they fitted before
        // it). On failure they are kept and tried again before the next
        // group of their environment (staging), a read or a checkpoint.
        for (std::size_t x = 0; x < slots.size(); ++x)
          if (!slots[x].open && !slots[x].deferred_ops.empty())
            (void)reapply(x);
      }
    }
  }

  // -------------------------------------------------------------------------
  // query

  /// What one environment contributed to a page.
  struct env_scan {
    std::vector<stored_message> matches;
    bool exhausted = true;     ///< every entry in range was examined
    std::uint64_t covered = 0; ///< every entry with id <= this was examined
  };

  env_scan scan(const env_slot& s, const message_query& q, std::uint64_t lo, std::uint64_t hi,
                std::size_t limit, std::size_t budget) const {
    env_scan out;
    std::int64_t lo_day = retention::day_of(static_cast<std::int64_t>(lo));
    std::int64_t hi_day = retention::day_of(static_cast<std::int64_t>(hi));
    std::shared_lock lock(s.env->mutex());
    std::vector<MDB_dbi> dbis;
    for (auto it = s.m.lower_bound(lo_day); it != s.m.end() && it->first <= hi_day; ++it)
      dbis.push_back(it->second);
    if (dbis.empty())
      return out;
    // Begun after the handles were copied: all of them were committed before.
    auto [t, ec] = txn::begin(s.env->get(), true);
    if (ec)
      throw std::system_error(ec, "message store: read txn");
    auto start = be_key(q.system_id, lo);
    std::size_t examined = 0;
    for (MDB_dbi dbi : dbis) {
      cursor c(t, dbi);
      std::string_view k, v;
      for (bool ok = c.seek(view(start), k, v); ok; ok = c.next(k, v)) {
        if (k.size() != 16 || get_be64(k.data()) != q.system_id)
          break; // past this system in this bucket
        std::uint64_t id = get_be64(k.data() + 8);
        if (id > hi)
          return out; // exhausted: nothing further is in range
        if (out.matches.size() >= limit || examined >= budget) {
          out.exhausted = false; // another entry in range remains
          return out;
        }
        ++examined;
        out.covered = id;
        auto h = read_header(v);
        if (!h || (q.token_id && h->token_id != *q.token_id) || (q.level && h->level != *q.level)
            || (q.source && h->source != *q.source))
          continue;
        stored_message m;
        m.id = id;
        m.tenant_id = h->tenant_id;
        m.system_id = q.system_id;
        m.token_id = h->token_id;
        m.retention_days = h->retention_days;
        m.source = h->source;
        m.level = h->level;
        m.event_time_us = h->event_time_us;
        m.body.assign(v.substr(header_size));
        out.matches.push_back(std::move(m));
      }
    }
    return out;
  }

  message_page query(const message_query& q) const {
    message_page page;
    wait_applied();
    // Read the watermark before any read txn begins: everything up to it is
    // committed, so every txn begun afterwards sees all of it.
    const std::uint64_t wm = watermark.load(std::memory_order_acquire);
    if (q.after_id == std::numeric_limits<std::uint64_t>::max() || q.until_us <= 0)
      return page;
    std::uint64_t lo = std::max<std::uint64_t>(
      static_cast<std::uint64_t>(std::max<std::int64_t>(q.since_us, 0)), q.after_id + 1);
    std::uint64_t hi = std::min(static_cast<std::uint64_t>(q.until_us - 1), wm);
    if (lo > hi)
      return page;
    const std::size_t limit = std::max<std::size_t>(q.limit, 1);

    // Split the scan budget between the environments that have buckets in
    // range (a count taken now; it only sizes the shares).
    std::int64_t lo_day = retention::day_of(static_cast<std::int64_t>(lo));
    std::int64_t hi_day = retention::day_of(static_cast<std::int64_t>(hi));
    std::size_t busy = 0;
    for (const auto& s : slots) {
      std::shared_lock lock(s.env->mutex());
      auto it = s.m.lower_bound(lo_day);
      if (it != s.m.end() && it->first <= hi_day)
        ++busy;
    }
    const std::size_t share =
      std::max<std::size_t>(1, q.scan_budget / std::max<std::size_t>(busy, 1));

    std::vector<env_scan> scans;
    scans.reserve(slots.size());
    for (const auto& s : slots)
      scans.push_back(scan(s, q, lo, hi, limit, share));

    // Only ids up to the frontier are complete in every environment; the
    // cursor never passes a match that was not returned.
    std::uint64_t frontier = std::numeric_limits<std::uint64_t>::max();
    bool early = false;
    for (const auto& sc : scans)
      if (!sc.exhausted) {
        early = true;
        frontier = std::min(frontier, sc.covered);
      }
    for (auto& sc : scans)
      for (auto& m : sc.matches)
        if (m.id <= frontier)
          page.items.push_back(std::move(m));
    std::sort(page.items.begin(), page.items.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    if (page.items.size() > limit) {
      page.items.resize(limit);
      page.next_cursor = page.items.back().id;
    } else if (early) {
      page.next_cursor = page.items.empty() ? frontier : std::max(page.items.back().id, frontier);
    }
    return page;
  }

  // -------------------------------------------------------------------------
  // sweep

  sweep_result sweep(std::int64_t now_us) {
    sweep_result res;
    // A drop needs the write txn; the next sweep tries again.
    if (apply_deferred())
      return res;
    for (auto& s : slots) {
      std::vector<std::pair<char, std::int64_t>> drop;
      if (s.days != retention::never)
        for (const auto& [day, dbi] : s.m)
          if (retention::bucket_expired(day, s.days, now_us))
            drop.emplace_back('m', day);
      for (const auto& [day, dbi] : s.d)
        if (retention::bucket_older_than(day, opts.dedup_window_us, now_us))
          drop.emplace_back('d', day);
      if (drop.empty())
        continue;

      for (int tries = 0; tries < 64 && !drop.empty(); ++tries) {
        auto [t, ec] = txn::begin(s.env->get(), false);
        if (ec)
          break;
        // mdb_drop(del=1) closes the handle at once, inside the txn: no
        // reader may hold or be about to use it, hence the exclusive lock
        // until the txn has ended and the maps are updated.
        std::unique_lock lock(s.env->mutex());
        int rc = 0;
        for (const auto& [kind, day] : drop) {
          auto& bm = kind == 'm' ? s.m : s.d;
          if ((rc = mdb_drop(t.get(), bm.at(day), 1)) != 0)
            break;
        }
        if (rc == 0)
          rc = t.commit().value();
        t.abort();
        // Success or not, these handles are gone (some may be closed though
        // their databases survive). The buckets were due for deletion, so
        // hiding them from readers at once is correct either way.
        for (const auto& [kind, day] : drop) {
          auto& bm = kind == 'm' ? s.m : s.d;
          s.last_key.erase(bm.at(day));
          bm.erase(day);
        }
        lock.unlock();
        if (rc == 0) {
          for (const auto& [kind, day] : drop)
            ++(kind == 'm' ? res.message_buckets_dropped : res.dedup_buckets_dropped);
          break;
        }
        // Open the surviving ones again, then retry after growing a full map,
        // or leave them for the next sweep.
        if (reload(s) || rc != MDB_MAP_FULL || s.env->grow())
          break;
        std::erase_if(drop, [&](const auto& kd) {
          const auto& bm = kd.first == 'm' ? s.m : s.d;
          return !bm.contains(kd.second);
        });
      }
    }
    return res;
  }
};

// ---------------------------------------------------------------------------
// message_store

message_store::message_store(const message_store_options& opts)
    : impl_(std::make_unique<impl>(opts)) {}
message_store::~message_store() = default;

void message_store::commit_group(std::span<const write_job> jobs, std::int64_t now_us,
                                 std::span<job_outcome> outcomes) {
  impl_->commit_group(jobs, now_us, outcomes);
}

std::error_code message_store::sync_previous() { return impl_->sync_previous(); }

std::error_code message_store::sync() { return impl_->sync(); }

std::error_code message_store::probe() { return impl_->probe(); }

void message_store::submit_group(std::span<const write_job> jobs, std::int64_t now_us,
                                 std::span<job_outcome> outcomes) {
  if (!impl_->wal || impl_->lw_threads.empty() || groups_in_flight() >= impl_->lw_threads.size())
    throw std::logic_error("message store: submit_group without a free log writer");
  impl_->commit_group(jobs, now_us, outcomes, true);
}

std::size_t message_store::log_writes_in_flight() const noexcept {
  return std::max<std::size_t>(impl_->lw_threads.size(), 1);
}

std::size_t message_store::groups_in_flight() const noexcept {
  return static_cast<std::size_t>(impl_->fl_submitted - impl_->fl_reported);
}

void message_store::reap(const std::function<void(std::error_code)>& done, bool wait) {
  impl_->reap(done, wait);
}

void message_store::on_written(std::function<void()> written) {
  impl_->written = std::move(written);
}

bool message_store::durable_on_commit() const noexcept { return impl_->wal != nullptr; }

void message_store::checkpoint_if_due() {
  if (impl_->wal)
    impl_->maybe_checkpoint();
}

std::error_code message_store::apply_deferred() { return impl_->apply_deferred(); }

bool message_store::has_deferred() const noexcept { return impl_->has_deferred(); }

void message_store::on_apply_wanted(std::function<void()> wanted) {
  impl_->apply_wanted = std::move(wanted);
}

checkpoint_stats message_store::checkpoints() const { return impl_->ck_stats; }

const log_recovery& message_store::recovery() const noexcept { return impl_->recovered; }

std::uint64_t message_store::log_used_bytes() const noexcept {
  return impl_->log_used.load(std::memory_order_relaxed);
}

message_page message_store::query(const message_query& q) const { return impl_->query(q); }

sweep_result message_store::sweep(std::int64_t now_us) { return impl_->sweep(now_us); }

std::uint64_t message_store::watermark() const noexcept {
  return impl_->watermark.load(std::memory_order_acquire);
}

std::size_t message_store::map_size() const {
  std::size_t total = 0;
  for (const auto& s : impl_->slots)
    total += s.env->map_size();
  return total;
}

std::size_t message_store::map_size(int retention_days) const {
  auto i = retention::class_index(retention_days);
  return i ? impl_->slots[*i].env->map_size() : 0;
}

std::size_t message_store::used_bytes(int retention_days) const {
  auto i = retention::class_index(retention_days);
  return i ? impl_->slots[*i].env->used_bytes() : 0;
}

} // namespace sluice::store
