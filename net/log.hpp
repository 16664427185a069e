#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::log {

// The one logger of sluiced. Every log line goes through here: one line per
// event, written to stderr whole, with one write(2) under a lock (a short
// write is continued before the lock is let go), so lines of different
// threads never interleave; as text or as JSON (one object per line). Whatever is written
// (the message and every field, names included) first passes through the one
// redaction rule, policy/token_format.hpp redact_secrets(): a call site cannot
// leak a token secret by forgetting to scrub it.
//
// Cheap when off: the level check is one relaxed atomic load, inline, before
// anything is formatted. Fields are views and numbers, built without
// allocating; call sites pass variable parts as fields rather than
// concatenating them into the message (a concatenation would be paid even
// when the level is off).
//
// Program output is not logging: --help, --version, --dump-config, usage and
// start-up errors, the start-up lines ("ingest listening on …") and banner,
// and the output of sluiced's subcommands are printed as plain text.

/// Severity, most severe first: a threshold of `info` writes error, warn and
/// info lines.
enum class level : std::uint8_t { error, warn, info, debug };

/// How a line is written: `key=value` text, or one JSON object.
enum class format : std::uint8_t { text, json };

/// Defaults of the config keys log.level, log.format and log.access.
inline constexpr level default_level = level::info;
inline constexpr format default_format = format::text;
inline constexpr bool default_access = false;

/// Longest value (message or field) written; longer ones are cut and end in
/// "…" (an exception text or a path must not make a line unbounded).
inline constexpr std::size_t max_value_bytes = 4096;

/// "error", "warn", "info", "debug".
std::string_view to_string(level l) noexcept;
std::optional<level> parse_level(std::string_view s) noexcept;
/// "text", "json".
std::string_view to_string(format f) noexcept;
std::optional<format> parse_format(std::string_view s) noexcept;

/// The logger's settings (config keys log.level, log.format, log.access).
struct options {
  level threshold = default_level;
  log::format format = default_format;
  bool access = default_access;
};

/// Sets the options; lines written afterwards follow them. Thread-safe, but
/// meant for start-up, before the servers run.
void configure(const options& o) noexcept;
options current() noexcept;

/// Where lines go: a file descriptor, stderr (2) unless changed. Returns the
/// previous one. For tests; the descriptor is not owned.
int set_output(int fd) noexcept;

namespace detail {
extern std::atomic<std::uint8_t> threshold;
extern std::atomic<bool> access;
} // namespace detail

/// True when a line of level `l` would be written. Guard the building of an
/// expensive field with it.
inline bool enabled(level l) noexcept {
  return static_cast<std::uint8_t>(l) <= detail::threshold.load(std::memory_order_relaxed);
}

/// One named value of a line. Holds views: the text it names must outlive the
/// call that writes the line (any temporary in the call's full expression
/// does).
class field {
public:
  enum class kind : std::uint8_t { text, signed_int, unsigned_int, real, boolean };

  constexpr field(std::string_view name, std::string_view v) noexcept
      : name_(name), kind_(kind::text), text_(v) {}
  constexpr field(std::string_view name, const char* v) noexcept
      : name_(name), kind_(kind::text), text_(v ? std::string_view{v} : std::string_view{}) {}
  field(std::string_view name, const std::string& v) noexcept
      : name_(name), kind_(kind::text), text_(v) {}
  constexpr field(std::string_view name, bool v) noexcept
      : name_(name), kind_(kind::boolean), u_(v ? 1 : 0) {}
  template <std::signed_integral T>
  constexpr field(std::string_view name, T v) noexcept
      : name_(name), kind_(kind::signed_int), i_(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral T>
  requires(!std::same_as<T, bool>) constexpr field(std::string_view name, T v) noexcept
      : name_(name), kind_(kind::unsigned_int), u_(static_cast<std::uint64_t>(v)) {}
  constexpr field(std::string_view name, double v) noexcept
      : name_(name), kind_(kind::real), d_(v) {}

  std::string_view name() const noexcept { return name_; }
  kind type() const noexcept { return kind_; }
  std::string_view text() const noexcept { return text_; }
  std::int64_t signed_value() const noexcept { return i_; }
  std::uint64_t unsigned_value() const noexcept { return u_; }
  double real_value() const noexcept { return d_; }

private:
  std::string_view name_;
  kind kind_;
  std::string_view text_;
  union {
    std::int64_t i_ = 0;
    std::uint64_t u_;
    double d_;
  };
};

using fields = std::initializer_list<field>;

/// Writes one line at level `l`, whatever the threshold (the functions below
/// check it first). The fields keep their order; the names ts, level and msg
/// are the line's own, so fields do not use them. Never throws: a line that
/// cannot be built (out of memory) or written is lost, the caller goes on.
void write(level l, std::string_view msg, fields f = {}) noexcept;

inline void error(std::string_view msg, fields f = {}) noexcept {
  if (enabled(level::error))
    write(level::error, msg, f);
}
inline void warn(std::string_view msg, fields f = {}) noexcept {
  if (enabled(level::warn))
    write(level::warn, msg, f);
}
inline void info(std::string_view msg, fields f = {}) noexcept {
  if (enabled(level::info))
    write(level::info, msg, f);
}
inline void debug(std::string_view msg, fields f = {}) noexcept {
  if (enabled(level::debug))
    write(level::debug, msg, f);
}

/// One answered request, for the access log.
struct access_record {
  std::string_view server; ///< which port: "ingest" or "admin"
  std::string_view method; ///< as sent ("GET", …); "-" when refused before it was read
  std::string_view path;   ///< as sent, without the query (never logged: it may hold api_key)
  unsigned status = 0;
  std::uint64_t bytes = 0;               ///< bytes of the response written, head and body
  std::chrono::microseconds duration{0}; ///< from the request's first byte to its response written
  std::uint64_t token_id = 0;            ///< the authenticated token's id; 0 when none was
  std::string_view client;               ///< the client's address
};

/// True when the access log is on (log.access), whatever the level.
inline bool access_enabled() noexcept { return detail::access.load(std::memory_order_relaxed); }

/// Writes the access line of one request when the access log is on: message
/// "request", level info, fields server, method, path, status, bytes,
/// duration_us, token (the public id "tok_…", only when authenticated) and
/// client.
void access(const access_record& r) noexcept;

} // namespace sluice::log
