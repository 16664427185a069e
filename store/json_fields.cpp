#include "store/json_fields.hpp"

#include <limits>
#include <string_view>

namespace sluice::store {

simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool read(simdjson::dom::element v, std::uint64_t& out) {
  return v.get_uint64().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, std::int64_t& out) {
  return v.get_int64().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, int& out) {
  std::int64_t x = 0;
  if (v.get_int64().get(x) != simdjson::SUCCESS || x < std::numeric_limits<int>::min()
      || x > std::numeric_limits<int>::max())
    return false;
  out = static_cast<int>(x);
  return true;
}
bool read(simdjson::dom::element v, bool& out) {
  return v.get_bool().get(out) == simdjson::SUCCESS;
}
bool read(simdjson::dom::element v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS)
    return false;
  out.assign(s);
  return true;
}
bool read(simdjson::dom::element v, std::vector<std::string>& out) {
  simdjson::dom::array a;
  if (v.get_array().get(a) != simdjson::SUCCESS)
    return false;
  out.clear();
  for (auto item : a) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS)
      return false;
    out.emplace_back(s);
  }
  return true;
}

} // namespace sluice::store
