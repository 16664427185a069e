#pragma once

#include <sys/uio.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sluice::store {

/// What a checkpoint record says: every frame before `position` is in the
/// message environments as they stood at the named transactions, and those
/// transactions are on disk. `meta_pages` are what the message store needs
/// to put the environment back to that transaction (its two LMDB meta pages,
/// packed); opaque here.
struct wal_checkpoint {
  std::uint64_t seq = 0;      ///< increases by one per record written
  std::uint64_t position = 0; ///< logical byte position of the first frame not covered
  std::uint64_t lsn = 0;      ///< sequence number of that frame
  struct env_state {
    std::string name;        ///< the environment's directory name (r7, r30, …)
    std::uint64_t txnid = 0; ///< the LMDB transaction the meta pages describe
    std::string meta_pages;
  };
  std::vector<env_state> envs;
};

/// A write-ahead log: one preallocated file of fixed size, written with
/// O_DSYNC, so an append is on disk when it returns and costs one write and
/// one device flush (no file metadata changes: the file is written with
/// zeros once, at creation).
///
/// Frames are appended with direct I/O (O_DIRECT) where the file system
/// takes it: the frame goes from a buffer of the log's own to the device,
/// without a copy into the page cache and the page cache's writeback of it
/// (on ext4 in a virtual machine, a fifth less CPU per append and a shorter
/// wait). A direct write must start and end on the device's block
/// boundaries, so each frame then starts at a multiple of direct_align and
/// is padded with zeros to the next one; nothing acknowledged is ever
/// written over again. Where the file system refuses direct I/O (some do;
/// tmpfs did before Linux 6.6), frames are written through the page cache,
/// unpadded, as before. Either way the reader finds the next frame right
/// after the previous one or at the next multiple of direct_align, so a log
/// written one way replays when opened the other way.
///
/// Layout: two checkpoint slots of `slot_bytes` each (records alternate
/// between them, so a torn record write leaves the other one intact), then a
/// ring of `capacity` bytes holding frames. A frame never wraps: when it does
/// not fit before the ring's end, it goes to the ring's start. Frame:
///
///   offset  0  u32  magic
///   offset  4  u32  payload length
///   offset  8  u64  lsn (frame sequence number, +1 per frame, never reused)
///   offset 16  u32  CRC-32 of bytes 4..15 and the payload
///   offset 20  u32  reserved (0)
///   offset 24       payload
///   (direct I/O: zeros up to the next multiple of direct_align)
///
/// Positions are logical (they only grow); the byte at position p lives at
/// ring offset p % capacity. Reading after a crash starts at the checkpoint's
/// position and lsn and stops at the first frame that is torn, stale (an
/// older lsn from an earlier lap) or absent; a frame is looked for at the
/// ring's start when the rest of the ring cannot hold one.
///
/// Frames in flight: a frame may be reserved (prepare) before the frames
/// reserved earlier are written, and written on any thread, concurrently
/// with them and in any order (they are disjoint bytes). So after a crash an
/// intact frame may lie past one that is torn or absent, with an lsn the
/// next frame would otherwise get. Replay stops at the first bad frame, and
/// a frame is acknowledged only once every frame before it is durable, so
/// nothing acknowledged is past that point; and the lsns go on
/// max_in_flight past the last frame replayed, so such a frame is never
/// taken for a newer one (it has an older lsn than any frame written after
/// the restart).
///
/// Threads: one writer calls prepare/finish/append/reclaim; write() of a
/// prepared frame runs on any thread; write_checkpoint may run on another
/// thread concurrently with all of them (disjoint bytes), never two at a
/// time.
class write_ahead_log {
public:
  static constexpr std::size_t frame_header_bytes = 24;
  static constexpr std::size_t slot_bytes = 64u << 10;
  /// Where frames start, and what they are padded to, with direct I/O: a
  /// multiple of every common logical block size (512 B and 4 KiB), and of
  /// the ring's start and size.
  static constexpr std::size_t direct_align = 4096;

  /// Opens `path`, creating it (zero-filled, synced, with its directory) when
  /// absent. An existing file keeps its own ring size; `capacity` only sizes
  /// a new one. `direct`: append with direct I/O when the file system takes
  /// it (see direct()). Throws std::system_error on I/O failure.
  write_ahead_log(const std::filesystem::path& path, std::size_t capacity, bool direct = true);
  ~write_ahead_log();
  write_ahead_log(const write_ahead_log&) = delete;
  write_ahead_log& operator=(const write_ahead_log&) = delete;

  /// The newest intact checkpoint record found at open (nullopt: none yet).
  const std::optional<wal_checkpoint>& recovered() const noexcept { return recovered_; }

  /// Calls `f` with the payload of every frame after the recovered
  /// checkpoint, in order, and positions the log after the last one, with
  /// the next lsn max_in_flight further on. Call once, after open, before
  /// any append. Without a checkpoint, nothing. After it, frames are
  /// refused (std::errc::operation_not_permitted) until a checkpoint records
  /// the new position and lsn: without that record, the reader would look
  /// for the old lsns there.
  std::error_code replay(const std::function<void(std::string_view)>& f);

  /// Most frames prepared and not yet finished; also how far the lsns jump
  /// past the last frame replayed (see the class comment).
  static constexpr std::size_t max_in_flight = 16;

  /// A frame reserved by prepare(): its place in the ring and its bytes
  /// (header, payload, padding), in one of the log's buffers until finish().
  struct frame {
    std::uint64_t at = 0;  ///< logical position
    std::size_t bytes = 0; ///< bytes to write from `data`
    const char* data = nullptr;
  };

  /// Writer: reserves the next frame's place and lsn for a payload of
  /// `parts`, one after the other, and copies it into a buffer of the log's
  /// own (aligned for direct I/O), so the parts may be reused at once.
  /// std::errc::no_buffer_space when it does not fit (see fits);
  /// std::errc::resource_unavailable_try_again with max_in_flight frames
  /// prepared and not finished; std::errc::operation_not_permitted after a
  /// replay or a failed append, until a checkpoint of the current position
  /// and lsn is written.
  std::error_code prepare(std::span<const std::string_view> parts, frame& out);
  /// Any thread: writes a prepared frame; it is durable when this returns
  /// without error. A failed frame is not written again: the log holds a
  /// bad frame there, and replay stops at it (see the class comment).
  std::error_code write(const frame& f) const;
  /// Writer: the oldest prepared frame's write ended, either way; its buffer
  /// and its bytes in the ring may be reused once reclaimed. Frames are
  /// finished in the order they were prepared.
  void finish() noexcept;
  /// Frames prepared and not finished.
  std::size_t in_flight() const noexcept { return prepared_ - finished_; }

  /// Appends one frame whose payload is `parts` (prepare, write, finish), on
  /// the writer, with no other frame in flight; it is durable when this
  /// returns without error. When the write fails, the frame keeps its place
  /// and lsn (it may be on disk whole all the same), and no frame is
  /// prepared until a checkpoint records the position and lsn past it (as
  /// after a replay). std::errc::no_buffer_space when it does not fit (see
  /// fits).
  std::error_code append(std::span<const std::string_view> parts);
  /// Appends one frame holding `payload`.
  std::error_code append(std::string_view payload) { return append({&payload, 1}); }

  /// Whether a frame of `payload_bytes` fits without overwriting anything at
  /// or after the last reclaimed position, or any frame still in flight.
  bool fits(std::size_t payload_bytes) const noexcept;

  /// Writes a checkpoint record durably into the slot after the last one.
  /// The record's seq is set here.
  std::error_code write_checkpoint(wal_checkpoint& c);

  /// Frames before `position` are covered by a durable checkpoint: their
  /// bytes may be overwritten.
  void reclaim(std::uint64_t position) noexcept;

  std::uint64_t position() const noexcept { return head_; }
  std::uint64_t next_lsn() const noexcept { return next_lsn_; }
  std::size_t capacity() const noexcept { return capacity_; }
  /// Whether appends use direct I/O: asked for, and the file system took
  /// both the open and the writes (a refused write switches to the page
  /// cache for good, and is written that way).
  bool direct() const noexcept {
    return dio_fd_ >= 0 && !dio_refused_.load(std::memory_order_relaxed);
  }
  /// Bytes between the last reclaimed position and the head.
  std::size_t used() const noexcept { return static_cast<std::size_t>(head_ - tail_); }

private:
  /// Bytes a frame of `payload_bytes` takes in the ring (padding included).
  std::size_t stored_bytes(std::size_t payload_bytes) const noexcept;
  /// Where a frame taking `bytes` goes: at the head (aligned up with direct
  /// I/O), or at the next lap's start when it does not fit before the end.
  std::uint64_t placement(std::size_t bytes) const noexcept;
  /// The lowest position still needed: the last reclaimed one, or the
  /// oldest frame in flight when that is lower (a checkpoint may cover a
  /// frame whose write has not ended; its bytes are not reused before).
  std::uint64_t needed_from() const noexcept;

  struct free_deleter {
    void operator()(char* p) const noexcept;
  };
  /// One frame's buffer, aligned to direct_align; grows to the largest frame
  /// and stays.
  struct frame_buffer {
    std::unique_ptr<char, free_deleter> data;
    std::size_t bytes = 0;
    std::uint64_t at = 0; ///< the position of the frame it holds
  };

  int fd_ = -1;     ///< O_DSYNC through the page cache: records, reads, fallback
  int dio_fd_ = -1; ///< O_DSYNC | O_DIRECT: frames; -1 without direct I/O
  /// Set by the first write the file system refuses with direct I/O: frames
  /// go through fd_ from then on (dio_fd_ stays open: another write may be
  /// using it).
  mutable std::atomic<bool> dio_refused_{false};
  std::size_t capacity_ = 0;
  std::uint64_t head_ = 0;     ///< where the next frame goes (before placement)
  std::uint64_t tail_ = 0;     ///< first byte still needed (reclaim)
  std::uint64_t next_lsn_ = 1; ///< lsn of the next frame
  std::uint64_t seq_ = 0;      ///< seq of the last record written or found
  std::optional<wal_checkpoint> recovered_;
  /// Frame buffers. A frame takes the free one with the lowest index, so
  /// with n frames in flight at most n buffers ever grow (each to the
  /// largest frame it held). Frame number k (counting prepares) is in
  /// bufs_[order_[k % max_in_flight]] until finished.
  std::array<frame_buffer, max_in_flight> bufs_;
  std::array<std::uint8_t, max_in_flight> order_{};
  std::array<bool, max_in_flight> busy_{};
  std::uint64_t prepared_ = 0, finished_ = 0;
  /// Replay moved the lsns on, or an append failed: no frame before a
  /// checkpoint records the position and lsn. While set, nothing moves head_
  /// or next_lsn_, so write_checkpoint may compare them from its thread.
  std::atomic<bool> needs_record_{false};
};

} // namespace sluice::store
