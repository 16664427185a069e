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
      .end_object();
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
      .field("created_at_us", r.created_at_us)
      .end_object();
  return out;
}

std::string encode(const token_record& r) {
  std::string out;
  json_writer w(out);
  w.begin_object()
      .field("id", r.id)
      .field("kind", to_string(r.kind))
      .field("tenant_id", r.tenant_id)
      .field("system_id", r.system_id)
      .field("user_id", r.user_id)
      .field("name", r.name)
      .field("description", r.description)
      .field("hash", to_hex(r.hash))
      .field("hint", r.hint)
      .key("scopes")
      .begin_array();
  for (const auto& s : r.scopes)
    w.value(s);
  w.end_array()
      .field("status", to_string(r.status))
      .field("retention_days", r.retention_days)
      .field("created_at_us", r.created_at_us)
      .field("created_by", r.created_by)
      .field("expires_at_us", r.expires_at_us)
      .field("revoked_at_us", r.revoked_at_us)
      .field("revoke_reason", r.revoke_reason)
      .field("last_used_at_us", r.last_used_at_us)
      .field("last_ip", r.last_ip)
      .field("requests", r.requests)
      .field("messages", r.messages)
      .end_object();
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
    if (k == "requests")
      return read(v, r.requests);
    if (k == "messages")
      return read(v, r.messages);
    return true;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

} // namespace sluice::store
