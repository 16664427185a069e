#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

/// Appends JSON text to a caller-owned string. It tracks only whether a comma is
/// due; the caller keeps objects and arrays balanced. Strings are escaped per
/// RFC 8259 (control characters as \u00XX); bytes >= 0x80 pass through, so the
/// input must already be valid UTF-8 (simdjson validated everything we echo).
class json_writer {
public:
  explicit json_writer(std::string& out) noexcept : out_(out) {}

  json_writer& begin_object();
  json_writer& end_object();
  json_writer& begin_array();
  json_writer& end_array();

  /// An object key; the value written next belongs to it.
  json_writer& key(std::string_view k);

  json_writer& value(std::string_view s);
  json_writer& value(const char* s) { return value(std::string_view{s}); }
  json_writer& value(std::int64_t x);
  json_writer& value(std::uint64_t x);
  json_writer& value(int x) { return value(static_cast<std::int64_t>(x)); }
  json_writer& value(unsigned x) { return value(static_cast<std::uint64_t>(x)); }
  json_writer& value(double x);
  json_writer& value(bool b);
  json_writer& null();

  /// Inserts already-serialised JSON (an object read back from storage).
  json_writer& raw(std::string_view json);

  /// Shorthand for key(k).value(v).
  template <class T>
  json_writer& field(std::string_view k, const T& v) {
    key(k);
    return value(v);
  }

  /// Appends `s` escaped, without quotes.
  static void escape(std::string_view s, std::string& out);

private:
  void separate();

  std::string& out_;
  bool need_comma_ = false;
};

} // namespace sluice
