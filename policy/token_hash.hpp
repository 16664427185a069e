#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sluice {

/// The server pepper: the key of the secret hash. Created once at first start
/// (store/pepper_file.hpp keeps it in the data directory, mode 0600); losing it makes
/// every stored hash useless, which is the point when the data leaks without it.
struct pepper {
  std::array<std::uint8_t, 32> key{};
};

/// Keyed BLAKE2b-256 of a secret. Only this is ever stored; lookups are by it.
using token_hash = std::array<std::uint8_t, 32>;

/// Hashes `secret` with `p` (libsodium `crypto_generichash`, ~0.5 µs).
token_hash hash_secret(const pepper& p, std::string_view secret) noexcept;

/// Constant-time equality of two hashes (`sodium_memcmp`).
bool hashes_equal(const token_hash& a, const token_hash& b) noexcept;

/// A fresh random pepper.
pepper generate_pepper();

} // namespace sluice
