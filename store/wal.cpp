#include "store/wal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "store/byte_order.hpp"
#include "store/file_sync.hpp"

namespace sluice::store {

namespace {

using detail::get_le;
using detail::put_le;

constexpr std::uint32_t frame_magic = 0x46574c53;      // "SLWF"
constexpr std::uint32_t checkpoint_magic = 0x43574c53; // "SLWC"
constexpr std::uint32_t checkpoint_version = 1;
constexpr std::size_t record_header_bytes = 16;
constexpr std::size_t ring_align = 4096;

std::error_code last_error() noexcept { return {errno, std::system_category()}; }

constexpr std::uint64_t align_up(std::uint64_t x, std::uint64_t a) noexcept {
  return (x + a - 1) / a * a;
}
static_assert(ring_align % write_ahead_log::direct_align == 0
                && write_ahead_log::slot_bytes % write_ahead_log::direct_align == 0,
              "direct writes need the ring's start and size on direct_align");

/// CRC-32 (the zlib/gzip polynomial, reflected) of `n` bytes, continuing
/// from `seed`. ISA-L picks a carry-less-multiply version at run time: about
/// ten times zlib's rate, and a group's whole frame is checksummed on the
/// storage thread before its write.
std::uint32_t crc(std::uint32_t seed, const char* p, std::size_t n) noexcept {
  return crc32_gzip_refl(seed, reinterpret_cast<const unsigned char*>(p), n);
}

/// Reads exactly `n` bytes at `off`; false on a short read or an error.
bool read_at(int fd, char* buf, std::size_t n, std::uint64_t off) noexcept {
  while (n > 0) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(off));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    buf += r;
    n -= static_cast<std::size_t>(r);
    off += static_cast<std::uint64_t>(r);
  }
  return true;
}

std::error_code write_at(int fd, const iovec* iov, int count, std::uint64_t off) noexcept {
  std::size_t want = 0;
  for (int i = 0; i < count; ++i)
    want += iov[i].iov_len;
  // One pwritev carries the whole frame in the common case; a short write
  // (rare, e.g. a signal) is finished byte-exactly.
  std::vector<iovec> rest;
  const iovec* v = iov;
  int n = count;
  while (want > 0) {
    ssize_t w = ::pwritev(fd, v, n, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0)
      return last_error();
    if (w == 0)
      return std::make_error_code(std::errc::io_error);
    auto done = static_cast<std::size_t>(w);
    want -= done;
    off += done;
    if (want == 0)
      break;
    rest.assign(v, v + n);
    std::size_t i = 0;
    while (done >= rest[i].iov_len)
      done -= rest[i++].iov_len;
    rest.erase(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(i));
    rest[0].iov_base = static_cast<char*>(rest[0].iov_base) + done;
    rest[0].iov_len -= done;
    v = rest.data();
    n = static_cast<int>(rest.size());
  }
  return {};
}

std::optional<wal_checkpoint> parse_record(const std::string& slot) {
  if (slot.size() < record_header_bytes)
    return std::nullopt;
  const char* p = slot.data();
  if (get_le(p, 4) != checkpoint_magic || get_le(p + 4, 4) != checkpoint_version)
    return std::nullopt;
  auto len = get_le(p + 8, 4);
  if (len > slot.size() - record_header_bytes
      || crc(0, p + record_header_bytes, len) != get_le(p + 12, 4))
    return std::nullopt;
  const char* b = p + record_header_bytes;
  const char* end = b + len;
  auto take = [&](int bytes, std::uint64_t& out) {
    if (end - b < bytes)
      return false;
    out = get_le(b, bytes);
    b += bytes;
    return true;
  };
  auto take_str = [&](std::size_t n, std::string& out) {
    if (static_cast<std::size_t>(end - b) < n)
      return false;
    out.assign(b, n);
    b += n;
    return true;
  };
  wal_checkpoint c;
  std::uint64_t count = 0;
  if (!take(8, c.seq) || !take(8, c.position) || !take(8, c.lsn) || !take(4, count))
    return std::nullopt;
  for (std::uint64_t i = 0; i < count; ++i) {
    wal_checkpoint::env_state e;
    std::uint64_t name_len = 0, pages_len = 0;
    if (!take(2, name_len) || !take_str(name_len, e.name) || !take(8, e.txnid)
        || !take(4, pages_len) || !take_str(pages_len, e.meta_pages))
      return std::nullopt;
    c.envs.push_back(std::move(e));
  }
  return c;
}

void create_zeroed(const std::filesystem::path& path, std::size_t bytes) {
  auto tmp = path;
  tmp += ".new";
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    throw std::system_error(last_error(), "write-ahead log: create " + tmp.string());
  std::string zeros(1u << 20, '\0');
  std::uint64_t off = 0;
  std::error_code ec;
  while (!ec && off < bytes) {
    auto n = std::min<std::size_t>(zeros.size(), bytes - off);
    iovec v{zeros.data(), n};
    ec = write_at(fd, &v, 1, off);
    off += n;
  }
  if (!ec && ::fdatasync(fd) != 0)
    ec = last_error();
  ::close(fd);
  if (!ec && ::rename(tmp.c_str(), path.c_str()) != 0)
    ec = last_error();
  if (!ec) {
    // The rename itself must survive a power loss before anything relies on
    // the file being there.
    ec = sync_directory(path.parent_path());
  }
  if (ec)
    throw std::system_error(ec, "write-ahead log: create " + path.string());
}

} // namespace

void write_ahead_log::free_deleter::operator()(char* p) const noexcept { std::free(p); }

write_ahead_log::write_ahead_log(const std::filesystem::path& path, std::size_t capacity,
                                 bool direct) {
  capacity = std::max<std::size_t>(capacity / ring_align * ring_align, 1u << 20);
  std::filesystem::create_directories(path.parent_path());
  if (!std::filesystem::exists(path))
    create_zeroed(path, 2 * slot_bytes + capacity);
  fd_ = ::open(path.c_str(), O_RDWR | O_DSYNC | O_CLOEXEC);
  if (fd_ < 0)
    throw std::system_error(last_error(), "write-ahead log: open " + path.string());
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || static_cast<std::uint64_t>(st.st_size) < 2 * slot_bytes + ring_align
      || (static_cast<std::uint64_t>(st.st_size) - 2 * slot_bytes) % ring_align != 0) {
    ::close(fd_);
    // Its size is all there is to go by; say which, and what to do.
    throw std::system_error(
      std::make_error_code(std::errc::invalid_argument),
      "write-ahead log: " + path.string() + " is not a write-ahead log ("
        + std::to_string(st.st_size) + " bytes, not " + std::to_string(2 * slot_bytes)
        + " bytes of checkpoint records and whole " + std::to_string(ring_align)
        + "-byte blocks): after a clean stop it holds nothing needed, remove it; after a crash, "
          "restore the data directory from a backup");
  }
  capacity_ = static_cast<std::size_t>(st.st_size) - 2 * slot_bytes;

  std::string slot(slot_bytes, '\0');
  for (int i = 0; i < 2; ++i) {
    if (!read_at(fd_, slot.data(), slot.size(), static_cast<std::uint64_t>(i) * slot_bytes))
      continue;
    auto c = parse_record(slot);
    if (c && (!recovered_ || c->seq > recovered_->seq))
      recovered_ = std::move(c);
  }
  if (recovered_) {
    seq_ = recovered_->seq;
    head_ = tail_ = recovered_->position;
    next_lsn_ = recovered_->lsn;
  }
  // A second descriptor for the frames: records and reads stay on fd_ (a
  // record is not aligned, and both are rare). EINVAL: the file system has
  // no direct I/O (tmpfs before Linux 6.6); frames then go through fd_.
  if (direct)
    dio_fd_ = ::open(path.c_str(), O_RDWR | O_DSYNC | O_DIRECT | O_CLOEXEC);
}

write_ahead_log::~write_ahead_log() {
  if (dio_fd_ >= 0)
    ::close(dio_fd_);
  if (fd_ >= 0)
    ::close(fd_);
}

std::size_t write_ahead_log::stored_bytes(std::size_t payload_bytes) const noexcept {
  std::size_t frame = frame_header_bytes + payload_bytes;
  return direct() ? static_cast<std::size_t>(align_up(frame, direct_align)) : frame;
}

std::uint64_t write_ahead_log::placement(std::size_t bytes) const noexcept {
  // With direct I/O a frame starts on direct_align; the head is there
  // already unless the log was written through the page cache before.
  auto start = direct() ? align_up(head_, direct_align) : head_;
  auto off = start % capacity_;
  if (off + bytes > capacity_)
    return start + (capacity_ - off); // the next lap's start
  return start;
}

std::uint64_t write_ahead_log::needed_from() const noexcept {
  if (in_flight() == 0)
    return tail_;
  return std::min(tail_, bufs_[order_[finished_ % max_in_flight]].at);
}

bool write_ahead_log::fits(std::size_t payload_bytes) const noexcept {
  std::size_t frame = stored_bytes(payload_bytes);
  if (frame > capacity_)
    return false;
  return placement(frame) + frame - needed_from() <= capacity_;
}

std::error_code write_ahead_log::prepare(std::span<const std::string_view> parts, frame& out) {
  if (needs_record_.load())
    return std::make_error_code(std::errc::operation_not_permitted);
  if (in_flight() == max_in_flight)
    return std::make_error_code(std::errc::resource_unavailable_try_again);
  std::size_t payload = 0;
  for (auto p : parts)
    payload += p.size();
  if (!fits(payload))
    return std::make_error_code(std::errc::no_buffer_space);
  const std::size_t bytes = stored_bytes(payload);
  std::uint8_t slot = 0;
  while (busy_[slot]) // one is free: fewer than max_in_flight are in flight
    ++slot;
  auto& buf = bufs_[slot];
  if (buf.bytes < bytes) {
    // Grown in steps of 64 KiB: a group's frame size varies a little from
    // one group to the next.
    std::size_t want = static_cast<std::size_t>(align_up(bytes, 64u << 10));
    buf.data.reset(static_cast<char*>(std::aligned_alloc(direct_align, want)));
    if (!buf.data) {
      buf.bytes = 0;
      return std::make_error_code(std::errc::not_enough_memory);
    }
    buf.bytes = want;
  }
  char* h = buf.data.get();
  put_le(h, frame_magic, 4);
  put_le(h + 4, payload, 4);
  put_le(h + 8, next_lsn_, 8);
  std::memset(h + 16, 0, frame_header_bytes - 16);
  std::uint32_t c = crc(0, h + 4, 12);
  char* o = h + frame_header_bytes;
  for (auto p : parts) {
    if (p.empty())
      continue;
    c = crc(c, p.data(), p.size());
    std::memcpy(o, p.data(), p.size());
    o += p.size();
  }
  put_le(h + 16, c, 4);
  // Direct I/O writes whole blocks: zeros after the payload, never stale
  // bytes of an earlier frame.
  std::memset(o, 0, bytes - frame_header_bytes - payload);
  out.at = placement(bytes);
  out.bytes = bytes;
  out.data = h;
  buf.at = out.at;
  busy_[slot] = true;
  order_[prepared_ % max_in_flight] = slot;
  head_ = out.at + bytes;
  ++next_lsn_;
  ++prepared_;
  return {};
}

std::error_code write_ahead_log::write(const frame& f) const {
  const std::uint64_t file_offset = 2 * slot_bytes + f.at % capacity_;
  iovec v{const_cast<char*>(f.data), f.bytes};
  if (dio_fd_ >= 0 && !dio_refused_.load(std::memory_order_relaxed)) {
    auto ec = write_at(dio_fd_, &v, 1, file_offset);
    if (ec != std::errc::invalid_argument)
      return ec;
    // The open succeeded but the file system refuses the write itself
    // (alignment it wants and does not say). The frame is written through
    // the page cache, and so are the later ones; its padding is harmless
    // there.
    dio_refused_.store(true, std::memory_order_relaxed);
  }
  return write_at(fd_, &v, 1, file_offset);
}

void write_ahead_log::finish() noexcept {
  if (in_flight() == 0)
    return;
  busy_[order_[finished_ % max_in_flight]] = false;
  ++finished_;
}

std::error_code write_ahead_log::append(std::span<const std::string_view> parts) {
  frame f;
  if (auto ec = prepare(parts, f))
    return ec;
  auto ec = write(f);
  finish();
  if (ec) {
    // The failed frame keeps its place and lsn: a write that reports an
    // error may still have put the frame on disk whole, and a later frame
    // with its lsn (at the ring's start, say) would then be read after it
    // as a stale one, ending the replay before it. Frames go on only after
    // a checkpoint record of the position past it (as after a replay), so
    // replay never reads it, nor relies on what follows it being found.
    needs_record_.store(true);
  }
  return ec;
}

std::error_code write_ahead_log::replay(const std::function<void(std::string_view)>& f) {
  if (!recovered_)
    return {};
  std::uint64_t pos = recovered_->position;
  std::uint64_t lsn = recovered_->lsn;
  std::string payload;
  // The frame at `at`, when it is intact and the one expected.
  auto read_frame = [&](std::uint64_t at) {
    auto off = at % capacity_;
    if (capacity_ - off < frame_header_bytes)
      return false;
    char h[frame_header_bytes];
    if (!read_at(fd_, h, sizeof h, 2 * slot_bytes + off))
      return false;
    auto len = get_le(h + 4, 4);
    if (get_le(h, 4) != frame_magic || get_le(h + 8, 8) != lsn
        || len > capacity_ - off - frame_header_bytes)
      return false;
    payload.resize(len);
    if (!read_at(fd_, payload.data(), len, 2 * slot_bytes + off + frame_header_bytes))
      return false;
    return crc(crc(0, h + 4, 12), payload.data(), len) == get_le(h + 16, 4);
  };
  for (;;) {
    // The next frame is right after this one (written through the page
    // cache), at the next multiple of direct_align (direct I/O), or at the
    // ring's start (it did not fit before the end). Only the frame with the
    // expected lsn is taken: padding has no magic, and an older lap's frame
    // has an older lsn.
    std::uint64_t at = pos;
    bool found = read_frame(at);
    const auto aligned = align_up(pos, direct_align);
    if (!found && aligned != pos && aligned % capacity_ != 0) {
      at = aligned;
      found = read_frame(at);
    }
    if (!found && pos % capacity_ != 0) {
      at = pos + (capacity_ - pos % capacity_);
      found = read_frame(at);
    }
    if (!found)
      break;
    f(payload);
    pos = at + frame_header_bytes + payload.size();
    ++lsn;
  }
  head_ = direct() ? align_up(pos, direct_align) : pos;
  // Frames that were in flight when the log was last closed (a crash) may
  // be intact past the first bad one, with the lsns that come next here;
  // jumping past them makes the reader of the frames written from now on
  // take none of them for one (see the class comment). The first checkpoint
  // after the replay records the jump before any frame is written.
  next_lsn_ = lsn + max_in_flight;
  needs_record_.store(true);
  return {};
}

std::error_code write_ahead_log::write_checkpoint(wal_checkpoint& c) {
  c.seq = seq_ + 1;
  std::string r(record_header_bytes, '\0');
  auto put = [&](std::uint64_t x, int bytes) {
    char b[8];
    put_le(b, x, bytes);
    r.append(b, static_cast<std::size_t>(bytes));
  };
  put(c.seq, 8);
  put(c.position, 8);
  put(c.lsn, 8);
  put(c.envs.size(), 4);
  for (const auto& e : c.envs) {
    put(e.name.size(), 2);
    r += e.name;
    put(e.txnid, 8);
    put(e.meta_pages.size(), 4);
    r += e.meta_pages;
  }
  if (r.size() > slot_bytes)
    return std::make_error_code(std::errc::value_too_large);
  auto len = r.size() - record_header_bytes;
  put_le(r.data(), checkpoint_magic, 4);
  put_le(r.data() + 4, checkpoint_version, 4);
  put_le(r.data() + 8, len, 4);
  put_le(r.data() + 12, crc(0, r.data() + record_header_bytes, len), 4);
  iovec v{r.data(), r.size()};
  if (auto ec = write_at(fd_, &v, 1, (c.seq % 2) * slot_bytes))
    return ec;
  seq_ = c.seq;
  // A record of where frames go from now on (the writer's position, as the
  // message store records it after replaying).
  if (needs_record_.load() && c.position == head_ && c.lsn == next_lsn_)
    needs_record_.store(false);
  return {};
}

void write_ahead_log::reclaim(std::uint64_t position) noexcept {
  tail_ = std::max(tail_, std::min(position, head_));
}

} // namespace sluice::store
