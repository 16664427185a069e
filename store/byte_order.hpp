#pragma once

// Private to store/: little-endian fixed-width fields, as the message values'
// headers and the write-ahead log's frames and records lay them out.

#include <cstdint>

namespace sluice::store::detail {

/// Writes the low `bytes` (1 to 8) bytes of `x` to `out`, least significant first.
inline void put_le(char* out, std::uint64_t x, int bytes) noexcept {
  for (int i = 0; i < bytes; ++i, x >>= 8)
    out[i] = static_cast<char>(x & 0xffu);
}

/// Reads a `bytes`-byte (1 to 8) little-endian field.
inline std::uint64_t get_le(const char* in, int bytes) noexcept {
  std::uint64_t x = 0;
  for (int i = bytes - 1; i >= 0; --i)
    x = (x << 8) | static_cast<unsigned char>(in[i]);
  return x;
}

} // namespace sluice::store::detail
