#include "store/records.hpp"

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <limits>

#include "policy/hex.hpp"
#include "policy/json_writer.hpp"

namespace sluice::store {

// ---------------------------------------------------------------------------
// user_role

namespace {
constexpr std::array<std::string_view, 4> role_names = {"superuser", "admin", "member",
                                                        "viewer"};
} // namespace

std::string_view to_string(user_role r) noexcept {
  auto i = static_cast<std::size_t>(r);
  return i < role_names.size() ? role_names[i] : std::string_view{"unknown"};
}

std::optional<user_role> parse_user_role(std::string_view s) noexcept {
  for (std::size_t i = 0; i < role_names.size(); ++i)
    if (role_names[i] == s)
      return static_cast<user_role>(i);
  return std::nullopt;
}

namespace {

// ---------------------------------------------------------------------------
// helpers

std::string to_hex(const token_hash& h) {
  std::string out;
  hex::encode(h, out);
  return out;
}

/// One parser per thread: decoding happens on many threads (token lookups)
/// and a parser reuses its buffers between documents.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

/// Field readers: each returns false when the value has the wrong type, which
/// makes the whole record malformed (a wrong type is never silently defaulted).
bool read(simdjson::dom::element v, std::uint64_t& out) {
  return v.get_uint64().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, std::int64_t& out) {
  return v.get_int64().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, int& out) {
  std::int64_t x = 0;
  if (v.get_int64().get(x) != simdjson::SUCCESS || x < std::numeric_limits<int>::min() ||
      x > std::numeric_limits<int>::max())
    return false;
  out = static_cast<int>(x);
  return true;
}
bool read(simdjson::dom::element v, bool& out) {
  return v.get_bool().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS)
    return false;
  out.assign(s);
  return true;
}
bool read(simdjson::dom::element v, std::vector<std::string>& out) {
  simdjson::dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS)
    return false;
  out.clear();
  for (auto item : a) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS)
      return false;
    out.emplace_back(s);
  }
  return true;
}
/// Enumerations are stored by name; an unknown name is malformed (guessing a
/// default for, say, a token status would be unsafe).
template <class E, class Parse>
bool read_enum(simdjson::dom::element v, E& out, Parse parse) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS)
    return false;
  auto e = parse(s);
  if (!e)
    return false;
  out = *e;
  return true;
}

/// Calls `on_field(key, value)` for each member of an object element.
template <class F>
bool for_each_member(simdjson::dom::element v, F&& on_field) {
  simdjson::dom::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS)
    return false;
  for (auto field : obj)
    if (!on_field(field.key, field.value))
      return false;
  return true;
}

bool read(simdjson::dom::element v, std::uint32_t& out) {
  std::uint64_t x = 0;
  if (!read(v, x) || x > UINT32_MAX)
    return false;
  out = static_cast<std::uint32_t>(x);
  return true;
}

template <class T>
bool read_opt(simdjson::dom::element v, std::optional<T>& out) {
  T x{};
  if (!read(v, x))
    return false;
  out = x;
  return true;
}

bool read(simdjson::dom::element v, cap_overrides& o) {
  return for_each_member(v, [&](std::string_view k, simdjson::dom::element x) {
    bool ok = true;
    for_each_cap([&](const auto& c) {
      if (c.override_member && c.key == k)
        ok = read_opt(x, o.*c.override_member);
    });
    return ok;
  });
}

// Usage: totals by name; minutes as compact rows
// [minute, requests, messages, rejected, sampled, bytes].
bool empty(const usage_record& u) {
  const auto& t = u.totals;
  return u.minutes.empty() && t.requests == 0 && t.messages == 0 && t.duplicates == 0
         && t.bytes == 0 && t.sampled_requests == 0 && t.sampled_messages == 0
         && t.shadow_limited == 0 && t.rejected_total() == 0;
}

void write(json_writer& w, const usage_record& u) {
  // Zero counters are left out, like every default.
  auto& t = u.totals;
  auto number = [&](std::string_view k, std::uint64_t v) {
    if (v != 0)
      w.field(k, v);
  };
  w.begin_object().key("totals").begin_object();
  number("requests", t.requests);
  number("messages", t.messages);
  number("duplicates", t.duplicates);
  number("bytes", t.bytes);
  number("sampled_requests", t.sampled_requests);
  number("sampled_messages", t.sampled_messages);
  number("shadow_limited", t.shadow_limited);
  if (t.rejected_total() != 0) {
    w.key("rejected").begin_object();
    for (std::size_t i = 0; i < rejection_count; ++i)
      number(to_string(static_cast<rejection>(i)), t.rejected[i]);
    w.end_object();
  }
  w.end_object();
  if (!u.minutes.empty()) {
    w.key("minutes").begin_array();
    for (auto& m : u.minutes) {
      w.begin_array()
        .value(m.minute)
        .value(static_cast<std::uint64_t>(m.requests))
        .value(static_cast<std::uint64_t>(m.messages))
        .value(static_cast<std::uint64_t>(m.rejected))
        .value(static_cast<std::uint64_t>(m.sampled))
        .value(m.bytes)
        .end_array();
    }
    w.end_array();
  }
  w.end_object();
}

bool read(simdjson::dom::element v, usage_totals& t) {
  return for_each_member(v, [&](std::string_view k, simdjson::dom::element x) {
    if (k == "requests")
      return read(x, t.requests);
    if (k == "messages")
      return read(x, t.messages);
    if (k == "duplicates")
      return read(x, t.duplicates);
    if (k == "bytes")
      return read(x, t.bytes);
    if (k == "sampled_requests")
      return read(x, t.sampled_requests);
    if (k == "sampled_messages")
      return read(x, t.sampled_messages);
    if (k == "shadow_limited")
      return read(x, t.shadow_limited);
    if (k == "rejected")
      return for_each_member(x, [&](std::string_view reason, simdjson::dom::element n) {
        auto r = parse_rejection(reason);
        return !r || read(n, t.rejected[static_cast<std::size_t>(*r)]);
      });
    return true;
  });
}

bool read(simdjson::dom::element v, usage_minute& m) {
  simdjson::dom::array row;
  if (v.get_array().get(row) != simdjson::SUCCESS || row.size() != 6)
    return false;
  std::int64_t minute = 0;
  std::uint64_t bytes = 0;
  if (!read(row.at(0).value_unsafe(), minute) || !read(row.at(1).value_unsafe(), m.requests)
      || !read(row.at(2).value_unsafe(), m.messages) || !read(row.at(3).value_unsafe(), m.rejected)
      || !read(row.at(4).value_unsafe(), m.sampled) || !read(row.at(5).value_unsafe(), bytes))
    return false;
  m.minute = minute;
  m.bytes = bytes;
  return true;
}

bool read(simdjson::dom::element v, usage_record& u) {
  return for_each_member(v, [&](std::string_view k, simdjson::dom::element x) {
    if (k == "totals")
      return read(x, u.totals);
    if (k == "minutes") {
      simdjson::dom::array rows;
      if (x.get_array().get(rows) != simdjson::SUCCESS)
        return false;
      u.minutes.clear();
      for (auto row : rows) {
        usage_minute m;
        if (!read(row, m))
          return false;
        u.minutes.push_back(m);
      }
      return true;
    }
    return true;
  });
}

/// Parses `json` as an object and calls `on_field(key, value)` for every
/// member; `on_field` returns false for a malformed known field. Unknown keys
/// are the callback's business (it ignores them).
template <class F>
bool for_each_field(std::string_view json, F&& on_field) {
  simdjson::dom::element doc;
  if (thread_parser().parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS)
    return false;
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS)
    return false;
  for (auto field : obj)
    if (!on_field(field.key, field.value))
      return false;
  return true;
}

} // namespace

// ---------------------------------------------------------------------------
// encode

std::string encode(const tenant_record& r) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .field("id", r.id)
      .field("name", r.name)
      .field("tier", to_string(r.tier))
      .field("created_at_us", r.created_at_us)
      .key("overrides");
  write_json(w, r.overrides);
  w.end_object();
  return out;
}

std::string encode(const user_record& r) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .field("id", r.id)
      .field("tenant_id", r.tenant_id)
      .field("name", r.name)
      .field("email", r.email)
      .field("role", to_string(r.role))
      .field("active", r.active)
      .field("created_at_us", r.created_at_us)
      .end_object();
  return out;
}

std::string encode(const system_record& r) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .field("id", r.id)
      .field("tenant_id", r.tenant_id)
      .field("name", r.name)
      .field("description", r.description)
      .field("created_at_us", r.created_at_us);
  if (!empty(r.usage)) {
    w.key("usage");
    write(w, r.usage);
  }
  w.end_object();
  return out;
}

std::string encode(const token_record& r) {
  // Compact: a field at its default is left out (decode fills it back in).
  // A million tokens is a normal deployment; every byte here is a million.
  std::string out;
  json_writer w(out);
  auto text = [&](std::string_view k, const std::string& v) {
    if (!v.empty())
      w.field(k, v);
  };
  auto number = [&](std::string_view k, auto v) {
    if (v != 0)
      w.field(k, v);
  };
  w.begin_object()
      .field("id", r.id)
      .field("kind", to_string(r.kind))
      .field("tenant_id", r.tenant_id);
  number("system_id", r.system_id);
  number("user_id", r.user_id);
  w.field("name", r.name);
  text("description", r.description);
  w.field("hash", to_hex(r.hash)).field("hint", r.hint).key("scopes").begin_array();
  for (const auto& s : r.scopes)
    w.value(s);
  w.end_array()
      .field("status", to_string(r.status))
      .field("retention_days", r.retention_days)
      .field("created_at_us", r.created_at_us);
  text("created_by", r.created_by);
  number("expires_at_us", r.expires_at_us);
  number("revoked_at_us", r.revoked_at_us);
  text("revoke_reason", r.revoke_reason);
  if (r.rate_limit)
    w.field("rate_limit", r.rate_limit->to_string());
  if (r.rate_limit_shadow)
    w.field("rate_limit_shadow", true);
  text("security_reason", r.security_reason);
  number("security_changed_at_us", r.security_changed_at_us);
  number("last_used_at_us", r.last_used_at_us);
  text("last_ip", r.last_ip);
  if (!empty(r.usage)) {
    w.key("usage");
    write(w, r.usage);
  }
  w.end_object();
  return out;
}

// ---------------------------------------------------------------------------
// decode

std::optional<tenant_record> decode_tenant(std::string_view json) {
  tenant_record r;
  bool ok = for_each_field(json, [&](std::string_view k, simdjson::dom::element v) {
    if (k == "id")
      return read(v, r.id);
    if (k == "name")
      return read(v, r.name);
    if (k == "tier")
      return read_enum(v, r.tier, parse_tier);
    if (k == "created_at_us")
      return read(v, r.created_at_us);
    if (k == "overrides")
      return read(v, r.overrides);
    return true;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

std::optional<user_record> decode_user(std::string_view json) {
  user_record r;
  bool ok = for_each_field(json, [&](std::string_view k, simdjson::dom::element v) {
    if (k == "id")
      return read(v, r.id);
    if (k == "tenant_id")
      return read(v, r.tenant_id);
    if (k == "name")
      return read(v, r.name);
    if (k == "email")
      return read(v, r.email);
    if (k == "role")
      return read_enum(v, r.role, parse_user_role);
    if (k == "active")
      return read(v, r.active);
    if (k == "created_at_us")
      return read(v, r.created_at_us);
    return true;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

std::optional<system_record> decode_system(std::string_view json) {
  system_record r;
  bool ok = for_each_field(json, [&](std::string_view k, simdjson::dom::element v) {
    if (k == "id")
      return read(v, r.id);
    if (k == "tenant_id")
      return read(v, r.tenant_id);
    if (k == "name")
      return read(v, r.name);
    if (k == "description")
      return read(v, r.description);
    if (k == "created_at_us")
      return read(v, r.created_at_us);
    if (k == "usage")
      return read(v, r.usage);
    return true;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

std::optional<token_record> decode_token(std::string_view json) {
  token_record r;
  bool ok = for_each_field(json, [&](std::string_view k, simdjson::dom::element v) {
    if (k == "id")
      return read(v, r.id);
    if (k == "kind")
      return read_enum(v, r.kind, parse_token_kind);
    if (k == "tenant_id")
      return read(v, r.tenant_id);
    if (k == "system_id")
      return read(v, r.system_id);
    if (k == "user_id")
      return read(v, r.user_id);
    if (k == "name")
      return read(v, r.name);
    if (k == "description")
      return read(v, r.description);
    if (k == "hash") {
      std::string_view s;
      return v.get_string().get(s) == simdjson::SUCCESS && hex::decode(s, r.hash);
    }
    if (k == "hint")
      return read(v, r.hint);
    if (k == "scopes")
      return read(v, r.scopes);
    if (k == "status")
      return read_enum(v, r.status, parse_token_status);
    if (k == "retention_days")
      return read(v, r.retention_days);
    if (k == "created_at_us")
      return read(v, r.created_at_us);
    if (k == "created_by")
      return read(v, r.created_by);
    if (k == "expires_at_us")
      return read(v, r.expires_at_us);
    if (k == "revoked_at_us")
      return read(v, r.revoked_at_us);
    if (k == "revoke_reason")
      return read(v, r.revoke_reason);
    if (k == "last_used_at_us")
      return read(v, r.last_used_at_us);
    if (k == "last_ip")
      return read(v, r.last_ip);
    if (k == "rate_limit") {
      std::string_view text;
      if (v.get_string().get(text) != simdjson::SUCCESS)
        return false;
      if (text.empty())
        return true;
      r.rate_limit = parse_rate_limit(text);
      return r.rate_limit.has_value();
    }
    if (k == "rate_limit_shadow")
      return read(v, r.rate_limit_shadow);
    if (k == "security_reason")
      return read(v, r.security_reason);
    if (k == "security_changed_at_us")
      return read(v, r.security_changed_at_us);
    if (k == "usage")
      return read(v, r.usage);
    return true;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

} // namespace sluice::store
