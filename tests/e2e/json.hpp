#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::e2e {

/// A parsed JSON document for assertions, addressed by JSON pointer
/// ("/token/id"). Accessors throw std::runtime_error naming the pointer when
/// the value is missing or of another type, so a test fails with a reason.
class json {
public:
  explicit json(std::string_view text);
  ~json();
  json(json&&) noexcept;
  json& operator=(json&&) noexcept;

  std::string str(std::string_view pointer) const;
  std::int64_t num(std::string_view pointer) const;
  bool boolean(std::string_view pointer) const;
  bool is_null(std::string_view pointer) const;
  bool has(std::string_view pointer) const;
  std::size_t size(std::string_view pointer) const; ///< of an array or object
  /// The value at `pointer` serialised (minified) as JSON.
  std::string raw(std::string_view pointer) const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::e2e
