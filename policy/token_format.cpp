#include "policy/token_format.hpp"

#include <boost/crc.hpp>
#include <sodium.h>

#include <array>
#include <stdexcept>

#include "policy/base62.hpp"

namespace sluice {

namespace {

struct kind_info {
  token_kind kind;
  std::string_view prefix;
  std::string_view name;
};

// Longest prefix first is not needed: every prefix ends at its '_' and none is
// a prefix of another once the underscore is included.
constexpr std::array<kind_info, 4> kinds = {{
  {token_kind::ingest, "al_", "ingest"},
  {token_kind::webhook, "alw_", "webhook"},
  {token_kind::service, "als_", "service"},
  {token_kind::user, "alu_", "user"},
}};

std::uint32_t crc32_of(std::string_view s) noexcept {
  boost::crc_32_type crc;
  crc.process_bytes(s.data(), s.size());
  return crc.checksum();
}

} // namespace

std::string_view token_prefix(token_kind k) noexcept {
  return kinds[static_cast<std::size_t>(k)].prefix;
}

std::string_view to_string(token_kind k) noexcept {
  return kinds[static_cast<std::size_t>(k)].name;
}

std::optional<token_kind> parse_token_kind(std::string_view s) noexcept {
  for (auto& k : kinds)
    if (k.name == s)
      return k.kind;
  return std::nullopt;
}

std::string generate_secret(token_kind k) {
  if (sodium_init() < 0)
    throw std::runtime_error("libsodium failed to initialise");
  auto prefix = token_prefix(k);
  std::string out;
  out.reserve(prefix.size() + entropy_chars + checksum_chars);
  out.append(prefix);
  // Rejection sampling keeps every character uniform: 248 = 4 * 62, so bytes
  // below 248 map evenly onto the alphabet and the rest are drawn again.
  std::array<unsigned char, 64> pool{};
  std::size_t used = pool.size();
  while (out.size() < prefix.size() + entropy_chars) {
    if (used == pool.size()) {
      randombytes_buf(pool.data(), pool.size());
      used = 0;
    }
    auto b = pool[used++];
    if (b < 248)
      out.push_back(base62::alphabet[b % 62]);
  }
  sodium_memzero(pool.data(), pool.size());
  base62::encode_fixed(crc32_of(out), checksum_chars, out);
  return out;
}

std::optional<token_kind> check_secret_format(std::string_view secret) noexcept {
  for (auto& k : kinds) {
    if (secret.size() != k.prefix.size() + entropy_chars + checksum_chars
        || secret.substr(0, k.prefix.size()) != k.prefix)
      continue;
    auto body = secret.substr(0, secret.size() - checksum_chars);
    for (auto c : body.substr(k.prefix.size()))
      if (!base62::is_digit(c))
        return std::nullopt;
    auto sum = base62::decode(secret.substr(body.size()));
    if (!sum || *sum != crc32_of(body))
      return std::nullopt;
    return k.kind;
  }
  return std::nullopt;
}

bool looks_like_secret(std::string_view s) noexcept {
  for (const auto& k : kinds)
    if (s.starts_with(k.prefix))
      return true;
  return false;
}

std::string display_hint(std::string_view secret) {
  for (auto& k : kinds) {
    if (secret.substr(0, k.prefix.size()) == k.prefix && secret.size() >= k.prefix.size() + 4) {
      std::string out{k.prefix};
      out += "\u2026"; // an ellipsis: "al_…x9Qa"
      out.append(secret.substr(secret.size() - 4));
      return out;
    }
  }
  return "\u2026";
}

} // namespace sluice
