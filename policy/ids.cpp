#include "policy/ids.hpp"

#include <sodium.h>

#include <array>

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
  return id == 0 ? 1 : id;
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
