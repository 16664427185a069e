#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/admin/json_body.hpp"
#include "policy/errors.hpp"
#include "policy/cidr.hpp"
#include "policy/ids.hpp"
#include "policy/rate_limit.hpp"
#include "policy/time_window.hpp"

namespace sluice::net {

// What every admin decoder shares: its input, paging, input bounds, and the
// parts several resources' bodies have in common (expiry, security).

/// Bounds of admin inputs.
inline constexpr std::size_t max_name_bytes = 200;
inline constexpr std::size_t max_description_bytes = 2000;
inline constexpr std::size_t max_reason_bytes = 1000;
inline constexpr std::size_t default_page = 100;
inline constexpr std::size_t max_page = 1000;

/// What a decoder reads: one admin request, already routed. The views are
/// the connection's and live while the decoder runs.
struct admin_input {
  std::string_view path_id; ///< the `{id}` of the path, as sent
  const std::vector<std::pair<std::string, std::string>>& query; ///< decoded
  std::string_view body;
  std::int64_t now_us = 0; ///< when the request arrived (expiry presets count from it)
  json_body& json;         ///< the thread's parser
};

/// Paging of list calls: `limit` and `cursor` (the id of the last item seen).
struct page_request {
  std::size_t limit = default_page;
  std::uint64_t after = 0;
};

/// Reads limit and cursor; a cursor is the id of the last item of a page (of
/// `cursor_kind`), or an opaque 11-character one when `cursor_kind` is empty.
problem read_page(const admin_input& in, page_request& out, std::optional<id_kind> cursor_kind);

/// The decoded value of query parameter `key`, if given.
std::optional<std::string_view> query_value(const admin_input& in, std::string_view key);

/// Reads query parameter `key` as an id of `kind` into `out` (left as it is
/// when the parameter is absent). The key names the kind, as in `?token=tok_…`:
/// a bad value answers "<key> must be a <key> id (<prefix>…)".
problem read_id_param(const admin_input& in, std::string_view key, id_kind kind,
                      std::optional<std::uint64_t>& out);

/// The security settings of a token as a request gives them (mint and PUT
/// …/security). PUT replaces: what is not given is unset.
struct security_request {
  ip_allowlist allowlist;
  std::optional<rate_limit> limit;
  bool limit_shadow = false;
  time_restriction hours;
};

/// Reads the "security" object of a mint body (absent: nothing set).
problem read_security(json_body& json, security_request& out);

/// Reads the security settings from the object being read (the body of PUT
/// …/security, or the "security" object of a mint body once descended).
/// `prefix` names where, in messages ("security.").
problem read_security_fields(json_body& json, security_request& out, std::string_view prefix);

/// A reason of 1..max_reason_bytes, required or not (`"reason" is required`).
problem read_reason(json_body& json, std::string& out, bool required);

/// Reads a list of ids of `kind` ("sys_…") under `key`.
problem read_ids(json_body& json, std::string_view key, id_kind kind,
                 std::vector<std::uint64_t>& out);

/// Reads expires_in (a preset: 1w, 1m, 3m, 6m, 1y) or expires_at (RFC 3339,
/// in the future) into µs since the epoch; 0 when neither is given.
problem read_expiry(json_body& json, std::int64_t now_us, std::int64_t& expires_at_us);

} // namespace sluice::net
