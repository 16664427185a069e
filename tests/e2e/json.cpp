#include "tests/e2e/json.hpp"

#include <simdjson.h>

#include <stdexcept>

namespace sluice::e2e {

struct json::impl {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::string text;

  simdjson::dom::element at(std::string_view pointer) const {
    simdjson::dom::element el;
    if (root.at_pointer(pointer).get(el) != simdjson::SUCCESS)
      throw std::runtime_error("no " + std::string{pointer} + " in " + text);
    return el;
  }
};

json::json(std::string_view text) : impl_(std::make_unique<impl>()) {
  impl_->text = std::string{text};
  if (impl_->parser.parse(impl_->text).get(impl_->root) != simdjson::SUCCESS)
    throw std::runtime_error("not JSON: " + impl_->text);
}

json::~json() = default;
json::json(json&&) noexcept = default;
json& json::operator=(json&&) noexcept = default;

std::string json::str(std::string_view pointer) const {
  std::string_view s;
  if (impl_->at(pointer).get_string().get(s) != simdjson::SUCCESS)
    throw std::runtime_error(std::string{pointer} + " is not a string in " + impl_->text);
  return std::string{s};
}

std::int64_t json::num(std::string_view pointer) const {
  std::int64_t x = 0;
  if (impl_->at(pointer).get_int64().get(x) != simdjson::SUCCESS)
    throw std::runtime_error(std::string{pointer} + " is not an integer in " + impl_->text);
  return x;
}

bool json::boolean(std::string_view pointer) const {
  bool b = false;
  if (impl_->at(pointer).get_bool().get(b) != simdjson::SUCCESS)
    throw std::runtime_error(std::string{pointer} + " is not a boolean in " + impl_->text);
  return b;
}

bool json::is_null(std::string_view pointer) const { return impl_->at(pointer).is_null(); }

bool json::has(std::string_view pointer) const {
  simdjson::dom::element el;
  return impl_->root.at_pointer(pointer).get(el) == simdjson::SUCCESS;
}

std::size_t json::size(std::string_view pointer) const {
  auto el = impl_->at(pointer);
  if (el.is_array())
    return simdjson::dom::array(el).size();
  if (el.is_object())
    return simdjson::dom::object(el).size();
  throw std::runtime_error(std::string{pointer} + " is not an array or object in " + impl_->text);
}

std::string json::raw(std::string_view pointer) const {
  return simdjson::minify(impl_->at(pointer));
}

} // namespace sluice::e2e
