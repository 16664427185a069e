#include "policy/token_hash.hpp"

#include <sodium.h>

#include <stdexcept>

namespace sluice {

namespace {

// sodium_init is idempotent and thread-safe; call it once before first use.
void ensure_sodium() {
  static const int rc = sodium_init();
  if (rc < 0)
    throw std::runtime_error("libsodium failed to initialise");
}

} // namespace

token_hash hash_secret(const pepper& p, std::string_view secret) noexcept {
  static_assert(crypto_generichash_BYTES == 32);
  static_assert(sizeof(p.key) >= crypto_generichash_KEYBYTES_MIN);
  token_hash out{};
  crypto_generichash(out.data(), out.size(), reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), p.key.data(), p.key.size());
  return out;
}

bool hashes_equal(const token_hash& a, const token_hash& b) noexcept {
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

secret_hash_memo::~secret_hash_memo() { wipe(); }

const token_hash* secret_hash_memo::find(std::uint64_t owner,
                                         std::string_view secret) const noexcept {
  if (owner_ == 0 || owner != owner_ || secret.size() != secret_.size())
    return nullptr;
  if (!secret.empty() && sodium_memcmp(secret.data(), secret_.data(), secret.size()) != 0)
    return nullptr;
  return &hash_;
}

void secret_hash_memo::remember(std::uint64_t owner, std::string_view secret,
                                const token_hash& hash) {
  wipe();
  secret_.assign(secret);
  hash_ = hash;
  owner_ = owner;
}

void secret_hash_memo::wipe() noexcept {
  if (!secret_.empty())
    sodium_memzero(secret_.data(), secret_.size());
  secret_.clear();
  sodium_memzero(hash_.data(), hash_.size());
  owner_ = 0;
}

pepper generate_pepper() {
  ensure_sodium();
  pepper p;
  randombytes_buf(p.key.data(), p.key.size());
  return p;
}

} // namespace sluice
