#include "policy/token_status.hpp"

#include <array>

namespace sluice {

namespace {

constexpr std::array<std::string_view, 5> names = {
  "pending_approval", "active", "disabled", "revoked", "expired",
};

} // namespace

std::string_view to_string(token_status s) noexcept { return names[static_cast<std::size_t>(s)]; }

std::optional<token_status> parse_token_status(std::string_view s) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s)
      return static_cast<token_status>(i);
  return std::nullopt;
}

errc usable(token_status status, std::int64_t expires_at_us, std::int64_t now_us) noexcept {
  switch (status) {
    case token_status::revoked: return errc::token_revoked;
    case token_status::disabled: return errc::token_disabled;
    case token_status::pending_approval: return errc::token_pending;
    case token_status::expired: return errc::token_expired;
    case token_status::active: break;
  }
  if (expires_at_us != 0 && now_us >= expires_at_us)
    return errc::token_expired;
  return errc::ok;
}

} // namespace sluice
