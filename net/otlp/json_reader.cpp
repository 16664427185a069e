#include "net/otlp/json_reader.hpp"
#include "policy/json_errors.hpp"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace sluice::net::otlp {

namespace {

namespace dom = simdjson::dom;
using dom::element_type;
using simdjson::SUCCESS;

/// The values of the known keys of one JSON object, found in one pass. Null
/// counts as absent, as in protobuf's JSON mapping; unknown keys are skipped
/// (OTLP requires receivers to ignore them); a repeated key keeps its last value.
template <std::size_t N>
struct fields {
  static_assert(N <= 32);
  std::array<dom::element, N> value{};
  std::uint32_t present = 0;

  fields(dom::object obj, const std::array<std::string_view, N>& names) {
    for (auto field : obj) {
      if (field.value.is_null())
        continue;
      for (std::size_t i = 0; i < N; ++i)
        if (names[i] == field.key) {
          value[i] = field.value;
          present |= 1u << i;
          break;
        }
    }
  }
  bool has(std::size_t i) const noexcept { return (present >> i) & 1u; }
};

enum log_key {
  l_time,
  l_observed,
  l_severity_number,
  l_severity_text,
  l_body,
  l_attributes,
  l_dropped_attributes,
  l_flags,
  l_trace_id,
  l_span_id,
  l_event_name,
  log_key_count
};
constexpr std::array<std::string_view, log_key_count> log_keys = {
  "timeUnixNano", "observedTimeUnixNano",   "severityNumber", "severityText", "body",
  "attributes",   "droppedAttributesCount", "flags",          "traceId",      "spanId",
  "eventName",
};

enum span_key {
  s_trace_id,
  s_span_id,
  s_trace_state,
  s_parent_span_id,
  s_flags,
  s_name,
  s_kind,
  s_start,
  s_end,
  s_attributes,
  s_dropped_attributes,
  s_events,
  s_dropped_events,
  s_links,
  s_dropped_links,
  s_status,
  span_key_count
};
constexpr std::array<std::string_view, span_key_count> span_keys = {
  "traceId",
  "spanId",
  "traceState",
  "parentSpanId",
  "flags",
  "name",
  "kind",
  "startTimeUnixNano",
  "endTimeUnixNano",
  "attributes",
  "droppedAttributesCount",
  "events",
  "droppedEventsCount",
  "links",
  "droppedLinksCount",
  "status",
};

enum event_key { e_time, e_name, e_attributes, e_dropped_attributes, event_key_count };
constexpr std::array<std::string_view, event_key_count> event_keys = {
  "timeUnixNano",
  "name",
  "attributes",
  "droppedAttributesCount",
};

enum link_key {
  k_trace_id,
  k_span_id,
  k_trace_state,
  k_attributes,
  k_dropped_attributes,
  k_flags,
  link_key_count
};
constexpr std::array<std::string_view, link_key_count> link_keys = {
  "traceId", "spanId", "traceState", "attributes", "droppedAttributesCount", "flags",
};

enum status_key { t_message, t_code, status_key_count };
constexpr std::array<std::string_view, status_key_count> status_keys = {"message", "code"};

enum scope_key { c_name, c_version, c_attributes, scope_key_count };
constexpr std::array<std::string_view, scope_key_count> scope_keys = {
  "name",
  "version",
  "attributes",
};

enum any_key { a_string, a_bool, a_int, a_double, a_array, a_kvlist, a_bytes, any_key_count };
constexpr std::array<std::string_view, any_key_count> any_keys = {
  "stringValue", "boolValue", "intValue", "doubleValue", "arrayValue", "kvlistValue", "bytesValue",
};

// Enum value names, index = number. OTLP/JSON senders must use the numbers;
// the names are what protobuf's own JSON mapping writes, so they are read too.
constexpr std::array<std::string_view, 25> severity_names = {
  "SEVERITY_NUMBER_UNSPECIFIED", "SEVERITY_NUMBER_TRACE",  "SEVERITY_NUMBER_TRACE2",
  "SEVERITY_NUMBER_TRACE3",      "SEVERITY_NUMBER_TRACE4", "SEVERITY_NUMBER_DEBUG",
  "SEVERITY_NUMBER_DEBUG2",      "SEVERITY_NUMBER_DEBUG3", "SEVERITY_NUMBER_DEBUG4",
  "SEVERITY_NUMBER_INFO",        "SEVERITY_NUMBER_INFO2",  "SEVERITY_NUMBER_INFO3",
  "SEVERITY_NUMBER_INFO4",       "SEVERITY_NUMBER_WARN",   "SEVERITY_NUMBER_WARN2",
  "SEVERITY_NUMBER_WARN3",       "SEVERITY_NUMBER_WARN4",  "SEVERITY_NUMBER_ERROR",
  "SEVERITY_NUMBER_ERROR2",      "SEVERITY_NUMBER_ERROR3", "SEVERITY_NUMBER_ERROR4",
  "SEVERITY_NUMBER_FATAL",       "SEVERITY_NUMBER_FATAL2", "SEVERITY_NUMBER_FATAL3",
  "SEVERITY_NUMBER_FATAL4",
};
constexpr std::array<std::string_view, 6> kind_enum_names = {
  "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER",
  "SPAN_KIND_CLIENT",      "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER",
};
constexpr std::array<std::string_view, 3> code_names = {
  "STATUS_CODE_UNSET",
  "STATUS_CODE_OK",
  "STATUS_CODE_ERROR",
};

/// The envelope keys of a signal.
struct envelope {
  std::string_view resources, scopes, records, request;
};
constexpr envelope log_envelope{"resourceLogs", "scopeLogs", "logRecords",
                                "ExportLogsServiceRequest"};
constexpr envelope span_envelope{"resourceSpans", "scopeSpans", "spans",
                                 "ExportTraceServiceRequest"};

/// A whole decimal string, as protobuf's JSON mapping allows for 64-bit integers.
template <class Int>
bool parse_decimal(std::string_view s, Int& out) noexcept {
  if (s.empty())
    return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && end == s.data() + s.size();
}

/// An unsigned integer given as a JSON number (integral, in range) or a
/// decimal string.
bool as_u64(dom::element e, std::uint64_t& out) noexcept {
  std::int64_t i = 0;
  double d = 0;
  std::string_view s;
  switch (e.type()) {
    case element_type::UINT64: return e.get_uint64().get(out) == SUCCESS;
    case element_type::INT64:
      if (e.get_int64().get(i) != SUCCESS || i < 0)
        return false;
      out = static_cast<std::uint64_t>(i);
      return true;
    case element_type::DOUBLE: // 1e18 is an integer too, when whole and in range
      if (e.get_double().get(d) != SUCCESS || !(d >= 0 && d < 18446744073709551616.0)
          || std::trunc(d) != d)
        return false;
      out = static_cast<std::uint64_t>(d);
      return true;
    case element_type::STRING: return e.get_string().get(s) == SUCCESS && parse_decimal(s, out);
    default: return false;
  }
}

/// A signed integer, as `as_u64`.
bool as_i64(dom::element e, std::int64_t& out) noexcept {
  std::uint64_t u = 0;
  double d = 0;
  std::string_view s;
  switch (e.type()) {
    case element_type::INT64: return e.get_int64().get(out) == SUCCESS;
    case element_type::UINT64:
      if (e.get_uint64().get(u) != SUCCESS
          || u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return false;
      out = static_cast<std::int64_t>(u);
      return true;
    case element_type::DOUBLE:
      if (e.get_double().get(d) != SUCCESS
          || !(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || std::trunc(d) != d)
        return false;
      out = static_cast<std::int64_t>(d);
      return true;
    case element_type::STRING: return e.get_string().get(s) == SUCCESS && parse_decimal(s, out);
    default: return false;
  }
}

/// A key/value pair met while writing a list of them.
struct kv_entry {
  std::string_view key;
  dom::element value;
  bool has_value = false;
  bool overwritten = false;
};

} // namespace

struct json_reader::impl {
  dom::parser parser;
  std::string padded; ///< the body plus SIMDJSON_PADDING bytes
  record_builder* rb = nullptr;
  const envelope* names = &log_envelope;
  std::vector<kv_entry> kvs;  ///< entries of the key/value lists being written, innermost last
  std::string bytes;          ///< a decoded bytesValue
  std::string error;          ///< why the request's shape is wrong
  std::string record_error;   ///< why what is being read cannot be stored (first reason)
  std::string resource_error; ///< ... for the current resource: all its records are rejected
  std::string scope_error;    ///< ... for the current scope
  // Where the reader is, to point at a shape error: 0 request, 1 resource,
  // 2 scope, 3 record.
  int depth = 0;
  std::size_t resource_i = 0;
  std::size_t scope_i = 0;
  std::size_t record_i = 0;

  /// Records a shape error; returns false to unwind with.
  bool shape(std::string what) {
    error = std::move(what);
    return false;
  }
  /// Records why the current record cannot be stored; reading goes on, so
  /// that a shape error later in it still refuses the whole request.
  void flag(std::string_view why) {
    if (record_error.empty())
      record_error.assign(why);
  }
  problem refuse() const;

  bool u64(dom::element e, std::string_view name, std::uint64_t& out);
  bool u32(dom::element e, std::string_view name, std::uint32_t& out);
  bool i64(dom::element e, std::string_view name, std::int64_t& out);
  bool dbl(dom::element e, std::string_view name, double& out);
  bool str(dom::element e, std::string_view name, std::string_view& out);
  template <std::size_t N>
  bool enumerated(dom::element e, std::string_view name,
                  const std::array<std::string_view, N>& values, std::int64_t& out);
  bool id(dom::element e, std::string_view name, std::size_t bytes, hex_id& out);
  bool member_array(dom::object obj, std::string_view key, dom::array& out, bool& present);

  bool any(dom::element e, json_writer& w);
  bool values(dom::element holder, std::string_view name, dom::array& out, bool& present);
  bool key_values(const dom::array* list, std::string_view name, json_writer& w);
  bool attributes(dom::element e, std::string_view name, std::string& out);

  /// Calls `each(element, index)` for the elements of the array under `key`
  /// (none when it is absent or null) until one returns false. False when
  /// the value is not an array or `each` said so.
  template <class Each>
  bool for_each_in(dom::object obj, std::string_view key, Each each) {
    dom::array list;
    bool present = false;
    if (!member_array(obj, key, list, present))
      return false;
    std::size_t i = 0;
    if (present)
      for (auto item : list)
        if (!each(item, i++))
          return false;
    return true;
  }

  bool count(dom::object root, std::size_t& n);
  bool resource(dom::object ro);
  bool scope(dom::object so);
  bool log_record(dom::element e, log_view& v);
  bool span(dom::element e, span_view& v);
  bool events(dom::element e);
  bool links(dom::element e);
  bool record(signal s, dom::element rec, decoded& out, bool& too_big);
  problem walk(dom::object root, decoded& out);
};

problem json_reader::impl::refuse() const {
  std::string at;
  if (depth >= 1)
    at.append(names->resources).append("[").append(std::to_string(resource_i)).append("]");
  if (depth >= 2)
    at.append(".").append(names->scopes).append("[").append(std::to_string(scope_i)).append("]");
  if (depth >= 3)
    at.append(".").append(names->records).append("[").append(std::to_string(record_i)).append("]");
  return make_problem(errc::invalid_argument, at.empty() ? error : at + ": " + error);
}

bool json_reader::impl::u64(dom::element e, std::string_view name, std::uint64_t& out) {
  return as_u64(e, out)
         || shape(std::string{name}
                  + " must be an unsigned integer (a number or a decimal string)");
}

bool json_reader::impl::u32(dom::element e, std::string_view name, std::uint32_t& out) {
  std::uint64_t x = 0;
  if (!as_u64(e, x) || x > std::numeric_limits<std::uint32_t>::max())
    return shape(std::string{name} + " must be an integer from 0 to 4294967295");
  out = static_cast<std::uint32_t>(x);
  return true;
}

bool json_reader::impl::i64(dom::element e, std::string_view name, std::int64_t& out) {
  return as_i64(e, out)
         || shape(std::string{name} + " must be a 64-bit integer (a number or a decimal string)");
}

bool json_reader::impl::dbl(dom::element e, std::string_view name, double& out) {
  std::string_view s;
  switch (e.type()) {
    case element_type::DOUBLE:
    case element_type::INT64:
    case element_type::UINT64: return e.get_double().get(out) == SUCCESS;
    case element_type::STRING:
      // Protobuf's JSON mapping spells the values JSON has no number for.
      if (e.get_string().get(s) != SUCCESS)
        break;
      if (s == "NaN") {
        out = std::numeric_limits<double>::quiet_NaN();
        return true;
      }
      if (s == "Infinity" || s == "-Infinity") {
        out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                          : std::numeric_limits<double>::infinity();
        return true;
      }
      if (parse_decimal(s, out))
        return true;
      break;
    default: break;
  }
  return shape(std::string{name} + " must be a number");
}

bool json_reader::impl::str(dom::element e, std::string_view name, std::string_view& out) {
  return e.get_string().get(out) == SUCCESS || shape(std::string{name} + " must be a string");
}

template <std::size_t N>
bool json_reader::impl::enumerated(dom::element e, std::string_view name,
                                   const std::array<std::string_view, N>& values,
                                   std::int64_t& out) {
  std::string_view s;
  if (e.get_string().get(s) == SUCCESS)
    for (std::size_t i = 0; i < N; ++i)
      if (values[i] == s) {
        out = static_cast<std::int64_t>(i);
        return true;
      }
  // Protobuf enums are open: a number this release does not name is kept.
  if (!as_i64(e, out) || out < std::numeric_limits<std::int32_t>::min()
      || out > std::numeric_limits<std::int32_t>::max())
    return shape(std::string{name} + " must be an integer (or the name of a value)");
  return true;
}

bool json_reader::impl::id(dom::element e, std::string_view name, std::size_t bytes, hex_id& out) {
  std::string_view hex;
  if (!str(e, name, hex))
    return false;
  if (!hex.empty() && !parse_hex_id(hex, bytes, out))
    flag(std::string{name} + " must be " + std::to_string(2 * bytes) + " hex digits");
  return true;
}

bool json_reader::impl::member_array(dom::object obj, std::string_view key, dom::array& out,
                                     bool& present) {
  present = false;
  dom::element el;
  if (obj.at_key(key).get(el) != SUCCESS || el.is_null())
    return true;
  if (el.get_array().get(out) != SUCCESS)
    return shape(std::string{key} + " must be an array");
  present = true;
  return true;
}

bool json_reader::impl::any(dom::element e, json_writer& w) {
  dom::object obj;
  if (e.get_object().get(obj) != SUCCESS)
    return shape("an AnyValue must be an object such as {\"stringValue\": \"…\"}");
  // A oneof: whichever alternative is set; {} is the empty value.
  int which = -1;
  dom::element v;
  for (auto field : obj) {
    if (field.value.is_null())
      continue;
    for (std::size_t i = 0; i < any_keys.size(); ++i)
      if (any_keys[i] == field.key) {
        which = static_cast<int>(i);
        v = field.value;
        break;
      }
  }
  switch (which) {
    case a_string: {
      std::string_view s;
      if (!str(v, "stringValue", s))
        return false;
      rb->text(w, s);
      return true;
    }
    case a_bool: {
      bool b = false;
      if (v.get_bool().get(b) != SUCCESS)
        return shape("boolValue must be true or false");
      w.value(b);
      return true;
    }
    case a_int: {
      std::int64_t i = 0;
      if (!i64(v, "intValue", i))
        return false;
      w.value(i);
      return true;
    }
    case a_double: {
      double d = 0;
      if (!dbl(v, "doubleValue", d))
        return false;
      w.value(d); // NaN and infinities become null
      return true;
    }
    case a_array: {
      dom::array list;
      bool present = false;
      if (!values(v, "arrayValue", list, present))
        return false;
      w.begin_array();
      if (present)
        for (auto item : list)
          if (!any(item, w))
            return false;
      w.end_array();
      return true;
    }
    case a_kvlist: {
      dom::array list;
      bool present = false;
      if (!values(v, "kvlistValue", list, present))
        return false;
      return key_values(present ? &list : nullptr, "kvlistValue.values", w);
    }
    case a_bytes: {
      std::string_view s;
      if (!str(v, "bytesValue", s))
        return false;
      if (!decode_base64(s, bytes)) {
        flag("bytesValue must be base64");
        w.null();
        return true;
      }
      rb->bytes(w, bytes);
      return true;
    }
    default: w.null(); return true;
  }
}

bool json_reader::impl::values(dom::element holder, std::string_view name, dom::array& out,
                               bool& present) {
  dom::object obj;
  if (holder.get_object().get(obj) != SUCCESS)
    return shape(std::string{name} + " must be an object {\"values\": [...]}");
  return member_array(obj, "values", out, present);
}

bool json_reader::impl::key_values(const dom::array* list, std::string_view name, json_writer& w) {
  auto base = kvs.size();
  auto fail = [&](std::string what) {
    kvs.resize(base);
    return shape(std::move(what));
  };
  if (list)
    for (auto item : *list) {
      dom::object obj;
      if (item.get_object().get(obj) != SUCCESS)
        return fail(std::string{name} + " must hold {\"key\", \"value\"} objects");
      kv_entry kv;
      for (auto field : obj) {
        if (field.value.is_null())
          continue;
        if (field.key == "key") {
          if (field.value.get_string().get(kv.key) != SUCCESS)
            return fail(std::string{name} + ": a key must be a string");
        } else if (field.key == "value") {
          kv.value = field.value;
          kv.has_value = true;
        }
      }
      kvs.push_back(kv);
    }
  auto n = kvs.size() - base;
  mark_overwritten(
    n, [&](std::size_t i) { return kvs[base + i].key; },
    [&](std::size_t i) { kvs[base + i].overwritten = true; }, rb->order);
  w.begin_object();
  for (std::size_t i = 0; i < n; ++i) {
    auto kv = kvs[base + i]; // a copy: a nested list may grow the vector
    if (kv.overwritten)
      continue;
    rb->key(w, kv.key);
    if (!kv.has_value) {
      w.null();
    } else if (!any(kv.value, w)) {
      kvs.resize(base);
      return false;
    }
  }
  w.end_object();
  kvs.resize(base);
  return true;
}

bool json_reader::impl::attributes(dom::element e, std::string_view name, std::string& out) {
  out.clear();
  dom::array list;
  if (e.get_array().get(list) != SUCCESS)
    return shape(std::string{name} + " must be an array");
  if (list.size() == 0)
    return true;
  json_writer w{out};
  return key_values(&list, name, w);
}

bool json_reader::impl::count(dom::object root, std::size_t& n) {
  return for_each_in(root, names->resources, [&](dom::element r, std::size_t ri) {
    depth = 1;
    resource_i = ri;
    dom::object ro;
    if (r.get_object().get(ro) != SUCCESS)
      return shape("must be an object");
    return for_each_in(ro, names->scopes, [&](dom::element sc, std::size_t si) {
      depth = 2;
      scope_i = si;
      dom::object so;
      if (sc.get_object().get(so) != SUCCESS)
        return shape("must be an object");
      return for_each_in(so, names->records, [&](dom::element, std::size_t) {
        ++n;
        return true;
      });
    });
  });
}

bool json_reader::impl::resource(dom::object ro) {
  rb->attributes.clear();
  dom::element res;
  if (ro.at_key("resource").get(res) == SUCCESS && !res.is_null()) {
    dom::object obj;
    if (res.get_object().get(obj) != SUCCESS)
      return shape("resource must be an object");
    dom::element attrs;
    if (obj.at_key("attributes").get(attrs) == SUCCESS && !attrs.is_null()
        && !attributes(attrs, "resource.attributes", rb->attributes))
      return false;
  }
  rb->set_resource(rb->attributes);
  return true;
}

bool json_reader::impl::scope(dom::object so) {
  rb->nested.clear();
  std::string_view name;
  std::string_view version;
  dom::element sc;
  if (so.at_key("scope").get(sc) == SUCCESS && !sc.is_null()) {
    dom::object obj;
    if (sc.get_object().get(obj) != SUCCESS)
      return shape("scope must be an object");
    fields<scope_key_count> f{obj, scope_keys};
    if (f.has(c_name) && !str(f.value[c_name], "scope.name", name))
      return false;
    if (f.has(c_version) && !str(f.value[c_version], "scope.version", version))
      return false;
    if (f.has(c_attributes) && !attributes(f.value[c_attributes], "scope.attributes", rb->nested))
      return false;
  }
  rb->set_scope(name, version, rb->nested);
  return true;
}

bool json_reader::impl::log_record(dom::element e, log_view& v) {
  dom::object obj;
  if (e.get_object().get(obj) != SUCCESS)
    return shape("must be an object");
  fields<log_key_count> f{obj, log_keys};
  if (f.has(l_time) && !u64(f.value[l_time], "timeUnixNano", v.time_ns))
    return false;
  if (f.has(l_observed) && !u64(f.value[l_observed], "observedTimeUnixNano", v.observed_ns))
    return false;
  if (f.has(l_severity_number)
      && !enumerated(f.value[l_severity_number], "severityNumber", severity_names,
                     v.severity_number))
    return false;
  if (f.has(l_severity_text) && !str(f.value[l_severity_text], "severityText", v.severity_text))
    return false;
  if (f.has(l_event_name) && !str(f.value[l_event_name], "eventName", v.event_name))
    return false;
  if (f.has(l_flags) && !u32(f.value[l_flags], "flags", v.flags))
    return false;
  if (f.has(l_dropped_attributes)
      && !u32(f.value[l_dropped_attributes], "droppedAttributesCount", v.dropped_attributes))
    return false;
  // A trace context is optional on a log record; "" is how JSON says "none".
  if (f.has(l_trace_id) && !id(f.value[l_trace_id], "traceId", 16, v.trace_id))
    return false;
  if (f.has(l_span_id) && !id(f.value[l_span_id], "spanId", 8, v.span_id))
    return false;
  rb->body.clear();
  if (f.has(l_body)) {
    json_writer w{rb->body};
    if (!any(f.value[l_body], w))
      return false;
  }
  v.body_json = rb->body;
  rb->attributes.clear();
  if (f.has(l_attributes) && !attributes(f.value[l_attributes], "attributes", rb->attributes))
    return false;
  v.attributes_json = rb->attributes;
  return true;
}

bool json_reader::impl::span(dom::element e, span_view& v) {
  dom::object obj;
  if (e.get_object().get(obj) != SUCCESS)
    return shape("must be an object");
  fields<span_key_count> f{obj, span_keys};
  // A span is nothing without its ids; the parent's is empty for a root span.
  if (!f.has(s_trace_id))
    flag("traceId is required");
  else if (!id(f.value[s_trace_id], "traceId", 16, v.trace_id))
    return false;
  else if (v.trace_id.empty())
    flag("traceId is required");
  if (!f.has(s_span_id))
    flag("spanId is required");
  else if (!id(f.value[s_span_id], "spanId", 8, v.span_id))
    return false;
  else if (v.span_id.empty())
    flag("spanId is required");
  if (f.has(s_parent_span_id)
      && !id(f.value[s_parent_span_id], "parentSpanId", 8, v.parent_span_id))
    return false;
  if (f.has(s_trace_state) && !str(f.value[s_trace_state], "traceState", v.trace_state))
    return false;
  if (f.has(s_name) && !str(f.value[s_name], "name", v.name))
    return false;
  if (f.has(s_kind) && !enumerated(f.value[s_kind], "kind", kind_enum_names, v.kind))
    return false;
  if (f.has(s_start) && !u64(f.value[s_start], "startTimeUnixNano", v.start_ns))
    return false;
  if (f.has(s_end) && !u64(f.value[s_end], "endTimeUnixNano", v.end_ns))
    return false;
  if (f.has(s_flags) && !u32(f.value[s_flags], "flags", v.flags))
    return false;
  if (f.has(s_dropped_attributes)
      && !u32(f.value[s_dropped_attributes], "droppedAttributesCount", v.dropped_attributes))
    return false;
  if (f.has(s_dropped_events)
      && !u32(f.value[s_dropped_events], "droppedEventsCount", v.dropped_events))
    return false;
  if (f.has(s_dropped_links)
      && !u32(f.value[s_dropped_links], "droppedLinksCount", v.dropped_links))
    return false;
  if (f.has(s_status)) {
    dom::object so;
    if (f.value[s_status].get_object().get(so) != SUCCESS)
      return shape("status must be an object");
    fields<status_key_count> st{so, status_keys};
    if (st.has(t_message) && !str(st.value[t_message], "status.message", v.status_message))
      return false;
    if (st.has(t_code) && !enumerated(st.value[t_code], "status.code", code_names, v.status_code))
      return false;
  }
  rb->attributes.clear();
  if (f.has(s_attributes) && !attributes(f.value[s_attributes], "attributes", rb->attributes))
    return false;
  v.attributes_json = rb->attributes;
  rb->events.clear();
  if (f.has(s_events) && !events(f.value[s_events]))
    return false;
  v.events_json = rb->events;
  rb->links.clear();
  if (f.has(s_links) && !links(f.value[s_links]))
    return false;
  v.links_json = rb->links;
  return true;
}

bool json_reader::impl::events(dom::element e) {
  dom::array list;
  if (e.get_array().get(list) != SUCCESS)
    return shape("events must be an array");
  if (list.size() == 0)
    return true;
  json_writer w{rb->events};
  w.begin_array();
  for (auto item : list) {
    dom::object obj;
    if (item.get_object().get(obj) != SUCCESS)
      return shape("events must hold objects");
    fields<event_key_count> f{obj, event_keys};
    std::uint64_t time_ns = 0;
    std::string_view name;
    std::uint32_t dropped = 0;
    if (f.has(e_time) && !u64(f.value[e_time], "events.timeUnixNano", time_ns))
      return false;
    if (f.has(e_name) && !str(f.value[e_name], "events.name", name))
      return false;
    if (f.has(e_dropped_attributes)
        && !u32(f.value[e_dropped_attributes], "events.droppedAttributesCount", dropped))
      return false;
    rb->nested.clear();
    if (f.has(e_attributes) && !attributes(f.value[e_attributes], "events.attributes", rb->nested))
      return false;
    rb->add_event(w, name, time_ns, rb->nested, dropped);
  }
  w.end_array();
  return true;
}

bool json_reader::impl::links(dom::element e) {
  dom::array list;
  if (e.get_array().get(list) != SUCCESS)
    return shape("links must be an array");
  if (list.size() == 0)
    return true;
  json_writer w{rb->links};
  w.begin_array();
  std::size_t i = 0;
  for (auto item : list) {
    dom::object obj;
    if (item.get_object().get(obj) != SUCCESS)
      return shape("links must hold objects");
    fields<link_key_count> f{obj, link_keys};
    auto index = i++;
    hex_id trace_id;
    hex_id span_id;
    std::string_view hex;
    std::string_view trace_state;
    std::uint32_t dropped = 0;
    std::uint32_t flags = 0;
    // A link points at a span: both ids are required.
    auto bad_id = [&](std::string_view what) {
      if (record_error.empty())
        record_error = "links[" + std::to_string(index) + "]." + std::string{what};
    };
    if (f.has(k_trace_id) && !str(f.value[k_trace_id], "links.traceId", hex))
      return false;
    if (!parse_hex_id(hex, 16, trace_id))
      bad_id("traceId must be 32 hex digits");
    hex = {};
    if (f.has(k_span_id) && !str(f.value[k_span_id], "links.spanId", hex))
      return false;
    if (!parse_hex_id(hex, 8, span_id))
      bad_id("spanId must be 16 hex digits");
    if (f.has(k_trace_state) && !str(f.value[k_trace_state], "links.traceState", trace_state))
      return false;
    if (f.has(k_dropped_attributes)
        && !u32(f.value[k_dropped_attributes], "links.droppedAttributesCount", dropped))
      return false;
    if (f.has(k_flags) && !u32(f.value[k_flags], "links.flags", flags))
      return false;
    rb->nested.clear();
    if (f.has(k_attributes) && !attributes(f.value[k_attributes], "links.attributes", rb->nested))
      return false;
    rb->add_link(w, trace_id, span_id, trace_state, rb->nested, dropped, flags);
  }
  w.end_array();
  return true;
}

bool json_reader::impl::record(signal s, dom::element rec, decoded& out, bool& too_big) {
  record_error.clear();
  bool stored = true;
  bool storable = false;
  if (s == signal::logs) {
    log_view v;
    if (!log_record(rec, v))
      return false;
    storable = resource_error.empty() && scope_error.empty() && record_error.empty();
    if (storable)
      stored = rb->add_log(v, out);
  } else {
    span_view v;
    if (!span(rec, v))
      return false;
    storable = resource_error.empty() && scope_error.empty() && record_error.empty();
    if (storable)
      stored = rb->add_span(v, out);
  }
  if (!stored) {
    too_big = true;
    return false;
  }
  if (!storable)
    record_builder::reject(s, out,
                           !resource_error.empty() ? resource_error
                           : !scope_error.empty()  ? scope_error
                                                   : record_error);
  return true;
}

problem json_reader::impl::walk(dom::object root, decoded& out) {
  auto s = names == &log_envelope ? signal::logs : signal::traces;
  bool too_big = false;
  // The envelope's shape was checked by count(): objects where objects belong.
  bool ok = for_each_in(root, names->resources, [&](dom::element r, std::size_t ri) {
    depth = 1;
    resource_i = ri;
    auto ro = r.get_object().value_unsafe();
    record_error.clear();
    if (!resource(ro))
      return false;
    // A bad value in the resource (or scope) is shared by all its records.
    resource_error = record_error.empty() ? std::string{} : "resource: " + record_error;
    return for_each_in(ro, names->scopes, [&](dom::element sc, std::size_t si) {
      depth = 2;
      scope_i = si;
      auto so = sc.get_object().value_unsafe();
      record_error.clear();
      if (!scope(so))
        return false;
      scope_error = record_error.empty() ? std::string{} : "scope: " + record_error;
      return for_each_in(so, names->records, [&](dom::element rec, std::size_t ki) {
        depth = 3;
        record_i = ki;
        return record(s, rec, out, too_big);
      });
    });
  });
  if (too_big)
    return make_problem(errc::request_too_large, "the request is too large to store at once");
  return ok ? problem{} : refuse();
}

json_reader::json_reader() : impl_(std::make_unique<impl>()) {}

json_reader::~json_reader() = default;

problem json_reader::read(signal s, std::string_view body, std::size_t max_records,
                          record_builder& rb, decoded& out) {
  auto& d = *impl_;
  d.rb = &rb;
  d.names = s == signal::logs ? &log_envelope : &span_envelope;
  d.kvs.clear();
  d.error.clear();
  d.depth = 0;

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: copy into a
  // buffer we own that has them, reused across requests.
  d.padded.resize(body.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(d.padded.data(), body.data(), body.size());
  std::memset(d.padded.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
  dom::element root;
  if (auto err = d.parser.parse(d.padded.data(), body.size(), false).get(root))
    return json_body_problem(err);

  // The records are counted before any is decoded, so an oversized request
  // costs no more than its parse.
  dom::object request;
  if (root.get_object().get(request) != SUCCESS)
    return make_problem(errc::invalid_argument, "the body must be a JSON object (an "
                                                  + std::string{d.names->request} + ")");
  std::size_t count = 0;
  if (!d.count(request, count))
    return d.refuse();
  if (count > max_records)
    return make_problem(errc::batch_too_large, "a request may hold at most "
                                                 + std::to_string(max_records)
                                                 + (s == signal::logs ? " log records" : " spans"));
  out.batch.items.reserve(count);
  return d.walk(request, out);
}

} // namespace sluice::net::otlp
