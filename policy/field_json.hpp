#pragma once

// The JSON of the field values that the store (store/records.cpp) and the
// admin API's views (actors/views.cpp) write alike. Each of them falls back
// on these and adds the values it writes its own way (a secret's hash is
// stored, never shown; an empty time restriction is stored as an object and
// shown as null).

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "policy/cidr.hpp"
#include "policy/json_writer.hpp"
#include "policy/rate_limit.hpp"
#include "policy/scopes.hpp"
#include "policy/tiers.hpp"

namespace sluice {

void write_field_value(json_writer& w, std::uint64_t v);
void write_field_value(json_writer& w, std::int64_t v);
void write_field_value(json_writer& w, int v);
void write_field_value(json_writer& w, bool v);
void write_field_value(json_writer& w, const std::string& v);
/// An array of strings.
void write_field_value(json_writer& w, const std::vector<std::string>& v);
/// "100/minute", or null when there is no limit.
void write_field_value(json_writer& w, const std::optional<rate_limit>& l);
/// The overrides that are set, as an object.
void write_field_value(json_writer& w, const cap_overrides& o);
/// The scopes' names, as an array.
void write_field_value(json_writer& w, const scope_set& scopes);
/// The entries as written ("10.0.0.0/8"), as an array.
void write_field_value(json_writer& w, const ip_allowlist& l);
/// An enum by its name (its `to_string`).
template <class E>
requires std::is_enum_v<E>
void write_field_value(json_writer& w, E v) { w.value(to_string(v)); }

} // namespace sluice
