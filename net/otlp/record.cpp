#include "net/otlp/record.hpp"

#include <boost/beast/core/string.hpp>
#include <simdjson.h>

#include <array>
#include <limits>

#include "policy/hex.hpp"
#include "policy/time.hpp"

namespace sluice::net::otlp {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";
constexpr char base64_digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

constexpr std::array<std::string_view, 6> kind_names = {
  "unspecified", "internal", "server", "client", "producer", "consumer",
};
constexpr std::array<std::string_view, 3> status_names = {"unset", "ok", "error"};

/// 0-63 for a base64 digit of either alphabet, -1 otherwise.
int base64_value(char c) noexcept {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+' || c == '-')
    return 62;
  if (c == '/' || c == '_')
    return 63;
  return -1;
}

/// Nanoseconds to the microseconds stored as event time; 0 means unknown.
std::int64_t to_us(std::uint64_t ns) noexcept {
  return ns == 0 ? no_event_time : static_cast<std::int64_t>(ns / 1000);
}

/// Appends `s` with ill-formed UTF-8 replaced: each maximal invalid subpart
/// becomes one U+FFFD, as Unicode recommends (and browsers do).
void repair_utf8(std::string_view s, std::string& out) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    // Continuation bytes needed, and the range allowed for the first one (it
    // excludes overlong forms, surrogates and code points past U+10FFFF).
    std::size_t need = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      need = 1;
    } else if (c == 0xE0) {
      need = 2;
      lo = 0xA0;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
      need = 2;
    } else if (c == 0xED) {
      need = 2;
      hi = 0x9F;
    } else if (c == 0xF0) {
      need = 3;
      lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need = 3;
    } else if (c == 0xF4) {
      need = 3;
      hi = 0x8F;
    } else {
      out.append(replacement);
      ++i;
      continue;
    }
    std::size_t j = i + 1;
    std::size_t got = 0;
    while (got < need && j < s.size()) {
      auto d = static_cast<unsigned char>(s[j]);
      if (d < lo || d > hi)
        break;
      lo = 0x80;
      hi = 0xBF;
      ++got;
      ++j;
    }
    if (got == need)
      out.append(s.substr(i, need + 1));
    else
      out.append(replacement); // the byte that broke the sequence starts the next one
    i = j;
  }
}

} // namespace

hex_id to_hex_id(std::string_view bytes) noexcept {
  hex_id id;
  std::size_t n = std::min<std::size_t>(bytes.size(), 16);
  for (std::size_t i = 0; i < n; ++i) {
    auto b = static_cast<unsigned char>(bytes[i]);
    id.digits[2 * i] = hex_digits[b >> 4];
    id.digits[2 * i + 1] = hex_digits[b & 0xf];
  }
  id.size = static_cast<std::uint8_t>(2 * n);
  return id;
}

bool parse_hex_id(std::string_view hex, std::size_t bytes, hex_id& out) noexcept {
  if (bytes > 16 || hex.size() != 2 * bytes)
    return false;
  for (std::size_t i = 0; i < hex.size(); ++i) {
    int v = hex::digit_value(hex[i]);
    if (v < 0)
      return false;
    out.digits[i] = hex_digits[v]; // stored lower-case, whatever the sender used
  }
  out.size = static_cast<std::uint8_t>(hex.size());
  return true;
}

void append_base64(std::string_view bytes, std::string& out) {
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(base64_digits[v >> 18]);
    out.push_back(base64_digits[(v >> 12) & 63]);
    out.push_back(base64_digits[(v >> 6) & 63]);
    out.push_back(base64_digits[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = at(i) << 16;
    out.push_back(base64_digits[v >> 18]);
    out.push_back(base64_digits[(v >> 12) & 63]);
    out.append("==");
  } else if (rest == 2) {
    std::uint32_t v = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(base64_digits[v >> 18]);
    out.push_back(base64_digits[(v >> 12) & 63]);
    out.push_back(base64_digits[(v >> 6) & 63]);
    out.push_back('=');
  }
}

bool decode_base64(std::string_view text, std::string& out) {
  out.clear();
  // Padding is optional, but when present it must complete the last quantum.
  std::size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad > 0 && (text.size() + pad) % 4 != 0)
    return false;
  if (text.size() % 4 == 1)
    return false; // one digit carries only 6 bits: not a whole byte
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = base64_value(c);
    if (v < 0)
      return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

std::string_view valid_utf8(std::string_view s, std::string& scratch) {
  if (simdjson::validate_utf8(s.data(), s.size()))
    return s;
  scratch.clear();
  repair_utf8(s, scratch);
  return scratch;
}

message_level log_level(std::int64_t severity_number, std::string_view severity_text) noexcept {
  if (severity_number >= 1 && severity_number <= 24) {
    // Six ranges of four steps: TRACE, DEBUG, INFO, WARN, ERROR, FATAL. There
    // is no stored trace level, so TRACE joins DEBUG.
    static constexpr message_level by_range[] = {
      message_level::debug, message_level::debug, message_level::info,
      message_level::warn,  message_level::error, message_level::fatal,
    };
    return by_range[(severity_number - 1) / 4];
  }
  if (boost::beast::iequals(severity_text, "trace")
      || boost::beast::iequals(severity_text, "debug"))
    return message_level::debug;
  if (boost::beast::iequals(severity_text, "info"))
    return message_level::info;
  if (boost::beast::iequals(severity_text, "warn")
      || boost::beast::iequals(severity_text, "warning"))
    return message_level::warn;
  if (boost::beast::iequals(severity_text, "error"))
    return message_level::error;
  if (boost::beast::iequals(severity_text, "fatal"))
    return message_level::fatal;
  return message_level::none;
}

void record_builder::text(json_writer& w, std::string_view s) { w.value(valid_utf8(s, fixed_)); }

void record_builder::key(json_writer& w, std::string_view k) { w.key(valid_utf8(k, fixed_)); }

void record_builder::bytes(json_writer& w, std::string_view b) {
  base64_.clear();
  append_base64(b, base64_);
  w.value(std::string_view{base64_});
}

void record_builder::time(json_writer& w, std::string_view key, std::uint64_t ns) {
  when_.clear();
  format_rfc3339_us(static_cast<std::int64_t>(ns / 1000), when_);
  w.field(key, std::string_view{when_});
}

void record_builder::set_scope(std::string_view name, std::string_view version,
                               std::string_view attributes_json) {
  scope.clear();
  if (name.empty() && version.empty() && attributes_json.empty())
    return;
  json_writer w{scope};
  w.begin_object();
  if (!name.empty()) {
    w.key("name");
    text(w, name);
  }
  if (!version.empty()) {
    w.key("version");
    text(w, version);
  }
  if (!attributes_json.empty())
    w.key("attributes").raw(attributes_json);
  w.end_object();
}

void record_builder::set_resource(std::string_view attributes_json) {
  resource.assign(attributes_json);
}

void record_builder::add_event(json_writer& w, std::string_view name, std::uint64_t time_ns,
                               std::string_view attributes_json, std::uint32_t dropped_attributes) {
  w.begin_object();
  w.key("name");
  text(w, name);
  if (time_ns != 0)
    time(w, "time", time_ns);
  if (!attributes_json.empty())
    w.key("attributes").raw(attributes_json);
  if (dropped_attributes != 0)
    w.field("dropped_attributes_count", dropped_attributes);
  w.end_object();
}

void record_builder::add_link(json_writer& w, const hex_id& trace_id, const hex_id& span_id,
                              std::string_view trace_state, std::string_view attributes_json,
                              std::uint32_t dropped_attributes, std::uint32_t flags) {
  w.begin_object();
  w.field("trace_id", trace_id.view());
  w.field("span_id", span_id.view());
  if (!trace_state.empty()) {
    w.key("trace_state");
    text(w, trace_state);
  }
  if (!attributes_json.empty())
    w.key("attributes").raw(attributes_json);
  if (dropped_attributes != 0)
    w.field("dropped_attributes_count", dropped_attributes);
  if (flags != 0)
    w.field("flags", flags);
  w.end_object();
}

bool record_builder::add_log(const log_view& v, decoded& out) {
  auto& bytes = out.batch.bytes;
  auto at = bytes.size();
  bool has_body = !v.body_json.empty() && v.body_json != "null";
  json_writer w{bytes};
  w.begin_object();
  // "message" is what a reader scans: a text body as it is, anything else as
  // its JSON text; a record without a body (an event) goes by its event name.
  w.key("message");
  if (!has_body) {
    text(w, v.event_name);
  } else if (v.body_json.front() == '"') {
    w.raw(v.body_json); // a string (or base64 bytes) is its own text
  } else {
    w.value(v.body_json);
  }
  if (has_body)
    w.key("body").raw(v.body_json);
  if (v.severity_number != 0)
    w.field("severity_number", v.severity_number);
  if (!v.severity_text.empty()) {
    w.key("severity_text");
    text(w, v.severity_text);
  }
  // OTLP's advice for a single timestamp: the event time, else the observed one.
  if (auto t = v.time_ns != 0 ? v.time_ns : v.observed_ns; t != 0)
    time(w, "time", t);
  if (v.observed_ns != 0)
    time(w, "observed_time", v.observed_ns);
  if (!v.trace_id.empty())
    w.field("trace_id", v.trace_id.view());
  if (!v.span_id.empty())
    w.field("span_id", v.span_id.view());
  if (v.flags != 0)
    w.field("flags", v.flags);
  if (!v.event_name.empty()) {
    w.key("event_name");
    text(w, v.event_name);
  }
  if (!v.attributes_json.empty())
    w.key("attributes").raw(v.attributes_json);
  if (v.dropped_attributes != 0)
    w.field("dropped_attributes_count", v.dropped_attributes);
  if (!resource.empty())
    w.key("resource").raw(resource);
  if (!scope.empty())
    w.key("scope").raw(scope);
  w.end_object();
  auto when = to_us(v.time_ns);
  if (when == no_event_time)
    when = to_us(v.observed_ns);
  return finish(at, when, log_level(v.severity_number, v.severity_text), out);
}

bool record_builder::add_span(const span_view& v, decoded& out) {
  auto& bytes = out.batch.bytes;
  auto at = bytes.size();
  json_writer w{bytes};
  w.begin_object();
  w.key("message");
  text(w, v.name);
  w.key("name");
  text(w, v.name);
  w.field("trace_id", v.trace_id.view());
  w.field("span_id", v.span_id.view());
  if (!v.parent_span_id.empty())
    w.field("parent_span_id", v.parent_span_id.view());
  if (!v.trace_state.empty()) {
    w.key("trace_state");
    text(w, v.trace_state);
  }
  bool known_kind = v.kind >= 0 && v.kind < static_cast<std::int64_t>(kind_names.size());
  w.field("kind", kind_names[known_kind ? static_cast<std::size_t>(v.kind) : 0]);
  if (v.start_ns != 0)
    time(w, "start_time", v.start_ns);
  if (v.end_ns != 0)
    time(w, "end_time", v.end_ns);
  // Only a finished span with sane times has a duration.
  if (v.start_ns != 0 && v.end_ns >= v.start_ns)
    w.field("duration_ms", static_cast<double>(v.end_ns - v.start_ns) / 1e6);
  if (v.flags != 0)
    w.field("flags", v.flags);
  if (!v.attributes_json.empty())
    w.key("attributes").raw(v.attributes_json);
  if (v.dropped_attributes != 0)
    w.field("dropped_attributes_count", v.dropped_attributes);
  if (!v.events_json.empty())
    w.key("events").raw(v.events_json);
  if (v.dropped_events != 0)
    w.field("dropped_events_count", v.dropped_events);
  if (!v.links_json.empty())
    w.key("links").raw(v.links_json);
  if (v.dropped_links != 0)
    w.field("dropped_links_count", v.dropped_links);
  bool known_code =
    v.status_code >= 0 && v.status_code < static_cast<std::int64_t>(status_names.size());
  w.key("status").begin_object();
  w.field("code", status_names[known_code ? static_cast<std::size_t>(v.status_code) : 0]);
  if (!v.status_message.empty()) {
    w.key("message");
    text(w, v.status_message);
  }
  w.end_object();
  if (!resource.empty())
    w.key("resource").raw(resource);
  if (!scope.empty())
    w.key("scope").raw(scope);
  w.end_object();
  auto level = v.status_code == 2 ? message_level::error : message_level::info;
  return finish(at, to_us(v.start_ns), level, out);
}

bool record_builder::finish(std::size_t at, std::int64_t event_time_us, message_level level,
                            decoded& out) {
  auto& batch = out.batch;
  if (batch.bytes.size() > std::numeric_limits<std::uint32_t>::max()) {
    batch.bytes.resize(at);
    return false;
  }
  parsed_message m;
  m.body_offset = static_cast<std::uint32_t>(at);
  m.body_size = static_cast<std::uint32_t>(batch.bytes.size() - at);
  m.event_time_us = event_time_us;
  m.level = level;
  batch.items.push_back(m);
  batch.largest_message = std::max<std::uint64_t>(batch.largest_message, m.body_size);
  return true;
}

void record_builder::reject(signal s, decoded& out, std::string_view why) {
  if (out.rejected++ > 0)
    return;
  // Records are numbered across the whole request, stored or not.
  auto index = out.batch.items.size() + out.rejected - 1;
  out.first_error.assign(s == signal::logs ? "log record " : "span ");
  out.first_error.append(std::to_string(index));
  out.first_error.append(" (counting from 0): ");
  out.first_error.append(why);
}

} // namespace sluice::net::otlp
