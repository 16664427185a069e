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
  std::optional<bool> is_public;
  for (auto p :
       {in.json.text("name", name, true, max_name_bytes),
        in.json.text("description", description, false, max_description_bytes, true),
        in.json.text("kind", kind, false, 16), in.json.integer("retention_days", retention, false),
        in.json.strings("scopes", scopes), read_security(in.json, out.security),
        read_expiry(in.json, in.now_us, out.expires_at_us), read_reason(in.json, out.reason, false),
        in.json.boolean("public", is_public, false)})
    if (p)
      return p;
  out.is_public = is_public.value_or(false);
  if (kind && *kind != "ingest" && *kind != "webhook")
    return make_problem(errc::invalid_argument,
                        "\"kind\" of a system token must be \"ingest\" or \"webhook\"");
  out.kind = kind && *kind == "webhook" ? token_kind::webhook : token_kind::ingest;
  if (scopes && (scopes->size() != 1 || scopes->front() != "ingest"))
    return make_problem(errc::invalid_argument,
                        "an ingest or webhook token holds the \"ingest\" scope and no other");
  out.name = std::move(*name);
  out.description = description.value_or("");
  out.retention_days = as_days(retention);
  return {};
}

} // namespace

problem decode(const admin_input& in, mint_token_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description", "kind", "retention_days", "scopes",
                                      "expires_in", "expires_at", "reason", "public", "security"}))
    return p;
  return read_mint(in, out);
}

problem decode(const admin_input& in, mint_tokens_req& out) {
  if (auto p = in.json.open(in.body, {"count", "name", "description", "retention_days",
                                      "expires_in", "expires_at", "reason", "public", "security"}))
    return p;
  std::optional<std::int64_t> count;
  if (auto p = in.json.integer("count", count, true, 1, max_bulk_mint))
    return p;
  out.count = static_cast<std::uint32_t>(*count);
  return read_mint(in, out);
}

problem decode(const admin_input& in, mint_service_token_req& out) {
  if (auto p = in.json.open(in.body, {"name", "description", "kind", "scopes", "query_systems",
                                      "expires_in", "expires_at", "reason", "public", "security"}))
    return p;
  std::optional<std::string> name, description, kind;
  std::optional<std::vector<std::string>> scopes;
  std::optional<bool> is_public;
  for (auto p :
       {in.json.text("name", name, true, max_name_bytes),
        in.json.text("description", description, false, max_description_bytes, true),
        in.json.text("kind", kind, false, 16), in.json.strings("scopes", scopes),
        read_ids(in.json, "query_systems", id_kind::system, out.query_systems),
        read_expiry(in.json, in.now_us, out.expires_at_us), read_reason(in.json, out.reason, false),
        in.json.boolean("public", is_public, false), read_security(in.json, out.security)})
    if (p)
      return p;
  if (kind && *kind != "service")
    return make_problem(errc::invalid_argument,
                        "\"kind\" of a tenant's token must be \"service\" (ingest tokens are "
                        "minted on a system: POST /systems/{id}/tokens)");
  if (!scopes || scopes->empty())
    return make_problem(errc::invalid_argument, "\"scopes\" must list at least one scope");
  std::string bad;
  auto parsed = parse_scopes(*scopes, bad);
  if (!parsed)
    return make_problem(errc::invalid_argument,
                        "\"scopes\" has \"" + bad + "\", which is not a scope or is given twice");
  if (parsed->contains(scope::ingest))
    return make_problem(errc::invalid_argument,
                        "a service token cannot hold \"ingest\": ingest tokens are minted on a "
                        "system");
  out.scopes = *parsed;
  out.is_public = is_public.value_or(false);
  if (out.is_public && !allowed_for_public(out.scopes))
    return make_problem(errc::invalid_argument,
                        "a public token may hold only \"ingest\" and \"query\"");
  if (!out.query_systems.empty() && !out.scopes.effective().contains(scope::query))
    return make_problem(errc::invalid_argument,
                        "\"query_systems\" limits the \"query\" scope, which this token lacks");
  out.name = std::move(*name);
  out.description = description.value_or("");
  return {};
}

problem decode(const admin_input& in, list_service_tokens_req& out) {
  return read_page(in, out.page, id_kind::token);
}

problem decode(const admin_input& in, list_system_tokens_req& out) {
  return read_page(in, out.page, id_kind::token);
}

problem decode(const admin_input&, get_token_req&) { return {}; }

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

namespace {

template <class Request>
problem read_status_change(const admin_input& in, Request& out) {
  if (auto p = in.json.open(in.body, {"reason"}))
    return p;
  return read_reason(in.json, out.reason, true);
}

} // namespace

problem decode(const admin_input& in, disable_token_req& out) {
  return read_status_change(in, out);
}

problem decode(const admin_input& in, enable_token_req& out) { return read_status_change(in, out); }

problem decode(const admin_input& in, revoke_token_req& out) { return read_status_change(in, out); }

problem decode(const admin_input& in, set_security_req& out) {
  // PUT: the body is the whole of the settings; what it leaves out is unset.
  if (auto p = in.json.open(
        in.body, {"ip_allowlist", "rate_limit", "rate_limit_shadow", "time_restriction", "reason"}))
    return p;
  if (auto p = read_security_fields(in.json, out.security, ""))
    return p;
  return read_reason(in.json, out.reason, true);
}

problem decode(const admin_input& in, rotate_token_req& out) {
  if (auto p = in.json.open(in.body, {"grace_seconds", "reason"}))
    return p;
  std::optional<std::int64_t> grace;
  for (auto p : {in.json.integer("grace_seconds", grace, false, 0, max_grace_seconds),
                 read_reason(in.json, out.reason, false)})
    if (p)
      return p;
  out.grace_seconds = grace.value_or(0);
  return {};
}

problem decode(const admin_input& in, start_emergency_req& out) {
  if (auto p = in.json.open(in.body, {"duration_hours", "reason"}))
    return p;
  std::optional<std::int64_t> hours;
  for (auto p : {in.json.integer("duration_hours", hours, true, 1, 8),
                 read_reason(in.json, out.reason, true)})
    if (p)
      return p;
  out.duration_hours = static_cast<int>(*hours);
  return {};
}

problem decode(const admin_input& in, end_emergency_req& out) {
  if (auto p = in.json.open(in.body, {"reason"}))
    return p;
  return read_reason(in.json, out.reason, false);
}

problem decode(const admin_input& in, token_history_req& out) {
  return read_page(in, out.page, id_kind::event);
}

problem decode(const admin_input&, token_usage_req&) { return {}; }

} // namespace sluice::net
