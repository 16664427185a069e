#include "store/records.hpp"

#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <numeric>
#include <type_traits>

#include "policy/field_json.hpp"
#include "policy/hex.hpp"
#include "policy/json_writer.hpp"
#include "store/json_fields.hpp"

namespace sluice::store {

namespace {

// The plain readers (store/json_fields.hpp) join the overloads below.
using store::read;

// ---------------------------------------------------------------------------
// helpers

std::string to_hex(const token_hash& h) {
  std::string out;
  hex::encode(h, out);
  return out;
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

// Usage. Totals by name, zero counters left out (a usage_row's "totals").
// A minute of the usage tables is a row [minute, requests, messages,
// rejected, sampled, bytes, {reason: count}], `rejected` being every reason
// together. Records written before the usage tables existed hold a
// usage_record: {"totals": …, "minutes": [[the first six columns], …],
// "rejections": [[minute, {reason: count}], …]}, read here and never
// written; one without "rejections" (written before the reasons were counted
// per minute) loads with each minute's refusals in `rejected` only:
// usage_minute::rejected_unrecorded.

/// Zero counters are left out, like every default.
void write_number(json_writer& w, std::string_view k, std::uint64_t v) {
  if (v != 0)
    w.field(k, v);
}

void write(json_writer& w, const usage_totals& t) {
  auto number = [&](std::string_view k, std::uint64_t v) { write_number(w, k, v); };
  w.begin_object();
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
}

/// A minute's refusals by reason, as {reason: count} (zeros left out).
void write_reasons(json_writer& w, const usage_minute& m) {
  w.begin_object();
  for (std::size_t i = 0; i < rejection_count; ++i)
    write_number(w, to_string(static_cast<rejection>(i)), m.rejected_by[i]);
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

/// The six columns every minute row begins with: [minute, requests,
/// messages, rejected, sampled, bytes]; `row` has at least six elements.
bool read_columns(simdjson::dom::array row, usage_minute& m) {
  return read(row.at(0).value_unsafe(), m.minute) && read(row.at(1).value_unsafe(), m.requests)
         && read(row.at(2).value_unsafe(), m.messages) && read(row.at(3).value_unsafe(), m.rejected)
         && read(row.at(4).value_unsafe(), m.sampled) && read(row.at(5).value_unsafe(), m.bytes);
}

/// A minute of a record's usage (an earlier version's): the six columns.
bool read(simdjson::dom::element v, usage_minute& m) {
  simdjson::dom::array row;
  return v.get_array().get(row) == simdjson::SUCCESS && row.size() == 6 && read_columns(row, m);
}

/// Refusals by reason, {reason: count}, no more in all than `rejected`.
/// Reason names a later version may add are ignored; their refusals stay
/// unrecorded.
bool read_reasons(simdjson::dom::element v, std::uint32_t rejected,
                  std::array<std::uint32_t, rejection_count>& by) {
  by = {};
  bool ok = for_each_member(v, [&](std::string_view reason, simdjson::dom::element n) {
    auto r = parse_rejection(reason);
    return !r || read(n, by[static_cast<std::size_t>(*r)]);
  });
  return ok && std::accumulate(by.begin(), by.end(), std::uint64_t{0}) <= rejected;
}

/// One minute's refusals by reason in a record's usage: [minute, {reason:
/// count}]; the minute it names is looked up by the caller.
bool read(simdjson::dom::element v, std::int64_t& minute, simdjson::dom::element& reasons) {
  simdjson::dom::array row;
  if (v.get_array().get(row) != simdjson::SUCCESS || row.size() != 2
      || !read(row.at(0).value_unsafe(), minute))
    return false;
  reasons = row.at(1).value_unsafe();
  return true;
}

bool read(simdjson::dom::element v, usage_record& u) {
  std::optional<simdjson::dom::array> rejections; // applied once the minutes are read
  bool ok = for_each_member(v, [&](std::string_view k, simdjson::dom::element x) {
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
    if (k == "rejections") {
      simdjson::dom::array rows;
      if (x.get_array().get(rows) != simdjson::SUCCESS)
        return false;
      rejections = rows;
      return true;
    }
    return true;
  });
  if (!ok || !rejections)
    return ok;
  // Each row names a stored minute, and its reasons add up to no more than
  // that minute's refusals.
  for (auto row : *rejections) {
    std::int64_t minute = 0;
    simdjson::dom::element reasons;
    if (!read(row, minute, reasons))
      return false;
    auto m = std::find_if(u.minutes.begin(), u.minutes.end(),
                          [&](const usage_minute& x) { return x.minute == minute; });
    if (m == u.minutes.end() || !read_reasons(reasons, m->rejected, m->rejected_by))
      return false;
  }
  return true;
}

/// Parses `json` as an object and calls `on_field(key, value)` for every
/// member; `on_field` returns false for a malformed known field. Unknown keys
/// are the callback's business (it ignores them).
template <class F>
bool for_each_json_field(std::string_view json, F&& on_field) {
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

// ---------------------------------------------------------------------------
// values the descriptions name, as the store writes them

// The values the admin API shows the same way (policy/field_json.hpp), and
// the overloads below for those only the store writes, or writes its own way.
template <class T>
void write_stored(json_writer& w, const T& v) {
  write_field_value(w, v);
}
void write_stored(json_writer& w, const token_hash& h) { w.value(to_hex(h)); }
void write_stored(json_writer& w, const std::vector<std::uint64_t>& ids) {
  w.begin_array();
  for (auto id : ids)
    w.value(id);
  w.end_array();
}
void write_stored(json_writer& w, const time_restriction& t) {
  w.begin_object();
  if (auto h = t.hours(); !h.empty())
    w.field("hours", h);
  write_stored(w.key("days"), t.days());
  w.end_object();
}
void write_stored(json_writer& w, const usage_totals& t) { write(w, t); }

bool read(simdjson::dom::element v, tier& out) { return read_enum(v, out, parse_tier); }
bool read(simdjson::dom::element v, user_role& out) { return read_enum(v, out, parse_user_role); }
bool read(simdjson::dom::element v, token_kind& out) { return read_enum(v, out, parse_token_kind); }
bool read(simdjson::dom::element v, token_status& out) {
  return read_enum(v, out, parse_token_status);
}
bool read(simdjson::dom::element v, approval_policy& out) {
  return read_enum(v, out, parse_approval_policy);
}
bool read(simdjson::dom::element v, risk& out) { return read_enum(v, out, parse_risk); }
bool read(simdjson::dom::element v, approval_status& out) {
  return read_enum(v, out, parse_approval_status);
}
bool read(simdjson::dom::element v, scope_set& out) {
  std::vector<std::string> names;
  std::string bad;
  if (!read(v, names))
    return false;
  auto parsed = parse_scopes(names, bad);
  if (!parsed)
    return false;
  out = *parsed;
  return true;
}
bool read(simdjson::dom::element v, std::vector<std::uint64_t>& out) {
  simdjson::dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS)
    return false;
  out.clear();
  for (auto item : a) {
    std::uint64_t x = 0;
    if (item.get_uint64().get(x) != simdjson::SUCCESS)
      return false;
    out.push_back(x);
  }
  return true;
}
bool read(simdjson::dom::element v, ip_allowlist& out) {
  std::vector<std::string> entries;
  std::string bad;
  if (!read(v, entries))
    return false;
  auto parsed = ip_allowlist::parse(entries, bad, entries.size());
  if (!parsed)
    return false;
  out = std::move(*parsed);
  return true;
}
bool read(simdjson::dom::element v, time_restriction& out) {
  std::optional<std::string> hours;
  std::vector<std::string> days;
  bool ok = for_each_member(v, [&](std::string_view k, simdjson::dom::element x) {
    if (k == "hours") {
      std::string h;
      if (!read(x, h))
        return false;
      hours = std::move(h);
      return true;
    }
    if (k == "days")
      return read(x, days);
    return true;
  });
  if (!ok)
    return false;
  std::string error;
  std::optional<std::string_view> h;
  if (hours)
    h = *hours;
  auto parsed = time_restriction::parse(h, days, error);
  if (!parsed)
    return false;
  out = *parsed;
  return true;
}
bool read(simdjson::dom::element v, token_hash& out) {
  std::string_view s;
  return v.get_string().get(s) == simdjson::SUCCESS && hex::decode(s, out);
}
bool read(simdjson::dom::element v, std::optional<rate_limit>& out) {
  out.reset();
  if (v.is_null())
    return true;
  std::string_view text;
  if (v.get_string().get(text) != simdjson::SUCCESS)
    return false;
  if (text.empty())
    return true;
  out = parse_rate_limit(text);
  return out.has_value();
}

/// A record as the store keeps it: each described field by its key.
template <class R>
std::string encode_record(const R& r) {
  std::string out;
  json_writer w{out};
  w.begin_object();
  for_each_field<R>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    // The usage tables keep the usage fields (meta_store): a record only
    // reads them, from records written before the tables existed.
    if constexpr (std::is_same_v<T, usage_record>) {
      return;
    } else {
      if constexpr (std::is_same_v<R, token_record> || std::is_same_v<R, system_record>)
        if (usage_field(f.key))
          return;
      const auto& v = f.of(r);
      if (f.compact && v == T{})
        return;
      w.key(f.key);
      write_stored(w, v);
    }
  });
  w.end_object();
  return out;
}

/// The record in `json`; a described field of the wrong type makes it
/// malformed, unknown keys are ignored (a later version may add fields).
template <class R>
std::optional<R> decode_record(std::string_view json) {
  R r;
  bool ok = for_each_json_field(json, [&](std::string_view k, simdjson::dom::element v) {
    bool good = true;
    visit_field<R>(k, [&](const auto& f) { good = read(v, f.of(r)); });
    return good;
  });
  if (!ok)
    return std::nullopt;
  return r;
}

} // namespace

std::string encode(const tenant_record& r) { return encode_record(r); }
std::string encode(const user_record& r) { return encode_record(r); }
std::string encode(const system_record& r) { return encode_record(r); }
std::string encode(const token_record& r) { return encode_record(r); }
std::string encode(const approval_record& r) { return encode_record(r); }

std::optional<tenant_record> decode_tenant(std::string_view json) {
  return decode_record<tenant_record>(json);
}
std::optional<user_record> decode_user(std::string_view json) {
  return decode_record<user_record>(json);
}
std::optional<system_record> decode_system(std::string_view json) {
  return decode_record<system_record>(json);
}
std::optional<token_record> decode_token(std::string_view json) {
  return decode_record<token_record>(json);
}
std::optional<approval_record> decode_approval(std::string_view json) {
  return decode_record<approval_record>(json);
}
std::string encode(const usage_row& r) { return encode_record(r); }
std::optional<usage_row> decode_usage_row(std::string_view json) {
  return decode_record<usage_row>(json);
}

std::string encode(const usage_minute& m) {
  std::string out;
  json_writer w{out};
  w.begin_array()
    .value(m.minute)
    .value(static_cast<std::uint64_t>(m.requests))
    .value(static_cast<std::uint64_t>(m.messages))
    .value(static_cast<std::uint64_t>(m.rejected))
    .value(static_cast<std::uint64_t>(m.sampled))
    .value(m.bytes);
  write_reasons(w, m);
  w.end_array();
  return out;
}

std::optional<usage_minute> decode_usage_minute(std::string_view json) {
  simdjson::dom::element doc;
  if (thread_parser().parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS)
    return std::nullopt;
  simdjson::dom::array row;
  if (doc.get_array().get(row) != simdjson::SUCCESS || row.size() != 7)
    return std::nullopt;
  usage_minute m;
  if (!read_columns(row, m) || !read_reasons(row.at(6).value_unsafe(), m.rejected, m.rejected_by))
    return std::nullopt;
  return m;
}

namespace {
constexpr std::array<std::string_view, 3> approval_status_names = {"pending", "approved",
                                                                   "rejected"};
static_assert(approval_status_names.size()
              == static_cast<std::size_t>(approval_status::rejected) + 1);
} // namespace

std::string_view to_string(approval_status s) noexcept {
  return approval_status_names[static_cast<std::size_t>(s)];
}

std::optional<approval_status> parse_approval_status(std::string_view s) noexcept {
  for (std::size_t i = 0; i < approval_status_names.size(); ++i)
    if (approval_status_names[i] == s)
      return static_cast<approval_status>(i);
  return std::nullopt;
}

} // namespace sluice::store
