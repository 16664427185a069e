#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace sluice {

/// Domain errors of Sluice: every refusal a client or an administrator can see.
/// Each layer reports failures as `std::error_code`s of this category (the store
/// adds LMDB's own category for internal faults); `net/error_table.cpp` is the
/// single place that maps them to HTTP statuses.
enum class errc : std::uint8_t {
  ok = 0,
  // Authentication (401): the caller is not who they claim to be.
  invalid_token,  ///< missing, malformed, unknown, or kind not accepted here
  token_revoked,  ///< genuine secret of a revoked token
  token_expired,  ///< genuine secret past its expiry
  token_disabled, ///< genuine secret of a disabled token
  token_pending,  ///< genuine secret still waiting for approval
  user_inactive,  ///< genuine personal token of a deactivated user
  // Authorisation (403).
  insufficient_scope, ///< the caller's role or scopes do not allow it
  forbidden,          ///< allowed in general, not to this caller (four eyes, own account)
  ip_not_allowed,
  outside_allowed_hours,
  // Request shape.
  malformed_json,         ///< 400: body is not JSON
  invalid_message,        ///< 400: a message (or more) fails validation
  invalid_argument,       ///< 400: an admin field is missing or wrong
  retention_not_allowed,  ///< 400: retention value not allowed for the tier
  not_found,              ///< 404
  method_not_allowed,     ///< 405
  message_too_large,      ///< 413: one message over the tier's inline cap
  request_too_large,      ///< 413: request body over the configured request cap
  uri_too_long,           ///< 414: request line over the header limit
  header_too_large,       ///< 431: request header block over its limit
  batch_too_large,        ///< 413: more messages in one request than allowed
  unsupported_media_type, ///< 415
  token_limit_reached,    ///< 409: tokens-per-system cap of the tier
  conflict,               ///< 409: state does not allow the change
  rate_limited,           ///< 429
  too_many_streams,       ///< 503: as many live streams open as the server allows
  // Server side.
  storage_busy, ///< 503: storage saturated or an actor was unavailable
  storage_full, ///< 507: disk full
  internal,     ///< 500
};

/// The category of `errc`; `message()` gives a default human sentence.
const std::error_category& sluice_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), sluice_category()};
}

/// The stable machine-readable name of a code, as it appears in
/// `{"error":{"code":"…"}}` (e.g. "invalid_token").
std::string_view code_name(errc e) noexcept;

/// A refusal with its context: what the client reads in the error body.
/// `details_json`, when not empty, is a JSON value (usually an array) placed
/// under `"details"`; `retry_after_s` > 0 becomes a `Retry-After` header.
struct problem {
  errc code = errc::ok;
  std::string message;
  std::string details_json;
  std::uint32_t retry_after_s = 0;

  explicit operator bool() const noexcept { return code != errc::ok; }
};

/// Builds a problem whose message is the category's default sentence.
problem make_problem(errc code);
problem make_problem(errc code, std::string message);

} // namespace sluice

template <>
struct std::is_error_code_enum<sluice::errc> : std::true_type {};
