#include "net/ingest_routes.hpp"

#include <charconv>

#include "net/auth.hpp"
#include "net/error_table.hpp"
#include "net/url.hpp"
#include "policy/json_writer.hpp"
#include "policy/time.hpp"

namespace sluice::net {

namespace {

/// The rate-limit headers (docs/api.md): the X-RateLimit trio for the
/// tightest limit, the IETF draft's RateLimit-Policy naming every limit and
/// RateLimit naming the tightest, and X-AL-Sampled while sampling. Written
/// straight into the response's header block: no allocation per header.
void add_rate_headers(http_response& res, const rate_report& rate) {
  if (!rate.present())
    return;
  auto& out = res.header_lines;
  out.reserve(out.size() + 256);
  auto number = [&](std::uint64_t x) {
    char buf[24];
    out.append(buf, std::to_chars(buf, buf + sizeof buf, x).ptr);
  };
  auto& tight = rate.tightest_state();
  out += "X-RateLimit-Limit: ";
  number(tight.limit);
  out += "\r\nX-RateLimit-Remaining: ";
  number(tight.remaining);
  out += "\r\nX-RateLimit-Reset: ";
  number(tight.reset_s);
  out += "\r\nRateLimit-Policy: ";
  bool first = true;
  auto describe = [&](std::string_view name, const limit_state& l) {
    if (!first)
      out += ", ";
    first = false;
    out += '"';
    out += name;
    out += "\";q=";
    number(l.limit);
    out += ";w=";
    number(l.window_s);
  };
  if (rate.burst)
    describe("burst", *rate.burst);
  if (rate.token)
    describe("token", *rate.token);
  out += "\r\nRateLimit: \"";
  out += rate.tightest();
  out += "\";r=";
  number(tight.remaining);
  out += ";t=";
  number(tight.reset_s);
  out += "\r\n";
  if (rate.sampled)
    out += "X-AL-Sampled: true\r\n";
}

http_response ingest_response(ingest_reply&& reply) {
  http_response res;
  if (reply.failure) {
    res = error_response(reply.failure);
  } else {
    res.status = 202;
    json_writer w{res.body};
    w.begin_object()
      .field("accepted", static_cast<std::uint64_t>(reply.accepted))
      .field("duplicates", static_cast<std::uint64_t>(reply.duplicates))
      .end_object();
  }
  add_rate_headers(res, reply.rate);
  return res;
}

} // namespace

http_response ingest_routes::refusal(unsigned status, std::string_view why) {
  return refusal_response(status, why);
}

std::vector<route_info> ingest_route_list() {
  return {
    {"POST", "/messages", "", true},
    {"GET", "/systems/me", "", true},
    {"GET", "/healthz", "", false},
    {"HEAD", "/healthz", "", false},
  };
}

void ingest_routes::handle(const http_request& req, responder res) {
  if (req.path == "/messages") {
    if (req.verb != method::post)
      return res.send(method_not_allowed_response("POST"));
    // One rule on both ports: a parameter the endpoint does not define is
    // refused. Checked only when there is a query (never on the usual path).
    if (!req.query.empty())
      if (auto bad = unknown_query_param(req.query, "api_key"))
        return res.send(unknown_query_response(*bad));
    if (!is_json_content_type(req.header("content-type")))
      return res.send(error_response(make_problem(
        errc::unsupported_media_type, "POST /messages takes application/json")));
    std::string scratch, address;
    ingest_command cmd;
    cmd.secret = extract_token(req, scratch);
    cmd.body = req.body;
    cmd.source = message_source::native;
    cmd.client_ip = client_address(req, trusted_, address);
    cmd.received_at_us = now_us();
    gateway_.ingest(cmd, [res](ingest_reply&& reply) {
      res.send(ingest_response(std::move(reply)));
    });
    return;
  }
  if (req.path == "/systems/me") {
    if (req.verb != method::get)
      return res.send(method_not_allowed_response("GET"));
    if (auto bad = unknown_query_param(req.query, "api_key"))
      return res.send(unknown_query_response(*bad));
    std::string scratch, address;
    auto secret = extract_token(req, scratch);
    gateway_.whoami(secret, client_address(req, trusted_, address), [res](json_reply&& reply) {
      res.send(to_response(std::move(reply)));
    });
    return;
  }
  if (req.path == "/healthz")
    return res.send(healthz_response(req, gateway_.healthy()));
  res.send(not_found_response(req.path));
}

} // namespace sluice::net
