#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

/// The four token kinds (docs/tokens.md), told apart by their prefix.
enum class token_kind : std::uint8_t {
  ingest,  ///< `al_`: ingest port, bound to one system
  webhook, ///< `alw_`: webhook path, bound to one system
  service, ///< `als_`: admin port, within its scopes, bound to one tenant
  user,    ///< `alu_`: admin port, with its user's role
};

/// The secret prefix of a kind, e.g. "al_".
std::string_view token_prefix(token_kind k) noexcept;

/// The kind's name in the API ("ingest", "webhook", "service", "user").
std::string_view to_string(token_kind k) noexcept;
std::optional<token_kind> parse_token_kind(std::string_view s) noexcept;

/// Shape of a secret: prefix + `entropy_chars` base62 characters (>= 256 bits)
/// + `checksum_chars` base62 characters of the CRC-32 of everything before them.
inline constexpr std::size_t entropy_chars = 43;
inline constexpr std::size_t checksum_chars = 6;

/// Makes a new secret of kind `k` from libsodium's randomness.
std::string generate_secret(token_kind k);

/// Checks prefix, length, alphabet and checksum; no lookup happens here. A
/// secret that fails is refused as `invalid_token` without touching storage.
std::optional<token_kind> check_secret_format(std::string_view secret) noexcept;

/// The cheap part of check_secret_format: a kind's prefix and the length
/// that goes with it, nothing about the characters after the prefix. What
/// passes is at most 53 bytes, so hashing it costs a bounded amount; the
/// full check must still come before any lookup in storage.
bool has_secret_shape(std::string_view secret) noexcept;

/// True when `s` starts with a token prefix (al_, alw_, als_, alu_): a
/// secret, or a piece of one, that must not be echoed or logged.
bool looks_like_secret(std::string_view s) noexcept;

/// What replaces a secret in text that is echoed or logged.
inline constexpr std::string_view redacted_secret = "{token}";

/// The one redaction rule: `s` with anything shaped like a token secret
/// replaced by "{token}". Shaped like one: a word (a run of [A-Za-z0-9_])
/// that looks_like_secret, and, inside a longer word, a token prefix followed
/// by `min_embedded_secret_chars` or more base62 characters (a secret glued
/// to other text, e.g. percent-encoded after "%2F"). The logger applies it to
/// everything it writes; errors that echo a path apply it too.
std::string redact_secrets(std::string_view s);
void redact_secrets(std::string_view s, std::string& out);
inline constexpr std::size_t min_embedded_secret_chars = 16;

/// The rule for text shown to a client (error messages, which quote the
/// request): a token prefix followed by `min_embedded_secret_chars` or more
/// base62 characters, wherever it stands, is replaced by "{token}". Unlike
/// redact_secrets, a bare prefix ("al_") or a hint ("al_…x9Qa") stays:
/// messages name them, and neither is a credential.
std::string echo_without_secrets(std::string_view s);

/// What lists show instead of the secret: the prefix and the last 4 characters,
/// e.g. "al_…x9Qa".
std::string display_hint(std::string_view secret);

} // namespace sluice
