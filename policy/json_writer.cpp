#include "policy/json_writer.hpp"

#include <charconv>
#include <cmath>

namespace sluice {

void json_writer::separate() {
  if (need_comma_)
    out_.push_back(',');
}

json_writer& json_writer::begin_object() {
  separate();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_object() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::begin_array() {
  separate();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::end_array() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::key(std::string_view k) {
  separate();
  out_.push_back('"');
  escape(k, out_);
  out_.append("\":");
  need_comma_ = false;
  return *this;
}

json_writer& json_writer::value(std::string_view s) {
  separate();
  out_.push_back('"');
  escape(s, out_);
  out_.push_back('"');
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(std::int64_t x) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(std::uint64_t x) {
  separate();
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(double x) {
  if (!std::isfinite(x))
    return null(); // JSON has no NaN or infinity
  separate();
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, x);
  (void)ec;
  out_.append(buf, end);
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::value(bool b) {
  separate();
  out_.append(b ? "true" : "false");
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::null() {
  separate();
  out_.append("null");
  need_comma_ = true;
  return *this;
}

json_writer& json_writer::raw(std::string_view json) {
  separate();
  out_.append(json);
  need_comma_ = true;
  return *this;
}

void json_writer::escape(std::string_view s, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  std::size_t run = 0; // start of the pending run of plain bytes
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      default:
        out.append("\\u00");
        out.push_back(hex[c >> 4]);
        out.push_back(hex[c & 0xf]);
    }
  }
  out.append(s.data() + run, s.size() - run);
}

} // namespace sluice
