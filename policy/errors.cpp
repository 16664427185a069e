#include "policy/errors.hpp"

#include <array>

namespace sluice {

namespace {

struct code_info {
  std::string_view name;
  std::string_view message;
};

// Indexed by the enum's value; keep in the enum's order.
constexpr std::size_t code_count = static_cast<std::size_t>(errc::internal) + 1;
constexpr std::array<code_info, code_count> infos = {{
  {"ok", "ok"},
  {"invalid_token", "the API token is missing, malformed or unknown"},
  {"token_revoked", "the API token has been revoked"},
  {"token_expired", "the API token has expired"},
  {"token_disabled", "the API token is disabled"},
  {"token_pending", "the API token is waiting for approval"},
  {"user_inactive", "the user owning this token is deactivated"},
  {"insufficient_scope", "the token does not allow this operation"},
  {"forbidden", "this caller may not do this"},
  {"ip_not_allowed", "the client address is not in the token's allowlist"},
  {"outside_allowed_hours", "the token may not be used at this time"},
  {"malformed_json", "the request body is not valid JSON"},
  {"invalid_message", "the request contains invalid messages"},
  {"invalid_argument", "the request has an invalid field"},
  {"retention_not_allowed", "this retention value is not allowed"},
  {"not_found", "not found"},
  {"method_not_allowed", "method not allowed on this resource"},
  {"message_too_large", "a message is larger than the tier's inline cap"},
  {"request_too_large", "the request body is larger than allowed"},
  {"uri_too_long", "the request line is longer than allowed"},
  {"header_too_large", "the request header is larger than allowed"},
  {"batch_too_large", "the request holds more messages than allowed"},
  {"unsupported_media_type", "unsupported content type"},
  {"token_limit_reached", "the system has as many tokens as its tier allows"},
  {"conflict", "the resource's state does not allow this change"},
  {"rate_limited", "rate limit exceeded"},
  {"too_many_streams", "too many live streams are open; retry later"},
  {"storage_busy", "storage is busy; retry later"},
  {"storage_full", "storage is full"},
  {"internal", "internal error"},
}};
// A missing row would shift every later name: the last one must line up.
static_assert(infos[code_count - 1].name == "internal");
static_assert(infos[static_cast<std::size_t>(errc::rate_limited)].name == "rate_limited");

const code_info& info(errc e) noexcept {
  auto i = static_cast<std::size_t>(e);
  return i < code_count ? infos[i] : infos[code_count - 1];
}

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "sluice"; }
  std::string message(int ev) const override {
    return std::string{info(static_cast<errc>(ev)).message};
  }
};

} // namespace

const std::error_category& sluice_category() noexcept {
  static const category instance;
  return instance;
}

std::string_view code_name(errc e) noexcept { return info(e).name; }

problem make_problem(errc code) { return problem{code, std::string{info(code).message}, {}, 0}; }

problem make_problem(errc code, std::string message) {
  return problem{code, std::move(message), {}, 0};
}

} // namespace sluice
