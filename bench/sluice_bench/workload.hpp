#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::bench {

/// What a token is for in the mixed scenario, and so which answers it expects.
enum class token_class : std::uint8_t {
  normal,  ///< expects 202
  limited, ///< minted with a low rate limit: 202 or 429
  revoked, ///< revoked at setup: 401
  invalid, ///< well-formed but never minted: 401
};
inline constexpr std::size_t token_class_count = 4;

std::string_view to_string(token_class c) noexcept;
std::optional<token_class> parse_token_class(std::string_view s) noexcept;

/// One ingest token the load uses.
struct bench_token {
  std::string id;           ///< tok_… (empty for invalid ones)
  std::string secret;       ///< al_…
  std::uint32_t system = 0; ///< index into token_set::system_ids
  token_class cls = token_class::normal;
};

/// The tokens of a run and the systems they write to.
struct token_set {
  std::vector<std::string> system_ids;
  /// Minted (or loaded) tokens, then the invalid ones of the mixed scenario.
  std::vector<bench_token> tokens;
  /// tokens[0, minted) are real tokens; tokens[minted, size) are invalid.
  std::size_t minted = 0;
};

// -- message sequence numbers -------------------------------------------------
//
// Each message carries "bseq":"<run>-c<conn>-r<req>-m<msg>" with fixed-width
// decimal fields, so the client patches the digits of a request in place and
// the checker maps a read-back message to one 64-bit key. The run id keeps
// messages of earlier runs on the same systems apart.

inline constexpr std::size_t run_id_chars = 8;
inline constexpr std::size_t conn_digits = 6;
inline constexpr std::size_t req_digits = 10;
inline constexpr std::size_t msg_digits = 5;
inline constexpr unsigned msg_bits = 14;  ///< batch < 16384
inline constexpr unsigned req_bits = 32;  ///< requests per connection < 2^32
inline constexpr unsigned conn_bits = 18; ///< connections < 262144

/// The key of message `msg` of request `req` on connection `conn`.
constexpr std::uint64_t seq_key(std::uint32_t conn, std::uint32_t req, std::uint32_t msg) noexcept {
  return (std::uint64_t{conn} << (req_bits + msg_bits)) | (std::uint64_t{req} << msg_bits) | msg;
}

/// Writes `v` as exactly `width` decimal digits (zero-padded) at `out`.
inline void write_fixed(char* out, std::uint64_t v, std::size_t width) noexcept {
  for (std::size_t i = width; i-- > 0;) {
    out[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
}

/// "<run>-c000001-r0000000000-m00000" for `key`.
std::string format_bseq(std::string_view run_id, std::uint64_t key);

/// The key of a bseq value of run `run_id`; nullopt for another run or a
/// value that is not a bseq at all.
std::optional<std::uint64_t> parse_bseq(std::string_view run_id, std::string_view bseq) noexcept;

} // namespace sluice::bench
