#include "actors/views.hpp"

#include <type_traits>

#include "policy/field_json.hpp"
#include "policy/hex.hpp"
#include "policy/ids.hpp"
#include "policy/tiers.hpp"
#include "policy/time.hpp"

namespace sluice {

namespace {

// Values as the admin API shows them (view_as::value): as the store writes
// them (policy/field_json.hpp), but for the overloads below.
template <class T>
void write_shown(json_writer& w, const T& v) {
  write_field_value(w, v);
}
/// null when every moment is allowed.
void write_shown(json_writer& w, const time_restriction& t) {
  if (t.empty()) {
    w.null();
    return;
  }
  w.begin_object().key("hours");
  if (auto h = t.hours(); !h.empty())
    w.value(h);
  else
    w.null();
  write_shown(w.key("days"), t.days());
  w.end_object();
}
/// A record's usage summary (the full usage is GET …/usage).
void write_shown(json_writer& w, const store::usage_record& u) {
  w.begin_object()
    .field("requests", u.totals.requests)
    .field("messages", u.totals.messages)
    .field("rejected", u.totals.rejected_total())
    .end_object();
}
void write_shown(json_writer&, const token_hash&) = delete; // never shown

/// Writes the shown fields of `r` as members of the object being written,
/// as its description says: hidden ones left out, ids and times formatted
/// (null when unset), grouped fields inside their group's object. Audit
/// events leave out the usage fields (store::usage_field): they change with
/// every request, not with a state change.
template <class R>
void write_fields(json_writer& w, const R& r, bool for_audit = false) {
  std::string_view group;
  for_each_field<R>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    if (f.view == view_as::hidden || (f.shown_if && !f.shown_if(r))
        || (for_audit && store::usage_field(f.key)))
      return;
    if (f.group != group) {
      if (!group.empty())
        w.end_object();
      if (!f.group.empty())
        w.key(f.group).begin_object();
      group = f.group;
    }
    w.key(f.api_key());
    const auto& v = f.of(r);
    if constexpr (std::is_same_v<T, std::uint64_t>) {
      if (f.view == view_as::id) {
        if (v != 0)
          w.value(format_id(f.kind, v));
        else
          w.null();
        return;
      }
    }
    if constexpr (std::is_same_v<T, std::vector<std::uint64_t>>) {
      w.begin_array();
      for (auto id : v)
        w.value(format_id(f.kind, id));
      w.end_array();
      return;
    }
    if constexpr (std::is_same_v<T, std::int64_t>) {
      if (f.view == view_as::time) {
        if (v != 0)
          w.value(format_rfc3339_us(v));
        else
          w.null();
        return;
      }
    }
    if constexpr (std::is_same_v<T, std::string>) {
      if (f.view == view_as::text_or_null && v.empty()) {
        w.null();
        return;
      }
    }
    if constexpr (!std::is_same_v<T, token_hash> && !std::is_same_v<T, std::vector<std::uint64_t>>)
      write_shown(w, v);
  });
  if (!group.empty())
    w.end_object();
}

} // namespace

void write_tenant(json_writer& w, const store::tenant_record& t, const tier_caps& caps) {
  w.begin_object();
  write_fields(w, t);
  w.key("limits").begin_object();
  write_fields(w, caps);
  w.key("retention_days").begin_array();
  for (auto days : allowed_retentions(caps))
    w.value(days);
  w.end_array().end_object();
  w.end_object();
}

void write_system(json_writer& w, const store::system_record& s) {
  w.begin_object();
  write_fields(w, s);
  w.end_object();
}

void write_user(json_writer& w, const store::user_record& u) {
  w.begin_object();
  write_fields(w, u);
  w.end_object();
}

namespace {

/// A token as it is now: past its expiry it shows as expired, and a
/// break-glass window that ended by itself shows as none.
store::token_record as_now(const store::token_record& t) {
  auto shown = t;
  auto now = now_us();
  if (usable(t.status, t.expires_at_us, now) == errc::token_expired)
    shown.status = token_status::expired;
  if (t.emergency_until_us != 0 && t.emergency_until_us <= now) {
    shown.emergency_until_us = 0;
    shown.emergency_reason.clear();
    shown.emergency_by.clear();
  }
  return shown;
}

/// The risk a token carries: its scopes', or a personal token's nothing of
/// its own (it acts with its user's role).
void write_risk(json_writer& w, const store::token_record& t) {
  w.field("risk", to_string(t.scopes.risk()));
}

} // namespace

void write_token(json_writer& w, const store::token_record& t, const token_usage* live) {
  auto shown = as_now(t);
  if (live) {
    // The live actor's usage is newer than the stored one.
    shown.usage = live->usage;
    shown.last_used_at_us = live->last_used_at_us;
    shown.last_ip = live->last_ip;
  }
  w.begin_object();
  write_fields(w, shown);
  write_risk(w, shown);
  w.end_object();
}

void write_approval(json_writer& w, const store::approval_record& a) {
  w.begin_object();
  write_fields(w, a);
  w.end_object();
}

void write_event(json_writer& w, const store::audit_event& e) {
  std::string hex;
  w.begin_object()
    .field("id", format_id(id_kind::event, e.seq))
    .field("at", format_rfc3339_us(e.at_us));
  w.key("actor").begin_object().field("kind", e.actor_kind);
  w.key("user_id");
  e.actor_user_id ? w.value(format_id(id_kind::user, e.actor_user_id)) : w.null();
  w.key("token_id");
  e.actor_token_id ? w.value(format_id(id_kind::token, e.actor_token_id)) : w.null();
  w.end_object();
  w.key("client_ip");
  e.client_ip.empty() ? w.null() : w.value(e.client_ip);
  w.field("action", e.action);
  auto id = [&](std::string_view key, id_kind kind, std::uint64_t v) {
    w.key(key);
    v ? w.value(format_id(kind, v)) : w.null();
  };
  id("tenant_id", id_kind::tenant, e.tenant_id);
  id("system_id", id_kind::system, e.system_id);
  id("token_id", id_kind::token, e.token_id);
  id("user_id", id_kind::user, e.user_id);
  id("approval_id", id_kind::approval, e.approval_id);
  w.key("reason");
  e.reason.empty() ? w.null() : w.value(e.reason);
  w.key("before");
  e.before_json.empty() ? w.null() : w.raw(e.before_json);
  w.key("after");
  e.after_json.empty() ? w.null() : w.raw(e.after_json);
  hex::encode(e.hash, hex);
  w.field("hash", hex);
  hex.clear();
  hex::encode(e.prev_hash, hex);
  w.field("prev_hash", hex);
  w.end_object();
}

void write_principal(json_writer& w, const principal& p) {
  w.begin_object().field("kind", to_string(p.kind));
  w.key("token_id").value(format_id(id_kind::token, p.token_id));
  w.key("user_id");
  p.user_id ? w.value(format_id(id_kind::user, p.user_id)) : w.null();
  w.key("tenant_id");
  p.tenant_id ? w.value(format_id(id_kind::tenant, p.tenant_id)) : w.null();
  w.key("role");
  p.kind == token_kind::user ? w.value(to_string(p.role)) : w.null();
  w.field("superuser", p.superuser);
  w.key("scopes");
  write_shown(w, p.superuser ? scope_set{scope::admin}.effective() : p.scopes);
  w.field("risk", to_string(p.scopes.risk()));
  w.field("public", p.is_public);
  w.key("query_systems").begin_array();
  for (auto id : p.query_systems)
    w.value(format_id(id_kind::system, id));
  w.end_array();
  w.end_object();
}

namespace {

template <class R>
std::string audit_json(const R& r) {
  std::string out;
  json_writer w{out};
  w.begin_object();
  write_fields(w, r, true);
  w.end_object();
  return out;
}

} // namespace

std::string audit_view(const store::tenant_record& r) { return audit_json(r); }
std::string audit_view(const store::user_record& r) { return audit_json(r); }
std::string audit_view(const store::system_record& r) { return audit_json(r); }
std::string audit_view(const store::token_record& r) { return audit_json(r); }
std::string audit_view(const store::approval_record& r) { return audit_json(r); }

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
  w.field("timestamp",
          format_rfc3339_us(m.event_time_us != no_event_time ? m.event_time_us
                                                             : static_cast<std::int64_t>(m.id)));
  w.key("body").raw(m.body);
  w.end_object();
}

void write_usage(json_writer& w, const store::usage_record& u, std::int64_t now_us) {
  auto& t = u.totals;
  w.key("totals")
    .begin_object()
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
  for (auto& minute : m.last_hour(now_us)) {
    w.begin_object()
      .field("minute", format_rfc3339_us(minute.minute * us_per_minute))
      .field("requests", static_cast<std::uint64_t>(minute.requests))
      .field("messages", static_cast<std::uint64_t>(minute.messages))
      .field("bytes", minute.bytes)
      .field("rejected", static_cast<std::uint64_t>(minute.rejected))
      .field("sampled", static_cast<std::uint64_t>(minute.sampled))
      .key("rejected_by_reason")
      .begin_object();
    for (std::size_t i = 0; i < rejection_count; ++i)
      w.field(to_string(static_cast<rejection>(i)),
              static_cast<std::uint64_t>(minute.rejected_by[i]));
    // Refusals of minutes stored before reasons were counted per minute.
    w.field("unrecorded", static_cast<std::uint64_t>(minute.rejected_unrecorded()))
      .end_object()
      .end_object();
  }
  w.end_array();
}

} // namespace sluice
