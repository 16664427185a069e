#pragma once

#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

#include "policy/ids.hpp"

namespace sluice {

// Each record's fields are described once, as a tuple of `field`s (the
// specialisation of `description<Record>` next to the record). Storage
// encoding and decoding (store/records.cpp), the admin API's views
// (actors/views.cpp) and the config options of the tier table all walk that
// one description, so a new field is one line where its record is declared.

/// How a field appears in the admin API's public views.
enum class view_as : std::uint8_t {
  hidden,       ///< never shown (the hash of a secret, internal state)
  value,        ///< as it is
  id,           ///< a 64-bit id shown as "<prefix>…" (see `kind`), null when 0
  time,         ///< µs since the epoch shown as RFC 3339 UTC, null when 0
  text_or_null, ///< a string shown as null when empty
};

/// One field of a record: its key, where it lives, and how it is shown.
template <class Record, class T>
struct field {
  using record_type = Record;
  using value_type = T;

  std::string_view key;           ///< its name in the store (and the API, unless `view_key`)
  T Record::*member;              ///< where it lives
  view_as view = view_as::value;  ///< how the admin API shows it
  std::string_view view_key = {}; ///< its name in the API when that differs
  id_kind kind = id_kind::tenant; ///< for view_as::id
  bool compact = false;           ///< the store leaves it out at its default value
  /// Views write it inside an object of this name, with the neighbouring
  /// fields of the same group ("security": the token's restrictions).
  std::string_view group = {};
  /// Views show it only when this holds (nullptr: always).
  bool (*shown_if)(const Record&) = nullptr;

  const T& of(const Record& r) const noexcept { return r.*member; }
  T& of(Record& r) const noexcept { return r.*member; }
  std::string_view api_key() const noexcept { return view_key.empty() ? key : view_key; }
};

/// The fields of `Record`: specialised next to each record with
/// `static constexpr auto fields = std::tuple{field<…>{…}, …};`.
template <class Record>
struct description;

/// Calls `f(field)` for each field of `Record`, in the described order.
template <class Record, class F>
constexpr void for_each_field(F&& f) {
  std::apply([&](const auto&... fd) { (f(fd), ...); }, description<Record>::fields);
}

/// Calls `f(field)` for the field named `key` (store key); false when none is.
template <class Record, class F>
constexpr bool visit_field(std::string_view key, F&& f) {
  bool found = false;
  for_each_field<Record>([&](const auto& fd) {
    if (!found && fd.key == key) {
      found = true;
      f(fd);
    }
  });
  return found;
}

} // namespace sluice
