#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"

namespace sluice::net {

/// Reads the JSON body of an admin call. Strict on purpose: a field the
/// operation does not know is refused (400 naming it), so that a setting Sluice
/// does not enforce yet (an IP allowlist, say) is never silently ignored.
/// `null` counts as absent. Holds a simdjson parser: one per admin actor.
class json_body {
public:
  json_body();
  ~json_body();
  json_body(const json_body&) = delete;
  json_body& operator=(const json_body&) = delete;

  /// Parses `body` (empty counts as {}) and checks every key is in `allowed`.
  problem open(std::string_view body, std::initializer_list<std::string_view> allowed) {
    return open(body, std::span<const std::string_view>{allowed.begin(), allowed.size()});
  }
  problem open(std::string_view body, std::span<const std::string_view> allowed);

  /// Whether a key is absent, null, or has a value (PATCH semantics: absent
  /// keeps, null removes, a value sets).
  enum class presence : std::uint8_t { absent, null, value };
  presence has(std::string_view key) const;

  /// Reads the object under `key` from now on (until ascend(), which goes
  /// back one level; objects nest), checking its
  /// keys against `allowed`; `found` tells whether there is one.
  problem descend(std::string_view key, std::initializer_list<std::string_view> allowed,
                  bool& found) {
    return descend(key, std::span<const std::string_view>{allowed.begin(), allowed.size()}, found);
  }
  problem descend(std::string_view key, std::span<const std::string_view> allowed, bool& found);
  void ascend();

  /// A string of 1..max_len bytes (0..max_len when `allow_empty`).
  problem text(std::string_view key, std::optional<std::string>& out, bool required,
               std::size_t max_len, bool allow_empty = false);
  problem integer(std::string_view key, std::optional<std::int64_t>& out, bool required);
  /// An integer in [min, max].
  problem integer(std::string_view key, std::optional<std::int64_t>& out, bool required,
                  std::int64_t min, std::int64_t max);
  problem boolean(std::string_view key, std::optional<bool>& out, bool required);
  problem strings(std::string_view key, std::optional<std::vector<std::string>>& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::net
