#include "net/responses.hpp"

#include <boost/beast/core/string.hpp>

#include "net/auth.hpp"
#include "net/error_table.hpp"
#include "net/url.hpp"
#include "policy/json_writer.hpp"

namespace sluice::net {

bool is_json_content_type(std::string_view ct) noexcept {
  auto semi = ct.find(';');
  auto type = ct.substr(0, semi);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
    type.remove_prefix(1);
  if (type.empty())
    return true;
  auto ends_with = [&](std::string_view suffix) {
    return type.size() >= suffix.size()
           && boost::beast::iequals(type.substr(type.size() - suffix.size()), suffix);
  };
  return (type.size() == 16 && ends_with("application/json")) || ends_with("+json");
}

bool is_content_type(std::string_view ct, std::string_view type) noexcept {
  auto media = ct.substr(0, ct.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t'))
    media.remove_suffix(1);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t'))
    media.remove_prefix(1);
  return boost::beast::iequals(media, type);
}

http_response refusal_response(unsigned status, std::string_view why) {
  auto code = status == 413   ? errc::request_too_large
              : status == 414 ? errc::uri_too_long
              : status == 431 ? errc::header_too_large
                              : errc::invalid_argument;
  auto res = error_response(make_problem(code, std::string{why}));
  res.status = status;
  return res;
}

http_response not_found_response(std::string_view path) {
  return error_response(
    make_problem(errc::not_found, "no such endpoint: " + path_without_secrets(path)));
}

http_response method_not_allowed_response(std::string_view allow) {
  auto res = error_response(
    make_problem(errc::method_not_allowed, "this endpoint allows " + std::string{allow} + " only"));
  res.headers.emplace_back("Allow", std::string{allow});
  return res;
}

http_response health_response(const http_request& req, const gateway& gw) {
  if (req.verb != method::get && req.verb != method::head)
    return method_not_allowed_response("GET, HEAD");
  if (auto bad = refused_query_param(req.query, ""))
    return refused_query_response(*bad);
  http_response out;
  if (req.path != "/readyz") {
    out.body = R"({"status":"ok"})";
    return out;
  }
  auto r = gw.ready();
  if (r.ready()) {
    out.body = R"({"status":"ready"})";
    return out;
  }
  out.status = 503;
  json_writer w{out.body};
  w.begin_object().field("status", "not_ready").key("failing").begin_array();
  for (auto& f : r.failures)
    w.begin_object().field("check", f.check).field("message", f.message).end_object();
  w.end_array().end_object();
  return out;
}

http_response to_response(json_reply&& reply) {
  if (reply.failure)
    return with_token(error_response(reply.failure), reply);
  http_response res;
  res.token_id = reply.token_id;
  switch (reply.kind) {
    case reply_kind::ok: res.status = 200; break;
    case reply_kind::created: res.status = 201; break;
    case reply_kind::accepted: res.status = 202; break;
  }
  res.body = std::move(reply.body);
  return res;
}

http_response refused_query_response(const query_refusal& why) {
  // A secret sent as a parameter name (`?al_…`) is not echoed back
  // (error_response redacts every message).
  return error_response(make_problem(
    errc::invalid_argument, "\"" + why.name
                              + (why.repeated ? "\" is given more than once; give each query "
                                                "parameter once"
                                              : "\" is not a query parameter of this call")));
}

} // namespace sluice::net
