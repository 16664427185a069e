#include "net/log.hpp"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <mutex>
#include <span>

#include "policy/ids.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

namespace sluice::log {

namespace detail {
std::atomic<std::uint8_t> threshold{static_cast<std::uint8_t>(default_level)};
std::atomic<bool> access{default_access};
} // namespace detail

namespace {

std::atomic<std::uint8_t> current_format{static_cast<std::uint8_t>(default_format)};
std::atomic<int> output_fd{2};
/// Held across the write(2) calls of one line: a line longer than the pipe's
/// atomic size (or a short write) still reaches the reader whole.
std::mutex write_mutex;

constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};
constexpr std::string_view format_names[] = {"text", "json"};

/// Appends `s` cut to max_value_bytes, at a character boundary.
void append_cut(std::string_view s, std::string& out) {
  if (s.size() <= max_value_bytes) {
    out.append(s);
    return;
  }
  auto n = max_value_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80)
    --n; // s[n] continues a UTF-8 sequence: cut before its lead byte
  out.append(s.substr(0, n));
  out.append("\u2026");
}

/// Length of the valid UTF-8 sequence at the start of `s`, or 0.
std::size_t utf8_sequence(std::string_view s) noexcept {
  auto b = static_cast<unsigned char>(s[0]);
  std::size_t n;
  std::uint32_t cp;
  if (b < 0x80)
    return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
    cp = b & 0x1F;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    cp = b & 0x0F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (s.size() < n)
    return 0;
  for (std::size_t i = 1; i < n; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if ((c & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF))
      || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/// Appends `s` escaped for a JSON string (without quotes): quote, backslash
/// and control characters escaped, invalid UTF-8 as U+FFFD, so that the line
/// is valid JSON whatever a client sent.
void escape(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  while (!s.empty()) {
    // A run of plain printable ASCII goes in at once.
    std::size_t run = 0;
    while (run < s.size()) {
      auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
        break;
      ++run;
    }
    out.append(s.substr(0, run));
    s.remove_prefix(run);
    if (s.empty())
      break;
    auto c = static_cast<unsigned char>(s[0]);
    if (c >= 0x80) {
      auto n = utf8_sequence(s);
      if (n == 0) {
        out.append("\\ufffd");
        n = 1;
      } else {
        out.append(s.substr(0, n));
      }
      s.remove_prefix(n);
      continue;
    }
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out.append("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xF]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    s.remove_prefix(1);
  }
}

/// A text-format value needs quotes when it is empty or holds a space, a
/// quote, '=', a backslash or anything not printable ASCII.
bool needs_quotes(std::string_view s) noexcept {
  if (s.empty())
    return true;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\')
      return true;
  }
  return false;
}

/// Per thread: the line being built and the redacted value being written.
struct buffers {
  std::string line;
  std::string value;
};

buffers& local() {
  thread_local buffers b;
  return b;
}

/// Appends a text value: redacted, cut, escaped; quoted when `quote_if_needed`
/// and it needs it.
void put_text(std::string_view s, bool quote_if_needed, bool json, buffers& b) {
  b.value.clear();
  redact_secrets(s, b.value);
  std::string_view v = b.value;
  std::string cut;
  if (v.size() > max_value_bytes) {
    append_cut(v, cut);
    v = cut;
  }
  bool quoted = json || (quote_if_needed && needs_quotes(v));
  if (quoted)
    b.line.push_back('"');
  escape(v, b.line);
  if (quoted)
    b.line.push_back('"');
}

template <class T>
void put_number(T x, std::string& out) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out.append(buf, end);
}

void put_value(const field& f, bool json, buffers& b) {
  switch (f.type()) {
    case field::kind::text: put_text(f.text(), true, json, b); break;
    case field::kind::signed_int: put_number(f.signed_value(), b.line); break;
    case field::kind::unsigned_int: put_number(f.unsigned_value(), b.line); break;
    case field::kind::boolean: b.line.append(f.unsigned_value() ? "true" : "false"); break;
    case field::kind::real:
      if (std::isfinite(f.real_value()))
        put_number(f.real_value(), b.line);
      else
        b.line.append("null");
      break;
  }
}

void emit(std::string_view line) {
  std::lock_guard guard{write_mutex};
  int fd = output_fd.load(std::memory_order_relaxed);
  while (!line.empty()) {
    auto n = ::write(fd, line.data(), line.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return; // nowhere to report it: the line is lost, the process goes on
    }
    line.remove_prefix(static_cast<std::size_t>(n));
  }
}

} // namespace

std::string_view to_string(level l) noexcept { return level_names[static_cast<std::size_t>(l)]; }

std::optional<level> parse_level(std::string_view s) noexcept {
  for (std::size_t i = 0; i < std::size(level_names); ++i)
    if (s == level_names[i])
      return static_cast<level>(i);
  return std::nullopt;
}

std::string_view to_string(format f) noexcept { return format_names[static_cast<std::size_t>(f)]; }

std::optional<format> parse_format(std::string_view s) noexcept {
  for (std::size_t i = 0; i < std::size(format_names); ++i)
    if (s == format_names[i])
      return static_cast<format>(i);
  return std::nullopt;
}

void configure(const options& o) noexcept {
  detail::threshold.store(static_cast<std::uint8_t>(o.threshold), std::memory_order_relaxed);
  current_format.store(static_cast<std::uint8_t>(o.format), std::memory_order_relaxed);
  detail::access.store(o.access, std::memory_order_relaxed);
}

options current() noexcept {
  options o;
  o.threshold = static_cast<level>(detail::threshold.load(std::memory_order_relaxed));
  o.format = static_cast<format>(current_format.load(std::memory_order_relaxed));
  o.access = detail::access.load(std::memory_order_relaxed);
  return o;
}

int set_output(int fd) noexcept {
  std::lock_guard guard{write_mutex};
  return output_fd.exchange(fd);
}

namespace {

void build(level l, std::string_view msg, std::span<const field> f) {
  auto& b = local();
  b.line.clear();
  bool json = static_cast<format>(current_format.load(std::memory_order_relaxed)) == format::json;
  auto ts = now_us();
  if (json) {
    b.line.append("{\"ts\":\"");
    format_rfc3339_us(ts, b.line);
    b.line.append("\",\"level\":\"");
    b.line.append(to_string(l));
    b.line.append("\",\"msg\":");
    put_text(msg, false, true, b);
    for (auto& x : f) {
      b.line.push_back(',');
      put_text(x.name(), false, true, b);
      b.line.push_back(':');
      put_value(x, true, b);
    }
    b.line.append("}\n");
  } else {
    // 2026-01-02T03:04:05.123456Z info  message key=value key="two words"
    format_rfc3339_us(ts, b.line);
    b.line.push_back(' ');
    auto name = to_string(l);
    b.line.append(name);
    b.line.append(6 - name.size(), ' ');
    put_text(msg, false, false, b);
    for (auto& x : f) {
      b.line.push_back(' ');
      put_text(x.name(), false, false, b);
      b.line.push_back('=');
      put_value(x, false, b);
    }
    b.line.push_back('\n');
  }
}

/// write(), for a list of fields whose length is known only at run time.
void write_span(level l, std::string_view msg, std::span<const field> f) noexcept {
  try {
    build(l, msg, f);
  } catch (...) {
    return; // nothing to report it with
  }
  emit(local().line);
}

} // namespace

void write(level l, std::string_view msg, fields f) noexcept {
  write_span(l, msg, {f.begin(), f.size()});
}

void access(const access_record& r) noexcept {
  if (!access_enabled())
    return;
  auto duration_us = static_cast<std::int64_t>(r.duration.count());
  std::string token;
  if (r.token_id != 0) {
    try {
      token = format_id(id_kind::token, r.token_id);
    } catch (...) {
      return; // out of memory: the line is lost, the request is not
    }
  }
  std::array<field, 8> f{{{"server", r.server},
                          {"method", r.method},
                          {"path", r.path},
                          {"status", r.status},
                          {"bytes", r.bytes},
                          {"duration_us", duration_us},
                          {"token", token},
                          {"client", r.client}}};
  std::size_t n = f.size();
  if (r.token_id == 0) {
    // No token authenticated the request: "client" takes the place of "token".
    f[n - 2] = f[n - 1];
    --n;
  }
  write_span(level::info, "request", {f.data(), n});
}

} // namespace sluice::log
