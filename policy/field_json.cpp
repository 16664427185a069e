#include "policy/field_json.hpp"

namespace sluice {

void write_field_value(json_writer& w, std::uint64_t v) { w.value(v); }
void write_field_value(json_writer& w, std::int64_t v) { w.value(v); }
void write_field_value(json_writer& w, int v) { w.value(v); }
void write_field_value(json_writer& w, bool v) { w.value(v); }
void write_field_value(json_writer& w, const std::string& v) { w.value(v); }

void write_field_value(json_writer& w, const std::vector<std::string>& v) {
  w.begin_array();
  for (auto& s : v)
    w.value(s);
  w.end_array();
}

void write_field_value(json_writer& w, const std::optional<rate_limit>& l) {
  if (l)
    w.value(l->to_string());
  else
    w.null();
}

void write_field_value(json_writer& w, const cap_overrides& o) { write_json(w, o); }

void write_field_value(json_writer& w, const scope_set& scopes) {
  w.begin_array();
  for (auto sc : scopes.list())
    w.value(to_string(sc));
  w.end_array();
}

void write_field_value(json_writer& w, const ip_allowlist& l) {
  write_field_value(w, l.to_strings());
}

} // namespace sluice
