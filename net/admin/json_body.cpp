#include "net/admin/json_body.hpp"
#include "policy/json_errors.hpp"

#include <simdjson.h>

namespace sluice::net {

namespace dom = simdjson::dom;

struct json_body::impl {
  dom::parser parser;
  dom::object root;   ///< the body
  dom::object obj;    ///< where reads look: the body, or an object inside it
  std::string prefix; ///< "" or "<key>." (…) while reading inside an object
  /// The objects descended from, innermost last, with their prefixes.
  std::vector<std::pair<dom::object, std::string>> outer;
  bool empty = true;

  /// The value of `key`, or nullopt when absent or null.
  std::optional<dom::element> find(std::string_view key) const {
    if (empty)
      return std::nullopt;
    dom::element el;
    if (obj.at_key(key).get(el) != simdjson::SUCCESS || el.is_null())
      return std::nullopt;
    return el;
  }
};

namespace {

problem field_problem(std::string_view key, std::string_view what) {
  return make_problem(errc::invalid_argument, "\"" + std::string{key} + "\" " + std::string{what});
}

/// Refuses the first key of `obj` not in `allowed`, or given twice (simdjson
/// keeps both and finds the first; a reader of the same body elsewhere may
/// take the last); `prefix` names where.
problem check_keys(dom::object obj, const std::string& prefix,
                   std::span<const std::string_view> allowed) {
  std::uint64_t given = 0; // bit i: allowed[i] was seen (lists are far shorter than 64)
  for (auto field : obj) {
    std::size_t i = 0;
    while (i < allowed.size() && allowed[i] != field.key)
      ++i;
    if (i == allowed.size())
      return field_problem(prefix + std::string{field.key}, "is not a field of this call");
    if (i < 64) {
      auto bit = std::uint64_t{1} << i;
      if (given & bit)
        return field_problem(prefix + std::string{field.key}, "is given more than once");
      given |= bit;
    }
  }
  return {};
}

} // namespace

json_body::json_body() : impl_(std::make_unique<impl>()) {}

json_body::~json_body() = default;

problem json_body::open(std::string_view body, std::span<const std::string_view> allowed) {
  impl_->empty = true;
  impl_->prefix.clear();
  impl_->outer.clear();
  auto first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return {};
  dom::element root;
  if (auto err = impl_->parser.parse(body.data(), body.size()).get(root))
    return json_body_problem(err);
  if (root.get_object().get(impl_->root) != simdjson::SUCCESS)
    return make_problem(errc::invalid_argument, "the body must be a JSON object");
  impl_->obj = impl_->root;
  impl_->prefix.clear();
  impl_->empty = false;
  return check_keys(impl_->obj, "", allowed);
}

json_body::presence json_body::has(std::string_view key) const {
  if (impl_->empty)
    return presence::absent;
  dom::element el;
  if (impl_->obj.at_key(key).get(el) != simdjson::SUCCESS)
    return presence::absent;
  return el.is_null() ? presence::null : presence::value;
}

problem json_body::descend(std::string_view key, std::span<const std::string_view> allowed,
                           bool& found) {
  found = false;
  auto el = impl_->find(key);
  if (!el)
    return {};
  dom::object child;
  if (el->get_object().get(child) != simdjson::SUCCESS)
    return field_problem(impl_->prefix + std::string{key}, "must be an object");
  found = true;
  impl_->outer.emplace_back(impl_->obj, impl_->prefix);
  impl_->obj = child;
  impl_->prefix += std::string{key} + ".";
  auto p = check_keys(child, impl_->prefix, allowed);
  if (p) { // refused: the caller reads no further, so step back out now
    ascend();
    found = false;
  }
  return p;
}

void json_body::ascend() {
  if (impl_->outer.empty())
    return;
  impl_->obj = impl_->outer.back().first;
  impl_->prefix = std::move(impl_->outer.back().second);
  impl_->outer.pop_back();
}

problem json_body::text(std::string_view key, std::optional<std::string>& out, bool required,
                        std::size_t max_len, bool allow_empty) {
  out.reset();
  auto el = impl_->find(key);
  if (!el)
    return required ? field_problem(impl_->prefix + std::string{key}, "is required") : problem{};
  std::string_view s;
  if (el->get_string().get(s) != simdjson::SUCCESS)
    return field_problem(impl_->prefix + std::string{key}, "must be a string");
  if ((s.empty() && !allow_empty) || s.size() > max_len)
    return field_problem(impl_->prefix + std::string{key},
                         "must be a string of " + std::string{allow_empty ? "0" : "1"} + " to "
                           + std::to_string(max_len) + " bytes");
  out.emplace(s);
  return {};
}

problem json_body::integer(std::string_view key, std::optional<std::int64_t>& out, bool required) {
  out.reset();
  auto el = impl_->find(key);
  if (!el)
    return required ? field_problem(impl_->prefix + std::string{key}, "is required") : problem{};
  std::int64_t x = 0;
  if (el->get_int64().get(x) != simdjson::SUCCESS)
    return field_problem(impl_->prefix + std::string{key}, "must be an integer");
  out = x;
  return {};
}

problem json_body::integer(std::string_view key, std::optional<std::int64_t>& out, bool required,
                           std::int64_t min, std::int64_t max) {
  if (auto p = integer(key, out, required))
    return p;
  if (out && (*out < min || *out > max))
    return field_problem(impl_->prefix + std::string{key}, "must be an integer from "
                                                             + std::to_string(min) + " to "
                                                             + std::to_string(max));
  return {};
}

problem json_body::boolean(std::string_view key, std::optional<bool>& out, bool required) {
  out.reset();
  auto el = impl_->find(key);
  if (!el)
    return required ? field_problem(impl_->prefix + std::string{key}, "is required") : problem{};
  bool b = false;
  if (el->get_bool().get(b) != simdjson::SUCCESS)
    return field_problem(impl_->prefix + std::string{key}, "must be true or false");
  out = b;
  return {};
}

problem json_body::strings(std::string_view key, std::optional<std::vector<std::string>>& out) {
  out.reset();
  auto el = impl_->find(key);
  if (!el)
    return {};
  dom::array arr;
  if (el->get_array().get(arr) != simdjson::SUCCESS)
    return field_problem(impl_->prefix + std::string{key}, "must be an array of strings");
  std::vector<std::string> values;
  for (auto item : arr) {
    std::string_view s;
    if (item.get_string().get(s) != simdjson::SUCCESS)
      return field_problem(impl_->prefix + std::string{key}, "must be an array of strings");
    values.emplace_back(s);
  }
  out = std::move(values);
  return {};
}

} // namespace sluice::net
