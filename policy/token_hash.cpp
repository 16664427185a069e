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

pepper generate_pepper() {
  ensure_sodium();
  pepper p;
  randombytes_buf(p.key.data(), p.key.size());
  return p;
}

} // namespace sluice
