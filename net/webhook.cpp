#include "net/webhook.hpp"

#include <simdjson.h>

#include "net/json_parser.hpp"
#include "policy/time.hpp"
#include "policy/json_errors.hpp"

namespace sluice::net {

namespace {

namespace dom = simdjson::dom;

/// One delivered event as a message: its id (CloudEvents "id", Event Grid
/// "id") for dedup, its time ("time", or Event Grid's "eventTime").
void add_event(dom::element ev, message_batch& out) {
  std::string_view id;
  std::int64_t at = no_event_time;
  if (dom::object o; ev.get_object().get(o) == simdjson::SUCCESS) {
    if (o["id"].get_string().get(id) != simdjson::SUCCESS || id.size() > max_message_id_bytes)
      id = {};
    // The first of the two that is an RFC 3339 time: a "time" of another
    // form does not hide an "eventTime" that is one.
    for (auto* name : {"time", "eventTime"}) {
      std::string_view t;
      if (o[name].get_string().get(t) != simdjson::SUCCESS)
        continue;
      if (auto parsed = parse_rfc3339_us(t)) {
        at = *parsed;
        break;
      }
    }
  }
  out.add(simdjson::minify(ev), id, at);
}

} // namespace

problem decode_webhook(std::string_view body, std::size_t max_messages, message_batch& out) {
  out.clear();
  dom::element root;
  if (auto err = thread_json_parser().parse(body.data(), body.size()).get(root))
    return json_body_problem(err);
  dom::array events;
  if (root.get_array().get(events) != simdjson::SUCCESS) {
    add_event(root, out);
    return {};
  }
  if (events.size() > max_messages)
    return make_problem(errc::batch_too_large,
                        "a delivery holds at most " + std::to_string(max_messages) + " events");
  for (auto ev : events)
    add_event(ev, out);
  return {};
}

std::optional<std::string> event_grid_validation_code(std::string_view body) {
  dom::element root;
  if (thread_json_parser().parse(body.data(), body.size()).get(root) != simdjson::SUCCESS)
    return std::nullopt;
  dom::element first = root;
  if (dom::array a; root.get_array().get(a) == simdjson::SUCCESS) {
    if (a.size() == 0)
      return std::nullopt;
    first = a.at(0).value_unsafe();
  }
  std::string_view code;
  if (first["data"]["validationCode"].get_string().get(code) != simdjson::SUCCESS)
    return std::nullopt;
  return std::string{code};
}

} // namespace sluice::net
