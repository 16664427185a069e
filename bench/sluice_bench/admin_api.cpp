#include "bench/sluice_bench/admin_api.hpp"

#include <simdjson.h>

namespace sluice::bench {

namespace od = simdjson::ondemand;

namespace {

[[noreturn]] void fail(std::string_view call, const admin_reply& r) {
  std::string body = r.body.substr(0, 300);
  throw admin_error(std::string{call} + " answered " + std::to_string(r.status) + ": " + body,
                    r.status);
}

/// Minimal JSON string escaping for names we build ourselves.
std::string json_quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string string_at(std::string_view call, const admin_reply& r, std::string_view pointer) {
  od::parser parser;
  simdjson::padded_string json{r.body};
  od::document doc;
  std::string_view v;
  if (parser.iterate(json).get(doc) || doc.at_pointer(pointer).get_string().get(v))
    throw admin_error(std::string{call} + ": no " + std::string{pointer} + " in "
                        + r.body.substr(0, 300),
                      r.status);
  return std::string{v};
}

std::string mint_body_fields(const mint_spec& spec) {
  std::string out;
  if (spec.retention_days)
    out += ",\"retention_days\":" + std::to_string(*spec.retention_days);
  if (!spec.rate_limit.empty())
    out += ",\"security\":{\"rate_limit\":" + json_quoted(spec.rate_limit) + "}";
  return out;
}

} // namespace

std::string create_tenant(admin_client& c, std::string_view name, std::string_view tier,
                          bool unlimited) {
  std::string body = "{\"name\":" + json_quoted(name) + ",\"tier\":" + json_quoted(tier);
  if (unlimited)
    body += ",\"overrides\":{\"steady_rate\":1000000000,\"burst_rate\":1000000000}";
  body += "}";
  auto r = c.request("POST", "/api/v1/tenants", body);
  if (r.status != 201)
    fail("POST /api/v1/tenants", r);
  return string_at("POST /api/v1/tenants", r, "/id");
}

std::string create_system(admin_client& c, std::string_view tenant_id, std::string_view name) {
  std::string target = "/api/v1/tenants/" + std::string{tenant_id} + "/systems";
  auto r = c.request("POST", target, "{\"name\":" + json_quoted(name) + "}");
  if (r.status != 201)
    fail("POST " + target, r);
  return string_at("POST " + target, r, "/id");
}

minted_token mint_token(admin_client& c, std::string_view system_id, const mint_spec& spec) {
  std::string target = "/api/v1/systems/" + std::string{system_id} + "/tokens";
  auto r = c.request("POST", target, "{\"name\":\"bench\"" + mint_body_fields(spec) + "}");
  if (r.status != 201)
    fail("POST " + target, r);
  return {string_at("POST " + target, r, "/token/id"), string_at("POST " + target, r, "/secret")};
}

std::optional<std::vector<minted_token>> mint_bulk(admin_client& c, std::string_view system_id,
                                                   unsigned n, const mint_spec& spec) {
  std::string target = "/api/v1/systems/" + std::string{system_id} + "/tokens/bulk";
  auto r = c.request("POST", target,
                     "{\"count\":" + std::to_string(n) + ",\"name\":\"bench\""
                       + mint_body_fields(spec) + "}");
  if (r.status == 404 || r.status == 405)
    return std::nullopt;
  if (r.status != 201)
    fail("POST " + target, r);
  std::vector<minted_token> out;
  out.reserve(n);
  od::parser parser;
  simdjson::padded_string json{r.body};
  od::document doc;
  od::array items;
  if (parser.iterate(json).get(doc) || doc["tokens"].get_array().get(items))
    fail("POST " + target + " (no tokens array)", r);
  for (auto item : items) {
    std::string_view id, secret;
    od::object obj;
    if (item.get_object().get(obj) || obj["id"].get_string().get(id)
        || obj["secret"].get_string().get(secret))
      fail("POST " + target + " (bad token entry)", r);
    out.push_back({std::string{id}, std::string{secret}});
  }
  if (out.size() != n)
    fail("POST " + target + " (asked " + std::to_string(n) + ", got " + std::to_string(out.size())
           + ")",
         r);
  return out;
}

void revoke_token(admin_client& c, std::string_view token_id) {
  std::string target = "/api/v1/tokens/" + std::string{token_id} + "/revoke";
  auto r = c.request("POST", target, "{\"reason\":\"sluice-bench\"}");
  if (r.status != 200)
    fail("POST " + target, r);
}

std::optional<std::string>
read_messages_page(admin_client& c, std::string_view system_id,
                   const std::optional<std::string>& cursor,
                   const std::function<void(std::string_view)>& on_bseq) {
  std::string target = "/api/v1/systems/" + std::string{system_id} + "/messages?limit=1000";
  if (cursor)
    target += "&cursor=" + url_encode(*cursor);
  auto r = c.request("GET", target);
  if (r.status != 200)
    fail("GET " + target, r);
  // One parser per thread: pages are up to a few hundred KB, and a fresh
  // parser would allocate its buffers for each of them.
  thread_local od::parser parser;
  simdjson::padded_string json{r.body};
  od::document doc;
  od::array items;
  if (parser.iterate(json).get(doc) || doc["items"].get_array().get(items))
    fail("GET " + target + " (no items)", r);
  for (auto item : items) {
    od::object obj;
    if (item.get_object().get(obj))
      fail("GET " + target + " (an item is not an object)", r);
    // "source" comes before "body" in an item, so On-Demand reads on forward.
    std::string_view source, bseq;
    od::object body, attributes;
    bool otlp = !obj["source"].get_string().get(source) && source == "otlp_logs";
    bool found = !obj["body"].get_object().get(body)
                 && (otlp ? !body["attributes"].get_object().get(attributes)
                              && !attributes["bseq"].get_string().get(bseq)
                          : !body["bseq"].get_string().get(bseq));
    on_bseq(found ? bseq : std::string_view{});
  }
  od::value next;
  if (doc["next_cursor"].get(next))
    fail("GET " + target + " (no next_cursor)", r);
  bool last = false;
  if (next.is_null().get(last))
    fail("GET " + target + " (bad next_cursor)", r);
  if (last)
    return std::nullopt;
  std::string_view s;
  if (next.get_string().get(s))
    fail("GET " + target + " (next_cursor is not a string)", r);
  return std::string{s};
}

} // namespace sluice::bench
