#include "net/admin/common.hpp"

#include <charconv>

#include "policy/base62.hpp"
#include "policy/retention.hpp"
#include "policy/time.hpp"

namespace sluice::net {

problem read_page(const admin_input& in, page_request& out, std::optional<id_kind> cursor_kind) {
  for (auto& [key, value] : in.query) {
    if (key == "limit") {
      std::size_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc{} || ptr != value.data() + value.size() || n < 1 || n > max_page)
        return make_problem(errc::invalid_argument,
                            "limit must be a whole number from 1 to " + std::to_string(max_page));
      out.limit = n;
    } else if (key == "cursor") {
      std::optional<std::uint64_t> id;
      if (cursor_kind)
        id = parse_id(*cursor_kind, value);
      else if (value.size() == 11)
        id = base62::decode(value);
      if (!id)
        return make_problem(errc::invalid_argument, "cursor is not one this API gave out");
      out.after = *id;
    }
  }
  return {};
}

std::optional<std::string_view> query_value(const admin_input& in, std::string_view key) {
  for (auto& [k, v] : in.query)
    if (k == key)
      return std::string_view{v};
  return std::nullopt;
}

problem read_id_param(const admin_input& in, std::string_view key, id_kind kind,
                      std::optional<std::uint64_t>& out) {
  auto v = query_value(in, key);
  if (!v)
    return {};
  out = parse_id(kind, *v);
  if (!out)
    return make_problem(errc::invalid_argument, std::string{key} + " must be a " + std::string{key}
                                                  + " id (" + std::string{id_prefix(kind)} + "…)");
  return {};
}

/// The keys of a security object.
constexpr std::string_view security_keys[] = {"ip_allowlist", "rate_limit", "rate_limit_shadow",
                                              "time_restriction"};

problem read_security_fields(json_body& json, security_request& out, std::string_view prefix) {
  auto where = [&](std::string_view key) {
    return "\"" + std::string{prefix} + std::string{key} + "\"";
  };
  std::optional<std::vector<std::string>> allow;
  std::optional<std::string> text;
  std::optional<bool> shadow;
  for (auto p : {json.strings("ip_allowlist", allow), json.text("rate_limit", text, false, 32),
                 json.boolean("rate_limit_shadow", shadow, false)})
    if (p)
      return p;
  if (allow) {
    std::string bad;
    auto parsed = ip_allowlist::parse(*allow, bad);
    if (!parsed)
      return make_problem(errc::invalid_argument,
                          where("ip_allowlist") + " " + ip_allowlist::problem(*allow, bad));
    out.allowlist = std::move(*parsed);
  }
  if (text) {
    out.limit = parse_rate_limit(*text);
    if (!out.limit)
      return make_problem(errc::invalid_argument,
                          where("rate_limit")
                            + " must look like 1000/hour (N/second, N/minute, N/hour or N/day)");
  }
  out.limit_shadow = shadow.value_or(false);
  bool found = false;
  if (auto p = json.descend("time_restriction", {"hours", "days"}, found))
    return p;
  if (found) {
    std::optional<std::string> hours;
    std::optional<std::vector<std::string>> days;
    auto p = json.text("hours", hours, false, 16);
    if (!p)
      p = json.strings("days", days);
    json.ascend();
    if (p)
      return p;
    std::string error;
    std::optional<std::string_view> h;
    if (hours)
      h = *hours;
    auto parsed = time_restriction::parse(h, days.value_or(std::vector<std::string>{}), error);
    if (!parsed)
      return make_problem(errc::invalid_argument,
                          std::string{prefix} + "time_restriction: " + error);
    out.hours = *parsed;
  }
  return {};
}

problem read_security(json_body& json, security_request& out) {
  bool found = false;
  if (auto p = json.descend("security", security_keys, found))
    return p;
  if (!found)
    return {};
  auto p = read_security_fields(json, out, "security.");
  json.ascend();
  return p;
}

problem read_reason(json_body& json, std::string& out, bool required) {
  std::optional<std::string> reason;
  if (auto p = json.text("reason", reason, required, max_reason_bytes))
    return p;
  out = reason.value_or("");
  return {};
}

problem read_ids(json_body& json, std::string_view key, id_kind kind,
                 std::vector<std::uint64_t>& out) {
  std::optional<std::vector<std::string>> texts;
  if (auto p = json.strings(key, texts))
    return p;
  out.clear();
  if (!texts)
    return {};
  for (auto& t : *texts) {
    auto id = parse_id(kind, t);
    if (!id)
      return make_problem(errc::invalid_argument, "\"" + std::string{key} + "\" has \"" + t
                                                    + "\", which is not a "
                                                    + std::string{id_prefix(kind)} + "… id");
    out.push_back(*id);
  }
  return {};
}

namespace {

/// Expiry presets of a mint request.
std::optional<std::int64_t> preset_us(std::string_view p) {
  constexpr std::int64_t day = retention::us_per_day;
  if (p == "1w")
    return 7 * day;
  if (p == "1m")
    return 30 * day;
  if (p == "3m")
    return 90 * day;
  if (p == "6m")
    return 182 * day;
  if (p == "1y")
    return 365 * day;
  return std::nullopt;
}

} // namespace

problem read_expiry(json_body& json, std::int64_t now_us, std::int64_t& expires_at_us) {
  expires_at_us = 0;
  std::optional<std::string> in, at;
  if (auto p = json.text("expires_in", in, false, 8))
    return p;
  if (auto p = json.text("expires_at", at, false, 64))
    return p;
  if (in && at)
    return make_problem(errc::invalid_argument, "give \"expires_in\" or \"expires_at\", not both");
  if (in) {
    auto d = preset_us(*in);
    if (!d)
      return make_problem(errc::invalid_argument,
                          "\"expires_in\" must be one of 1w, 1m, 3m, 6m, 1y");
    expires_at_us = now_us + *d;
  }
  if (at) {
    auto t = parse_rfc3339_us(*at);
    if (!t || *t <= now_us)
      return make_problem(errc::invalid_argument,
                          "\"expires_at\" must be an RFC 3339 time in the future");
    expires_at_us = *t;
  }
  return {};
}

} // namespace sluice::net
