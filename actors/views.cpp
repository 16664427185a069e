#include "actors/views.hpp"

#include "policy/ids.hpp"
#include "policy/tiers.hpp"
#include "policy/time.hpp"

namespace sluice {

namespace {

void time_or_null(json_writer& w, std::string_view key, std::int64_t t_us) {
  w.key(key);
  if (t_us != 0)
    w.value(format_rfc3339_us(t_us));
  else
    w.null();
}

void text_or_null(json_writer& w, std::string_view key, const std::string& s) {
  w.key(key);
  if (!s.empty())
    w.value(s);
  else
    w.null();
}

} // namespace

void write_tenant(json_writer& w, const store::tenant_record& t, const tier_caps& caps) {
  w.begin_object()
    .field("id", format_id(id_kind::tenant, t.id))
    .field("name", t.name)
    .field("tier", to_string(t.tier))
    .field("created_at", format_rfc3339_us(t.created_at_us));
  w.key("overrides");
  write_json(w, t.overrides);
  w.key("limits").begin_object();
  write_fields(w, caps);
  w.key("retention_days").begin_array();
  for (auto days : allowed_retentions(caps))
    w.value(days);
  w.end_array().end_object();
  w.end_object();
}

void write_system(json_writer& w, const store::system_record& s) {
  w.begin_object()
    .field("id", format_id(id_kind::system, s.id))
    .field("tenant_id", format_id(id_kind::tenant, s.tenant_id))
    .field("name", s.name)
    .field("description", s.description)
    .field("created_at", format_rfc3339_us(s.created_at_us))
    .end_object();
}

void write_token(json_writer& w, const store::token_record& t, const token_usage* live) {
  w.begin_object()
    .field("id", format_id(id_kind::token, t.id))
    .field("kind", to_string(t.kind))
    .field("name", t.name)
    .field("description", t.description);
  w.key("tenant_id");
  if (t.tenant_id != 0)
    w.value(format_id(id_kind::tenant, t.tenant_id));
  else
    w.null();
  w.key("system_id");
  if (t.system_id != 0)
    w.value(format_id(id_kind::system, t.system_id));
  else
    w.null();
  w.field("hint", t.hint);
  w.key("scopes").begin_array();
  for (auto& s : t.scopes)
    w.value(s);
  w.end_array();
  w.field("status", to_string(t.status));
  if (t.kind == token_kind::ingest || t.kind == token_kind::webhook)
    w.field("retention_days", t.retention_days);
  w.field("created_at", format_rfc3339_us(t.created_at_us));
  text_or_null(w, "created_by", t.created_by);
  time_or_null(w, "expires_at", t.expires_at_us);
  time_or_null(w, "revoked_at", t.revoked_at_us);
  text_or_null(w, "revoke_reason", t.revoke_reason);
  w.key("security").begin_object();
  w.key("rate_limit");
  if (t.rate_limit)
    w.value(t.rate_limit->to_string());
  else
    w.null();
  w.field("rate_limit_shadow", t.rate_limit_shadow);
  text_or_null(w, "reason", t.security_reason);
  time_or_null(w, "changed_at", t.security_changed_at_us);
  w.end_object();
  auto last_used = live ? live->last_used_at_us : t.last_used_at_us;
  time_or_null(w, "last_used_at", last_used);
  text_or_null(w, "last_ip", live ? live->last_ip : t.last_ip);
  auto& totals = live ? live->usage.totals : t.usage.totals;
  w.key("usage").begin_object()
    .field("requests", totals.requests)
    .field("messages", totals.messages)
    .field("rejected", totals.rejected_total())
    .end_object();
  w.end_object();
}

void write_message(json_writer& w, const store::stored_message& m) {
  w.begin_object()
    .field("id", format_id(id_kind::message, m.id))
    .field("tenant_id", format_id(id_kind::tenant, m.tenant_id))
    .field("system_id", format_id(id_kind::system, m.system_id))
    .field("token_id", format_id(id_kind::token, m.token_id))
    .field("received_at", format_rfc3339_us(static_cast<std::int64_t>(m.id)))
    .field("retention_days", m.retention_days)
    .field("source", to_string(m.source));
  w.key("level");
  if (m.level != message_level::none)
    w.value(to_string(m.level));
  else
    w.null();
  w.field("timestamp", format_rfc3339_us(m.event_time_us != no_event_time
                                           ? m.event_time_us
                                           : static_cast<std::int64_t>(m.id)));
  w.key("body").raw(m.body);
  w.end_object();
}

void write_usage(json_writer& w, const store::usage_record& u, std::int64_t now_us) {
  auto& t = u.totals;
  w.key("totals").begin_object()
    .field("requests", t.requests)
    .field("messages", t.messages)
    .field("duplicates", t.duplicates)
    .field("bytes", t.bytes)
    .field("sampled_requests", t.sampled_requests)
    .field("sampled_messages", t.sampled_messages)
    .field("shadow_limited", t.shadow_limited);
  w.key("rejected").begin_object();
  for (std::size_t i = 0; i < rejection_count; ++i)
    w.field(to_string(static_cast<rejection>(i)), t.rejected[i]);
  w.end_object().end_object();
  // The stored minutes fill a full hour's grid, quiet minutes as zeros.
  usage_meter m;
  m.restore(t, u.minutes, now_us);
  w.key("series").begin_array();
  for (auto& minute : m.last_hour(now_us))
    w.begin_object()
      .field("minute", format_rfc3339_us(minute.minute * us_per_minute))
      .field("requests", static_cast<std::uint64_t>(minute.requests))
      .field("messages", static_cast<std::uint64_t>(minute.messages))
      .field("bytes", minute.bytes)
      .field("rejected", static_cast<std::uint64_t>(minute.rejected))
      .field("sampled", static_cast<std::uint64_t>(minute.sampled))
      .end_object();
  w.end_array();
}

} // namespace sluice
