#include "net/admin/messages.hpp"

#include "policy/time.hpp"

namespace sluice::net {

problem decode(const admin_input& in, list_messages_req& out) {
  if (auto p = read_page(in, out.page, std::nullopt))
    return p;
  if (auto v = query_value(in, "since")) {
    auto t = parse_time_param_us(*v);
    if (!t)
      return make_problem(errc::invalid_argument,
                          "since must be an RFC 3339 time or Unix milliseconds");
    out.since_us = *t;
  }
  if (auto v = query_value(in, "until")) {
    auto t = parse_time_param_us(*v);
    if (!t)
      return make_problem(errc::invalid_argument,
                          "until must be an RFC 3339 time or Unix milliseconds");
    out.until_us = *t;
  }
  if (auto p = read_id_param(in, "token", id_kind::token, out.token_id))
    return p;
  if (auto v = query_value(in, "level")) {
    out.level = parse_message_level(*v);
    if (!out.level)
      return make_problem(errc::invalid_argument,
                          "level must be one of debug, info, warn, error, fatal");
  }
  if (auto v = query_value(in, "source")) {
    out.source = parse_message_source(*v);
    if (!out.source)
      return make_problem(
        errc::invalid_argument,
        "source must be one of native, otlp_logs, otlp_traces, langfuse, webhook");
  }
  return {};
}

problem decode(const admin_input& in, stream_messages_req& out) {
  if (auto p = read_id_param(in, "token", id_kind::token, out.token_id))
    return p;
  return {};
}

} // namespace sluice::net
