#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"

namespace sluice {

/// Where a stored message came from.
enum class message_source : std::uint8_t {
  native = 0,
  otlp_logs,
  otlp_traces,
  langfuse,
  webhook,
};
std::string_view to_string(message_source s) noexcept;
std::optional<message_source> parse_message_source(std::string_view s) noexcept;

/// Severity of a native message; `none` when the client sent no level.
enum class message_level : std::uint8_t { none = 0, debug, info, warn, error, fatal };
std::string_view to_string(message_level l) noexcept;
std::optional<message_level> parse_message_level(std::string_view s) noexcept;

/// Marks "the client sent no timestamp": the receive time stands in.
inline constexpr std::int64_t no_event_time = std::numeric_limits<std::int64_t>::min();

/// Longest `id` a message may carry, in bytes.
inline constexpr std::size_t max_message_id_bytes = 128;

/// One validated message inside a batch: views into `message_batch::bytes` by
/// offset, so the batch can move between threads without dangling pointers.
struct parsed_message {
  std::uint32_t body_offset = 0; ///< the message object, minified JSON
  std::uint32_t body_size = 0;
  std::uint32_t id_offset = 0; ///< the dedup `id`, unescaped; size 0 = none
  std::uint32_t id_size = 0;
  std::int64_t event_time_us = no_event_time;
  message_level level = message_level::none;
};

/// A validated request: every message of it, ready to store. Owns its bytes.
struct message_batch {
  std::string bytes;
  std::vector<parsed_message> items;
  /// Size of the largest message object as sent (before minifying), for the
  /// tier's inline cap.
  std::uint64_t largest_message = 0;

  std::string_view body(const parsed_message& m) const noexcept {
    return {bytes.data() + m.body_offset, m.body_size};
  }
  std::string_view id(const parsed_message& m) const noexcept {
    return {bytes.data() + m.id_offset, m.id_size};
  }
  /// Bytes of the messages' bodies as stored (minified JSON): what usage
  /// and the metrics count as a request's bytes.
  std::uint64_t body_bytes() const noexcept {
    std::uint64_t n = 0;
    for (auto& m : items)
      n += m.body_size;
    return n;
  }
  void clear() noexcept {
    bytes.clear();
    items.clear();
    largest_message = 0;
  }

  /// Appends one message whose body is `json` (valid, minified JSON), with
  /// its dedup id (empty: none), event time and level; for the doors that
  /// decode their own formats (OTLP, Langfuse, webhooks).
  void add(std::string_view json, std::string_view id = {},
           std::int64_t event_time_us = no_event_time, message_level level = message_level::none) {
    parsed_message m;
    m.body_offset = static_cast<std::uint32_t>(bytes.size());
    m.body_size = static_cast<std::uint32_t>(json.size());
    bytes.append(json);
    m.id_offset = static_cast<std::uint32_t>(bytes.size());
    m.id_size = static_cast<std::uint32_t>(id.size());
    bytes.append(id);
    m.event_time_us = event_time_us;
    m.level = level;
    items.push_back(m);
    if (json.size() > largest_message)
      largest_message = json.size();
  }
};

/// Validates native ingest bodies (docs/api.md): one message object or an
/// array of up to `max_batch` of them. A batch is all or nothing: when any
/// message is invalid the result is `invalid_message` with `details` listing
/// every bad index and why. Every byte is validated, including unknown fields
/// (kept as sent), so nothing malformed is ever stored.
///
/// Holds a simdjson parser and a padded copy buffer that grow to the largest
/// body seen and are reused: keep one per thread.
class message_parser {
public:
  message_parser();
  ~message_parser();
  message_parser(const message_parser&) = delete;
  message_parser& operator=(const message_parser&) = delete;

  /// Parses `json` into `out` (cleared first). Returns ok, or malformed_json,
  /// invalid_message (with details), or batch_too_large.
  problem parse(std::string_view json, std::size_t max_batch, message_batch& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice
