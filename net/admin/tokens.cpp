#include "net/admin/tokens.hpp"

#include <limits>

namespace sluice::net {

namespace {

/// A retention in days; a value out of int's range is kept as 0, which no
/// tier allows, so it is refused like any other bad value.
std::optional<int> as_days(const std::optional<std::int64_t>& v) {
  if (!v)
    return std::nullopt;
  if (*v < std::numeric_limits<int>::min() || *v > std::numeric_limits<int>::max())
    return 0;
  return static_cast<int>(*v);
}

/// The fields of a mint body (one token or a bulk mint).
problem read_mint(const admin_input& in, mint_token_req& out) {
  std::optional<std::string> name, description, kind;
  std::optional<std::int64_t> retention;
  std::optional<std::vector<std::string>> scopes;
  for (auto p : {in.json.text("name", name, true, max_name_bytes),
                 in.json.text("description", description, false, max_description_bytes, true),
                 in.json.text("kind", kind, false, 16),
                 in.json.integer("retention_days", retention, false),
                 in.json.strings("scopes", scopes), read_security(in.json, out.security),
                 read_expiry(in.json, in.now_us, out.expires_at_us)})
    if (p)
      return p;
  if (kind && *kind != "ingest")
    return make_problem(errc::invalid_argument,
                        *kind == "webhook"
                          ? "webhook tokens are not available yet; mint an ingest token"
                          : "\"kind\" of a system token must be \"ingest\"");
  if (scopes && (scopes->size() != 1 || scopes->front() != "ingest"))
    return make_problem(errc::invalid_argument,
                        "an ingest token holds the \"ingest\" scope and no other");
  out.name = std::move(*name);
  out.description = description.value_or("");
  out.retention_days = as_days(retention);
  return {};
}

} // namespace

problem decode(const admin_input& in, mint_token_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description", "kind", "retention_days", "scopes",
                                      "expires_in", "expires_at", "security"}))
    return p;
  return read_mint(in, out);
}

problem decode(const admin_input& in, mint_tokens_req& out) {
  if (auto p = in.json.open(in.body, {"count", "name", "description", "retention_days",
                                      "expires_in", "expires_at", "security"}))
    return p;
  std::optional<std::int64_t> count;
  if (auto p = in.json.integer("count", count, true, 1, max_bulk_mint))
    return p;
  out.count = static_cast<std::uint32_t>(*count);
  return read_mint(in, out);
}

problem decode(const admin_input& in, list_system_tokens_req& out) {
  return read_page(in, out.page, id_kind::token);
}

problem decode(const admin_input&, get_token_req&) {
  return {};
}

problem decode(const admin_input& in, patch_token_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description", "retention_days"}))
    return p;
  std::optional<std::int64_t> retention;
  for (auto p : {in.json.text("name", out.name, false, max_name_bytes),
                 in.json.text("description", out.description, false, max_description_bytes, true),
                 in.json.integer("retention_days", retention, false)})
    if (p)
      return p;
  out.retention_days = as_days(retention);
  return {};
}

problem decode(const admin_input& in, revoke_token_req& out) {
  if (auto p = in.json.open(in.body, {"reason"}))
    return p;
  std::optional<std::string> reason;
  if (auto p = in.json.text("reason", reason, false, max_reason_bytes, true))
    return p;
  out.reason = reason.value_or("");
  return {};
}

problem decode(const admin_input& in, set_security_req& out) {
  // PUT: the body is the whole of the settings; what it leaves out is unset.
  // (IP allowlists and time windows are not enforced yet, so they are refused
  // as unknown fields rather than accepted and ignored.)
  if (auto p = in.json.open(in.body, {"rate_limit", "rate_limit_shadow", "reason"}))
    return p;
  std::optional<std::string> text, reason;
  std::optional<bool> shadow;
  for (auto p : {in.json.text("rate_limit", text, false, 32),
                 in.json.boolean("rate_limit_shadow", shadow, false),
                 in.json.text("reason", reason, false, max_reason_bytes, true)})
    if (p)
      return p;
  if (text) {
    out.security.limit = parse_rate_limit(*text);
    if (!out.security.limit)
      return make_problem(errc::invalid_argument,
                          "\"rate_limit\" must look like 1000/hour (N/second, N/minute, N/hour or "
                          "N/day)");
  }
  out.security.limit_shadow = shadow.value_or(false);
  out.reason = reason.value_or("");
  return {};
}

problem decode(const admin_input&, token_usage_req&) {
  return {};
}

} // namespace sluice::net
