#include "net/ingest_routes.hpp"

#include <charconv>

#include <algorithm>
#include <memory>

#include <boost/beast/core/string.hpp>

#include "net/auth.hpp"
#include "net/decompress.hpp"
#include "net/doors.hpp"
#include "net/error_table.hpp"
#include "net/langfuse.hpp"
#include "net/url.hpp"
#include "net/webhook.hpp"
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

/// The native and webhook doors' answer (an ingest_formatter): built on the
/// connection's thread into its reused response.
void ingest_response(ingest_reply&& reply, http_response& into) {
  if (reply.failure) {
    into = error_response(reply.failure);
  } else {
    into.status = 202;
    json_writer w{into.body};
    w.begin_object()
      .field("accepted", static_cast<std::uint64_t>(reply.accepted))
      .field("duplicates", static_cast<std::uint64_t>(reply.duplicates))
      .end_object();
  }
  add_rate_headers(into, reply.rate);
  into.token_id = reply.token_id;
}

/// The callback of a door answered by ingest_response: small enough to
/// travel with its request without an allocation (net/small_function.hpp).
ingest_callback answer_with_ingest_response(responder res) {
  // Called once (reply_once): the answer takes the responder's reference.
  auto answer = [res = std::move(res)](ingest_reply&& reply) mutable {
    std::move(res).send(std::move(reply), &ingest_response);
  };
  static_assert(ingest_callback::stored_inline<decltype(answer)>);
  return answer;
}

} // namespace

http_response ingest_routes::refusal(unsigned status, std::string_view why) {
  return refusal_response(status, why);
}

std::vector<route_info> ingest_route_list() {
  return {
    {"POST", "/messages", "", true},
    {"POST", "/otlp/v1/logs", "", true},
    {"POST", "/otlp/v1/traces", "", true},
    {"POST", "/api/public/ingestion", "", true},
    // The token is in the path: no header, no api_key.
    {"POST", "/webhooks/{token}", "", false},
    {"OPTIONS", "/webhooks/{token}", "", false},
    {"GET", "/systems/me", "", true},
    {"GET", "/healthz", "", false},
    {"HEAD", "/healthz", "", false},
    {"GET", "/readyz", "", false},
    {"HEAD", "/readyz", "", false},
  };
}

namespace {

constexpr std::string_view webhook_prefix = "/webhooks/";

/// The 415 of a Content-Encoding other than gzip, deflate or identity.
problem unsupported_coding() {
  return make_problem(errc::unsupported_media_type,
                      "Content-Encoding must be gzip, deflate or identity");
}

/// The body as the door reads it: as sent, or inflated (Content-Encoding
/// gzip or deflate) into `scratch` under the same size cap.
problem body_of(const http_request& req, std::size_t max_bytes, std::string& scratch,
                std::string_view& out) {
  auto coding = content_coding_of(req);
  if (coding == content_coding::identity) {
    out = req.body;
    return {};
  }
  if (coding == content_coding::unsupported)
    return unsupported_coding();
  if (auto p = inflate_body(coding, req.body, max_bytes, scratch))
    return p;
  out = scratch;
  return {};
}

/// OTLP/HTTP's two encodings, by Content-Type; none for any other type.
std::optional<otlp::encoding> otlp_encoding_of(std::string_view content_type) noexcept {
  if (is_content_type(content_type, "application/x-protobuf"))
    return otlp::encoding::protobuf;
  if (is_json_content_type(content_type))
    return otlp::encoding::json;
  return std::nullopt;
}

/// The token of a webhook request: the rest of its path.
std::string_view webhook_secret(std::string_view path) noexcept {
  return path.substr(webhook_prefix.size());
}

/// The answer to a request refused before it reached the gateway.
void refuse(responder& res, problem p) { res.send(error_response(p)); }

/// An OTLP/HTTP refusal in the request's encoding. JSON requests get Sluice's
/// JSON error like every other door; protobuf requests get what the OTLP
/// specification requires, a google.rpc.Status whose message starts with
/// Sluice's error code. Status and headers (Retry-After, rate limits) are the
/// same either way: exporters decide on retries by the HTTP status.
http_response otlp_error(const problem& p, otlp::encoding e) {
  auto r = error_response(p);
  if (e == otlp::encoding::protobuf) {
    auto text = std::string{code_name(p.code)} + ": " + shown_message(p);
    r.body = otlp::encode_status(grpc_status(p.code), text);
    r.content_type = "application/x-protobuf";
  }
  return r;
}

} // namespace

void ingest_routes::end_of_turn() { gateway_.end_of_turn(); }

void ingest_routes::handle(const http_request& req, responder res) {
  // One classification of paths (net/doors.hpp) routes the request and
  // labels its count in the metrics.
  const auto door = ingest_door_of(req.path);
  if (auto refused = head_check(req, door, false))
    return res.send(std::move(*refused));
  switch (door) {
    case http_door::native: return native(req, std::move(res));
    case http_door::otlp_logs: return otlp(req, std::move(res), otlp::signal::logs);
    case http_door::otlp_traces: return otlp(req, std::move(res), otlp::signal::traces);
    case http_door::langfuse: return langfuse(req, std::move(res));
    case http_door::webhook: return webhook(req, std::move(res));
    case http_door::whoami: {
      if (req.verb != method::get)
        return res.send(method_not_allowed_response("GET"));
      if (auto bad = refused_query_param(req.query, "api_key"))
        return res.send(refused_query_response(*bad));
      std::string scratch, address;
      auto secret = extract_token(req, scratch);
      gateway_.whoami(secret, client_address(req, trusted_, address),
                      [res](json_reply&& reply) { res.send(to_response(std::move(reply))); });
      return;
    }
    case http_door::health: return res.send(health_response(req, gateway_));
    default: return res.send(not_found_response(req.path)); // not reached: head_check() refuses it
  }
}

std::optional<http_response> ingest_routes::answer_before_body(const http_request& head) {
  return head_check(head, ingest_door_of(head.path), true);
}

std::optional<http_response> ingest_routes::head_check(const http_request& req, http_door door,
                                                       bool screen_token) {
  switch (door) {
    case http_door::native:
    case http_door::otlp_logs:
    case http_door::otlp_traces:
    case http_door::langfuse:
      if (req.verb != method::post)
        return method_not_allowed_response("POST");
      // One rule on both ports: a parameter the endpoint does not define is
      // refused. Checked only when there is a query (never on the usual path).
      if (!req.query.empty())
        if (auto bad = refused_query_param(req.query, "api_key"))
          return refused_query_response(*bad);
      break;
    case http_door::webhook: {
      auto secret = webhook_secret(req.path);
      if (secret.empty() || secret.find('/') != std::string_view::npos)
        return not_found_response(req.path);
      if (req.verb != method::post && req.verb != method::options)
        return method_not_allowed_response("POST, OPTIONS");
      if (!req.query.empty())
        if (auto bad = refused_query_param(req.query, ""))
          return refused_query_response(*bad);
      if (req.verb == method::options) {
        // A probe: its token's actor answers it (webhook()), unless, before
        // a body, the secret leads to no token at all.
        if (screen_token)
          if (auto p = gateway_.screen_token(secret))
            return error_response(p);
        return std::nullopt;
      }
      break;
    }
    case http_door::whoami:
    case http_door::health: return std::nullopt; // no body to wait for: handle() checks them
    default: return not_found_response(req.path);
  }
  // The body's type and coding.
  const auto type = req.header("content-type");
  std::optional<otlp::encoding> encoding;
  if (door == http_door::otlp_logs || door == http_door::otlp_traces) {
    encoding = otlp_encoding_of(type);
    if (!encoding)
      return error_response(
        make_problem(errc::unsupported_media_type,
                     "OTLP/HTTP takes application/x-protobuf or application/json"));
  } else if (!is_json_content_type(type)) {
    return error_response(make_problem(
      errc::unsupported_media_type,
      door == http_door::native     ? "POST /messages takes application/json"
      : door == http_door::langfuse ? "the Langfuse ingestion API takes application/json"
                                    : "a webhook delivers JSON"));
  }
  auto door_error = [&](problem p) {
    return encoding ? otlp_error(p, *encoding) : error_response(p);
  };
  if (content_coding_of(req) == content_coding::unsupported)
    return door_error(unsupported_coding());
  // The token, before the body is sent at all. Otherwise the doors that
  // decode a body ask once it is inflated, before decoding it (see
  // gateway::screen_token), and POST /messages leaves it to its token actor.
  if (screen_token) {
    std::string scratch;
    const auto secret = door == http_door::webhook    ? webhook_secret(req.path)
                        : door == http_door::langfuse ? extract_token_or_basic(req, scratch)
                                                      : extract_token(req, scratch);
    if (auto p = gateway_.screen_token(secret))
      return door_error(std::move(p));
  }
  return std::nullopt;
}

void ingest_routes::native(const http_request& req, responder res) {
  thread_local std::string inflated;
  std::string_view body;
  if (auto p = body_of(req, max_body_, inflated, body))
    return refuse(res, std::move(p));
  std::string scratch, address;
  ingest_command cmd;
  cmd.secret = extract_token(req, scratch);
  cmd.body = body;
  cmd.source = message_source::native;
  cmd.client_ip = client_address(req, trusted_, address);
  cmd.received_at_us = now_us();
  gateway_.ingest(cmd, answer_with_ingest_response(std::move(res)));
}

void ingest_routes::otlp(const http_request& req, responder res, otlp::signal signal) {
  // OTLP/HTTP: binary protobuf or JSON (head_check() refused any other type),
  // and the answer in the same.
  const auto encoding = otlp_encoding_of(req.header("content-type")).value_or(otlp::encoding::json);
  thread_local std::string inflated;
  std::string_view body;
  if (auto p = body_of(req, max_body_, inflated, body))
    return res.send(otlp_error(p, encoding));
  thread_local otlp::decoded decoded;
  std::string scratch, address;
  ingest_command cmd;
  cmd.secret = extract_token(req, scratch);
  if (auto p = gateway_.screen_token(cmd.secret)) // before decoding (see screen_token)
    return res.send(otlp_error(p, encoding));
  cmd.source =
    signal == otlp::signal::logs ? message_source::otlp_logs : message_source::otlp_traces;
  cmd.client_ip = client_address(req, trusted_, address);
  cmd.received_at_us = now_us();
  cmd.decode_problem = otlp::decode(signal, encoding, body, max_records_, decoded);
  cmd.decoded = &decoded.batch;
  cmd.partial = true;
  // What the decoder rejected is part of the answer, after the commit.
  auto rejected = decoded.rejected;
  auto first_error = std::move(decoded.first_error);
  gateway_.ingest(cmd, [res, signal, encoding, rejected,
                        first_error = std::move(first_error)](ingest_reply&& reply) {
    if (reply.failure) {
      auto r = otlp_error(reply.failure, encoding);
      add_rate_headers(r, reply.rate);
      return res.send(with_token(std::move(r), reply));
    }
    auto all_rejected = rejected + reply.dropped.size();
    std::string_view why =
      first_error.empty() ? std::string_view{reply.dropped_reason} : first_error;
    http_response r;
    r.status = 200;
    r.content_type =
      encoding == otlp::encoding::protobuf ? "application/x-protobuf" : "application/json";
    r.typed_when_empty = true; // OTLP: the answer names its encoding, even when empty
    r.body = otlp::encode_response(signal, encoding, all_rejected, all_rejected ? why : "");
    add_rate_headers(r, reply.rate);
    res.send(with_token(std::move(r), reply));
  });
}

void ingest_routes::langfuse(const http_request& req, responder res) {
  thread_local std::string inflated;
  std::string_view body;
  if (auto p = body_of(req, max_body_, inflated, body))
    return refuse(res, std::move(p));
  thread_local langfuse_batch decoded;
  std::string scratch, address;
  ingest_command cmd;
  cmd.secret = extract_token_or_basic(req, scratch);
  if (auto p = gateway_.screen_token(cmd.secret)) // before decoding (see screen_token)
    return refuse(res, std::move(p));
  cmd.source = message_source::langfuse;
  cmd.client_ip = client_address(req, trusted_, address);
  cmd.received_at_us = now_us();
  cmd.decode_problem = decode_langfuse(body, max_records_, decoded);
  cmd.decoded = &decoded.batch;
  cmd.partial = true;
  // The ids and refusals answer per event after the commit.
  auto answer = std::make_shared<langfuse_batch>();
  answer->ids = std::move(decoded.ids);
  answer->refused = std::move(decoded.refused);
  gateway_.ingest(cmd, [res, answer](ingest_reply&& reply) {
    if (reply.failure) {
      auto r = error_response(reply.failure);
      add_rate_headers(r, reply.rate);
      return res.send(with_token(std::move(r), reply));
    }
    // Always 207 for a well-formed batch: one entry per event.
    http_response r;
    r.status = 207;
    r.body = langfuse_response(*answer, reply.dropped, 413, reply.dropped_reason);
    add_rate_headers(r, reply.rate);
    res.send(with_token(std::move(r), reply));
  });
}

void ingest_routes::webhook(const http_request& req, responder res) {
  std::string address;
  ingest_command cmd;
  cmd.secret = webhook_secret(req.path);
  cmd.source = message_source::webhook;
  cmd.door = ingest_door::webhook;
  cmd.client_ip = client_address(req, trusted_, address);
  cmd.received_at_us = now_us();

  if (req.verb == method::options) {
    // CloudEvents abuse protection: the sender asks whether it may deliver
    // here; granted (with the rate the token allows) for a usable token.
    auto origin = std::string{req.header("webhook-request-origin")};
    if (origin.empty()) // refused once the token is known to be good, like any body problem
      cmd.decode_problem =
        make_problem(errc::invalid_argument, "a CloudEvents validation request names its "
                                             "WebHook-Request-Origin");
    cmd.probe = true;
    gateway_.ingest(cmd, [res, origin = std::move(origin)](ingest_reply&& reply) {
      if (reply.failure)
        return res.send(with_token(error_response(reply.failure), reply));
      http_response r;
      r.status = 200;
      r.headers.emplace_back("Allow", "POST"); // CloudEvents: the method deliveries use
      r.headers.emplace_back("WebHook-Allowed-Origin", origin);
      // The token's own limit per minute; without one, any rate ("*").
      std::string rate = "*";
      if (reply.rate.token && reply.rate.token->window_s > 0)
        rate = std::to_string(
          std::max<std::uint64_t>(1, reply.rate.token->limit * 60 / reply.rate.token->window_s));
      r.headers.emplace_back("WebHook-Allowed-Rate", rate);
      res.send(with_token(std::move(r), reply));
    });
    return;
  }
  thread_local std::string inflated;
  std::string_view body;
  if (auto p = body_of(req, max_body_, inflated, body))
    return refuse(res, std::move(p));
  // Before either reading of the body below (see screen_token).
  if (auto p = gateway_.screen_token(cmd.secret))
    return refuse(res, std::move(p));

  if (boost::beast::iequals(req.header("aeg-event-type"), "SubscriptionValidation")) {
    // Azure Event Grid proves the endpoint is ours: echo its code, store nothing.
    auto code = event_grid_validation_code(body);
    if (!code) // refused once the token is known to be good, like any body problem
      cmd.decode_problem = make_problem(
        errc::invalid_argument, "a SubscriptionValidation event carries data.validationCode");
    cmd.probe = true;
    gateway_.ingest(cmd, [res, code = code.value_or("")](ingest_reply&& reply) {
      if (reply.failure)
        return res.send(with_token(error_response(reply.failure), reply));
      http_response r;
      r.status = 200;
      json_writer w{r.body};
      w.begin_object().field("validationResponse", code).end_object();
      res.send(with_token(std::move(r), reply));
    });
    return;
  }
  thread_local message_batch decoded;
  cmd.decode_problem = decode_webhook(body, max_records_, decoded);
  cmd.decoded = &decoded;
  gateway_.ingest(cmd, answer_with_ingest_response(std::move(res)));
}

} // namespace sluice::net
