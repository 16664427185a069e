#include "policy/ids.hpp"

#include <sodium.h>

#include <array>
#include <atomic>

#include "policy/base62.hpp"

namespace sluice {

namespace {

constexpr std::array<std::string_view, 7> prefixes = {
  "ten_", "usr_", "sys_", "tok_", "apr_", "evt_", "msg_",
};

// 11 base62 digits hold any 64-bit value (62^11 > 2^64).
constexpr std::size_t id_digits = 11;
constexpr unsigned random_bits = 22;

} // namespace

std::string_view id_prefix(id_kind k) noexcept { return prefixes[static_cast<std::size_t>(k)]; }

std::uint64_t new_id(std::int64_t now_ms) {
  static const int sodium_ready = sodium_init(); // idempotent, thread-safe
  (void)sodium_ready;
  std::uint32_t r = 0;
  randombytes_buf(&r, sizeof r);
  auto ms = static_cast<std::uint64_t>(now_ms) & ((1ull << (64 - random_bits)) - 1);
  auto id = (ms << random_bits) | (r & ((1u << random_bits) - 1));
  // 0 means "none" everywhere; it can only come up at the epoch's first ms.
  if (id == 0)
    id = 1;
  // Two ids of the same millisecond would otherwise sort by their random
  // bits, and a list "in creation order" would swap them. Each id is made
  // larger than the last one this process issued; after a restart the clock
  // has moved on. Shared by every thread, hence the compare-exchange.
  static std::atomic<std::uint64_t> last{0};
  auto prev = last.load(std::memory_order_relaxed);
  for (;;) {
    auto next = id > prev ? id : prev + 1;
    if (last.compare_exchange_weak(prev, next, std::memory_order_relaxed))
      return next;
  }
}

std::string format_id(id_kind k, std::uint64_t id) {
  std::string out{id_prefix(k)};
  base62::encode_fixed(id, id_digits, out);
  return out;
}

std::optional<std::uint64_t> parse_id(id_kind k, std::string_view text) noexcept {
  auto prefix = id_prefix(k);
  if (text.size() != prefix.size() + id_digits || text.substr(0, prefix.size()) != prefix)
    return std::nullopt;
  auto id = base62::decode(text.substr(prefix.size()));
  if (!id || *id == 0)
    return std::nullopt;
  return id;
}

} // namespace sluice
