#pragma once

#include <array>
#include <cstddef>
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

/// Constant-time equality of two hashes (`crypto_verify_32`).
bool hashes_equal(const token_hash& a, const token_hash& b) noexcept;

/// A fresh random pepper.
pepper generate_pepper();

/// The last secret hashed and its hash, for one thread. A client sends the
/// same token with every request, so most requests an I/O thread reads repeat
/// the secret of the one before; for those the hash (and the format check
/// that preceded it) need not be done again. It maps a secret to its hash
/// only, a pure function of the secret and the pepper: whether that hash
/// still names a live token is looked up every time.
///
/// `owner` tells apart the peppers in use: an entry remembered for one owner
/// is never found for another. Secrets are compared in constant time (only
/// their lengths, which are public, end a comparison early), so how long a
/// lookup takes tells nothing of how much of a presented secret matches the
/// remembered one. The remembered secret is wiped when replaced or dropped.
class secret_hash_memo {
public:
  /// Secrets up to this long are remembered; every well-formed one is
  /// shorter (policy/token_format.hpp), and a longer one is never found.
  static constexpr std::size_t max_secret_bytes = 64;

  secret_hash_memo() = default;
  secret_hash_memo(const secret_hash_memo&) = delete;
  secret_hash_memo& operator=(const secret_hash_memo&) = delete;
  ~secret_hash_memo();

  /// The hash remembered for exactly `secret` under `owner`, or null.
  const token_hash* find(std::uint64_t owner, std::string_view secret) const noexcept;
  /// Remembers `hash` as `secret`'s under `owner`, replacing what was there.
  void remember(std::uint64_t owner, std::string_view secret, const token_hash& hash);

private:
  void wipe() noexcept;

  std::uint64_t owner_ = 0; ///< 0: nothing remembered
  /// The secret, zero-padded: compared whole, in one constant-time
  /// comparison of fixed size (`crypto_verify_64`).
  std::array<unsigned char, max_secret_bytes> secret_{};
  std::size_t secret_size_ = 0;
  token_hash hash_{};
};

} // namespace sluice
