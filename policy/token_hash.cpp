#include "policy/token_hash.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>
#include <tuple>

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
  static_assert(std::tuple_size_v<token_hash> == crypto_verify_32_BYTES);
  return crypto_verify_32(a.data(), b.data()) == 0;
}

secret_hash_memo::~secret_hash_memo() { wipe(); }

const token_hash* secret_hash_memo::find(std::uint64_t owner,
                                         std::string_view secret) const noexcept {
  static_assert(max_secret_bytes == crypto_verify_64_BYTES);
  if (owner_ == 0 || owner != owner_ || secret.size() != secret_size_)
    return nullptr;
  // Padded like the remembered one, so the whole comparison is one of fixed
  // size; the copy is wiped after.
  std::array<unsigned char, max_secret_bytes> presented{};
  std::memcpy(presented.data(), secret.data(), secret.size());
  const bool same = crypto_verify_64(presented.data(), secret_.data()) == 0;
  sodium_memzero(presented.data(), presented.size());
  return same ? &hash_ : nullptr;
}

void secret_hash_memo::remember(std::uint64_t owner, std::string_view secret,
                                const token_hash& hash) {
  wipe();
  if (secret.size() > max_secret_bytes)
    return; // never well-formed: nothing to remember
  std::memcpy(secret_.data(), secret.data(), secret.size());
  secret_size_ = secret.size();
  hash_ = hash;
  owner_ = owner;
}

void secret_hash_memo::wipe() noexcept {
  sodium_memzero(secret_.data(), secret_.size());
  secret_size_ = 0;
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
