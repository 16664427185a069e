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
// redact_secrets looks closer only where "al" starts a prefix: every one must.
static_assert([] {
  for (const auto& k : kinds)
    if (!k.prefix.starts_with("al"))
      return false;
  return true;
}());

bool is_word(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_base62(char c) noexcept { return is_word(c) && c != '_'; }

/// The length of the token prefix `s` starts with ("al_", "alw_", …), or 0.
std::size_t prefix_length(std::string_view s) noexcept {
  for (const auto& k : kinds)
    if (s.starts_with(k.prefix))
      return k.prefix.size();
  return 0;
}

/// The kind whose prefix `secret` starts with and whose length it has, or
/// null: the shape, which check_secret_format and has_secret_shape share. At
/// most one kind fits (no prefix is a prefix of another).
const kind_info* kind_of_shape(std::string_view secret) noexcept {
  for (const auto& k : kinds)
    if (secret.size() == k.prefix.size() + entropy_chars + checksum_chars
        && secret.starts_with(k.prefix))
      return &k;
  return nullptr;
}

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
  const kind_info* k = kind_of_shape(secret);
  if (k == nullptr)
    return std::nullopt;
  auto body = secret.substr(0, secret.size() - checksum_chars);
  for (auto c : body.substr(k->prefix.size()))
    if (!base62::is_digit(c))
      return std::nullopt;
  auto sum = base62::decode(secret.substr(body.size()));
  if (!sum || *sum != crc32_of(body))
    return std::nullopt;
  return k->kind;
}

bool has_secret_shape(std::string_view secret) noexcept { return kind_of_shape(secret) != nullptr; }

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

std::string redact_secrets(std::string_view s) {
  std::string out;
  redact_secrets(s, out);
  return out;
}

namespace {

/// redact_secrets, and with `bare_prefixes` false echo_without_secrets.
void redact(std::string_view s, std::string& out, bool bare_prefixes) {
  // Copies runs of clean text at once; s[copied, i) is still to be copied.
  out.reserve(out.size() + s.size());
  std::size_t i = 0, copied = 0;
  auto replace = [&](std::size_t from, std::size_t to) {
    out.append(s.substr(copied, from - copied));
    out.append(redacted_secret);
    copied = to;
  };
  // Every prefix starts with "al" (checked above): nothing else is worth a
  // closer look.
  auto may_start = [&](std::size_t j, std::size_t end) {
    return j + 1 < end && s[j] == 'a' && s[j + 1] == 'l';
  };
  while (i < s.size()) {
    if (!is_word(s[i])) {
      ++i;
      continue;
    }
    auto end = i; // the word is s[i, end)
    while (end < s.size() && is_word(s[end]))
      ++end;
    if (bare_prefixes && may_start(i, end) && prefix_length(s.substr(i, end - i)) != 0) {
      replace(i, end);
    } else {
      // A prefix followed by enough base62 characters (inside the word, or
      // starting it when bare prefixes stay).
      for (auto j = bare_prefixes ? i + 1 : i; j < end; ++j) {
        if (!may_start(j, end))
          continue;
        auto p = prefix_length(s.substr(j, end - j));
        if (p == 0)
          continue;
        auto k = j + p;
        while (k < end && is_base62(s[k]))
          ++k;
        if (k - (j + p) >= min_embedded_secret_chars) {
          replace(j, k);
          j = k - 1;
        }
      }
    }
    i = end;
  }
  out.append(s.substr(copied));
}

} // namespace

void redact_secrets(std::string_view s, std::string& out) { redact(s, out, true); }

std::string echo_without_secrets(std::string_view s) {
  std::string out;
  redact(s, out, false);
  return out;
}

} // namespace sluice
