#pragma once

// What both OTLP readers (protobuf and JSON) share: the layout of the stored
// body of a log record or a span, and the small encoders it needs. A reader
// turns its input into a `log_view` or `span_view`, rendering the nested parts
// (attributes, body, events, links) into the builder's scratch strings, and the
// builder appends the stored message to the batch. One layout for both
// encodings, so a record reads back the same however it was sent.

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/otlp/otlp.hpp"
#include "policy/json_writer.hpp"

namespace sluice::net::otlp {

/// A trace or span id as lower-case hex; empty when the record has none.
struct hex_id {
  char digits[32];
  std::uint8_t size = 0;

  std::string_view view() const noexcept { return {digits, size}; }
  bool empty() const noexcept { return size == 0; }
};

/// Hex of `bytes` (at most 16 of them).
hex_id to_hex_id(std::string_view bytes) noexcept;

/// Reads an id sent as hex (either case) of exactly `bytes` bytes. Returns
/// false when it is not: wrong length or a non-hex character.
bool parse_hex_id(std::string_view hex, std::size_t bytes, hex_id& out) noexcept;

/// Appends standard base64 (with padding) of `bytes`.
void append_base64(std::string_view bytes, std::string& out);

/// Decodes base64, standard or URL-safe alphabet, padding optional (protobuf's
/// JSON mapping accepts all of them). Returns false when it is not base64.
bool decode_base64(std::string_view text, std::string& out);

/// `s` when it is valid UTF-8; otherwise a copy in `scratch` with every
/// ill-formed sequence replaced by U+FFFD.
std::string_view valid_utf8(std::string_view s, std::string& scratch);

/// The stored level of a log record: from severity_number when it is 1 to 24,
/// otherwise from severity_text when that names a level.
message_level log_level(std::int64_t severity_number, std::string_view severity_text) noexcept;

/// Marks the entries of a key/value list that a later entry with the same key
/// overwrites, as a JSON object built from them would keep only the last.
/// `key_at(i)` gives the key of entry i, `overwritten(i)` marks entry i.
/// `order` is scratch.
template <class KeyAt, class Mark>
void mark_overwritten(std::size_t n, KeyAt key_at, Mark overwritten,
                      std::vector<std::uint32_t>& order) {
  // Attribute lists are short: comparing pairs beats sorting up to a few dozen.
  if (n <= 16) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j)
        if (key_at(i) == key_at(j)) {
          overwritten(i);
          break;
        }
    return;
  }
  order.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    order[i] = static_cast<std::uint32_t>(i);
  // Ties broken by position (std::stable_sort would allocate a buffer), so
  // among equal keys the last entry sorts last and survives.
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    auto ka = key_at(a);
    auto kb = key_at(b);
    return ka != kb ? ka < kb : a < b;
  });
  for (std::size_t k = 0; k + 1 < n; ++k)
    if (key_at(order[k]) == key_at(order[k + 1]))
      overwritten(order[k]);
}

/// One log record, read and checked. Text fields may hold invalid UTF-8 (from
/// protobuf); the builder repairs them as it writes.
struct log_view {
  std::uint64_t time_ns = 0;
  std::uint64_t observed_ns = 0;
  std::int64_t severity_number = 0;
  std::string_view severity_text;
  std::string_view event_name;
  std::string_view body_json;       ///< the body as JSON; empty when there is none
  std::string_view attributes_json; ///< a JSON object; empty when there are no attributes
  hex_id trace_id;
  hex_id span_id;
  std::uint32_t flags = 0;
  std::uint32_t dropped_attributes = 0;
};

/// One span, read and checked (see `log_view` about text).
struct span_view {
  std::string_view name;
  std::string_view trace_state;
  hex_id trace_id;
  hex_id span_id;
  hex_id parent_span_id;
  std::int64_t kind = 0;
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;
  std::uint32_t flags = 0;
  std::string_view attributes_json; ///< a JSON object, or empty
  std::string_view events_json;     ///< a JSON array, or empty
  std::string_view links_json;      ///< a JSON array, or empty
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  std::int64_t status_code = 0;
  std::string_view status_message;
};

/// Writes stored bodies into a batch. Its public strings are scratch space for
/// the readers, reused across records and requests so that decoding a request
/// allocates little once a thread has seen a few.
class record_builder {
public:
  std::string resource;             ///< stored "resource" object of the current resource, or empty
  std::string scope;                ///< stored "scope" object of the current scope, or empty
  std::string body;                 ///< the current log body as JSON
  std::string attributes;           ///< the current record's attributes as a JSON object
  std::string events;               ///< the current span's events as a JSON array
  std::string links;                ///< the current span's links as a JSON array
  std::string nested;               ///< attributes of one event, link or scope
  std::vector<std::uint32_t> order; ///< for mark_overwritten

  /// A string value, repaired to valid UTF-8 when needed.
  void text(json_writer& w, std::string_view s);
  /// An object key, repaired to valid UTF-8 when needed.
  void key(json_writer& w, std::string_view k);
  /// Bytes as a base64 string.
  void bytes(json_writer& w, std::string_view b);
  /// An RFC 3339 time of nanoseconds since the epoch (to the microsecond).
  void time(json_writer& w, std::string_view key, std::uint64_t ns);

  /// Sets `scope` from the parts of an instrumentation scope; `attributes_json`
  /// is an object or empty.
  void set_scope(std::string_view name, std::string_view version, std::string_view attributes_json);
  /// Sets `resource` from the resource's attributes (an object or empty).
  void set_resource(std::string_view attributes_json);

  /// Appends one event to `events` (an array the caller opened).
  void add_event(json_writer& w, std::string_view name, std::uint64_t time_ns,
                 std::string_view attributes_json, std::uint32_t dropped_attributes);
  /// Appends one link to `links` (an array the caller opened).
  void add_link(json_writer& w, const hex_id& trace_id, const hex_id& span_id,
                std::string_view trace_state, std::string_view attributes_json,
                std::uint32_t dropped_attributes, std::uint32_t flags);

  /// Appends the stored message of a log record / span to `out.batch`.
  /// Returns false, appending nothing, when the batch would outgrow the 32-bit
  /// offsets of `parsed_message`.
  bool add_log(const log_view& v, decoded& out);
  bool add_span(const span_view& v, decoded& out);

  /// Counts the current record as rejected; the first reason is kept, prefixed
  /// with which record it was.
  static void reject(signal s, decoded& out, std::string_view why);

private:
  bool finish(std::size_t at, std::int64_t event_time_us, message_level level, decoded& out);

  std::string fixed_;  ///< UTF-8 repairs
  std::string base64_; ///< base64 of a bytes value
  std::string when_;   ///< a formatted time
  std::string text_;   ///< a non-string log body as text
};

} // namespace sluice::net::otlp
