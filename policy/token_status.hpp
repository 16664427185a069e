#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "policy/errors.hpp"

namespace sluice {

/// Lifecycle of a token (docs/tokens.md). `revoked` is final.
enum class token_status : std::uint8_t {
  pending_approval,
  active,
  disabled,
  revoked,
  expired,
};

std::string_view to_string(token_status s) noexcept;
std::optional<token_status> parse_token_status(std::string_view s) noexcept;

/// Whether a token in `status`, expiring at `expires_at_us` (0 = never), may be
/// used at `now_us`: errc::ok, or the 401 code naming why not. Callers use this
/// only for genuine secrets; anything else is plain `invalid_token`.
errc usable(token_status status, std::int64_t expires_at_us, std::int64_t now_us) noexcept;

} // namespace sluice
