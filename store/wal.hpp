#pragma once

#include <sys/uio.h>

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
/// Threads: one writer calls append/reclaim; write_checkpoint may run on
/// another thread concurrently with append (they write disjoint bytes), never
/// two at a time.
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
  /// checkpoint, in order, and positions the log after the last one. Call
  /// once, after open, before any append. Without a checkpoint, nothing.
  std::error_code replay(const std::function<void(std::string_view)>& f);

  /// Appends one frame whose payload is `parts`, one after the other, in one
  /// write (with direct I/O from the log's own aligned buffer, else straight
  /// from the parts); it is durable when this returns without error.
  /// std::errc::no_buffer_space when it does not fit (see fits).
  std::error_code append(std::span<const std::string_view> parts);
  /// Appends one frame holding `payload`.
  std::error_code append(std::string_view payload) { return append({&payload, 1}); }

  /// Whether a frame of `payload_bytes` fits without overwriting anything at
  /// or after the last reclaimed position.
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
  bool direct() const noexcept { return dio_fd_ >= 0; }
  /// Bytes between the last reclaimed position and the head.
  std::size_t used() const noexcept { return static_cast<std::size_t>(head_ - tail_); }

private:
  /// Bytes a frame of `payload_bytes` takes in the ring (padding included).
  std::size_t stored_bytes(std::size_t payload_bytes) const noexcept;
  /// Where a frame taking `bytes` goes: at the head (aligned up with direct
  /// I/O), or at the next lap's start when it does not fit before the end.
  std::uint64_t placement(std::size_t bytes) const noexcept;
  /// Writes the frame in buf_ with direct I/O; on EINVAL switches to the
  /// page cache and writes it there.
  std::error_code write_direct(std::size_t bytes, std::uint64_t file_offset);

  struct free_deleter {
    void operator()(char* p) const noexcept;
  };

  int fd_ = -1;     ///< O_DSYNC through the page cache: records, reads, fallback
  int dio_fd_ = -1; ///< O_DSYNC | O_DIRECT: frames; -1 without direct I/O
  std::size_t capacity_ = 0;
  std::uint64_t head_ = 0;     ///< where the next frame goes (before placement)
  std::uint64_t tail_ = 0;     ///< first byte still needed
  std::uint64_t next_lsn_ = 1; ///< lsn of the next frame
  std::uint64_t seq_ = 0;      ///< seq of the last record written or found
  std::optional<wal_checkpoint> recovered_;
  std::vector<iovec> iov_; ///< append's write list, reused
  /// Direct I/O: the frame being written, aligned to direct_align; grows to
  /// the largest frame and stays.
  std::unique_ptr<char, free_deleter> buf_;
  std::size_t buf_bytes_ = 0;
};

} // namespace sluice::store
