#include "net/langfuse.hpp"

#include <simdjson.h>

#include <algorithm>
#include <optional>

#include "net/json_parser.hpp"
#include "policy/json_writer.hpp"
#include "policy/time.hpp"
#include "policy/json_errors.hpp"

namespace sluice::net {

namespace {

namespace dom = simdjson::dom;

/// A Langfuse level (DEBUG, DEFAULT, WARNING, ERROR) as a message level.
message_level level_of(dom::object body) {
  std::string_view l;
  if (body["level"].get_string().get(l) != simdjson::SUCCESS)
    return message_level::none;
  if (l == "DEBUG")
    return message_level::debug;
  if (l == "DEFAULT")
    return message_level::info;
  if (l == "WARNING")
    return message_level::warn;
  if (l == "ERROR")
    return message_level::error;
  return message_level::none;
}

/// What a person reads first in the message list: "generation-create: llm-call".
std::string headline(std::string_view type, dom::object body) {
  std::string out{type};
  std::string_view name;
  if (body["name"].get_string().get(name) == simdjson::SUCCESS && !name.empty())
    out.append(": ").append(name);
  return out;
}

} // namespace

problem decode_langfuse(std::string_view body, std::size_t max_events, langfuse_batch& out) {
  // Cleared, not replaced: the caller reuses `out`, and its buffers with it.
  out.batch.clear();
  out.ids.clear();
  out.refused.clear();
  if (body.size() > langfuse_max_body_bytes)
    return make_problem(errc::request_too_large, "a Langfuse batch is at most 3.5 MB");
  dom::element root;
  if (auto err = thread_json_parser().parse(body.data(), body.size()).get(root))
    return json_body_problem(err);
  dom::object obj;
  dom::array events;
  if (root.get_object().get(obj) != simdjson::SUCCESS
      || obj["batch"].get_array().get(events) != simdjson::SUCCESS)
    return make_problem(errc::invalid_argument,
                        "the body must be an object with a \"batch\" array of events");
  if (events.size() > max_events)
    return make_problem(errc::batch_too_large,
                        "a batch holds at most " + std::to_string(max_events) + " events");
  std::string_view batch_metadata;
  std::string meta_text;
  if (dom::element m; obj["metadata"].get(m) == simdjson::SUCCESS && !m.is_null()) {
    meta_text = simdjson::minify(m);
    batch_metadata = meta_text;
  }
  std::string json;
  for (auto ev : events) {
    dom::object e;
    std::string_view id, type, timestamp;
    dom::object ebody;
    if (ev.get_object().get(e) != simdjson::SUCCESS) {
      out.refused.push_back({"", 400, "an event must be an object"});
      continue;
    }
    if (e["id"].get_string().get(id) != simdjson::SUCCESS)
      id = {}; // absent, or not a string: no id to answer with
    if (id.empty() || id.size() > max_message_id_bytes) {
      // A string too long is answered with itself, so that the sender can
      // tell which event it was.
      out.refused.push_back({std::string{id}, 400, "an event needs an \"id\" of 1 to 128 bytes"});
      continue;
    }
    if (e["type"].get_string().get(type) != simdjson::SUCCESS
        || std::find(std::begin(langfuse_event_types), std::end(langfuse_event_types), type)
             == std::end(langfuse_event_types)) {
      out.refused.push_back({std::string{id}, 400,
                             "\"type\" must be one of trace-create, span-create, span-update, "
                             "generation-create, generation-update, event-create, score-create, "
                             "sdk-log"});
      continue;
    }
    if (e["body"].get_object().get(ebody) != simdjson::SUCCESS) {
      out.refused.push_back({std::string{id}, 400, "an event needs a \"body\" object"});
      continue;
    }
    std::int64_t at = no_event_time;
    // Absent or null: none. Anything else must be an RFC 3339 string.
    if (dom::element ts; e["timestamp"].get(ts) == simdjson::SUCCESS && !ts.is_null()) {
      std::optional<std::int64_t> t;
      if (ts.get_string().get(timestamp) == simdjson::SUCCESS)
        t = parse_rfc3339_us(timestamp);
      if (!t) {
        out.refused.push_back({std::string{id}, 400, "\"timestamp\" must be an RFC 3339 time"});
        continue;
      }
      at = *t;
    }
    // Stored: what the event was, its own body as sent, and the batch's
    // metadata (the SDK's name and version), so it can be found again.
    json.clear();
    json_writer w{json};
    w.begin_object()
      .field("message", headline(type, ebody))
      .field("type", type)
      .field("event_id", id);
    if (!timestamp.empty())
      w.field("timestamp", timestamp);
    w.key("body").raw(simdjson::minify(ebody));
    if (dom::element m; e["metadata"].get(m) == simdjson::SUCCESS && !m.is_null())
      w.key("metadata").raw(simdjson::minify(m));
    if (!batch_metadata.empty())
      w.key("batch_metadata").raw(batch_metadata);
    w.end_object();
    out.batch.add(json, id, at, level_of(ebody));
    out.ids.emplace_back(id);
  }
  return {};
}

std::string langfuse_response(const langfuse_batch& in, const std::vector<std::uint32_t>& dropped,
                              unsigned dropped_status, std::string_view dropped_reason) {
  std::string out;
  json_writer w{out};
  w.begin_object().key("successes").begin_array();
  for (std::size_t i = 0; i < in.ids.size(); ++i)
    if (std::find(dropped.begin(), dropped.end(), i) == dropped.end())
      w.begin_object().field("id", in.ids[i]).field("status", 201u).end_object();
  w.end_array().key("errors").begin_array();
  for (auto i : dropped)
    w.begin_object()
      .field("id", in.ids[i])
      .field("status", dropped_status)
      .field("message", dropped_reason)
      .end_object();
  for (auto& r : in.refused)
    w.begin_object()
      .field("id", r.id)
      .field("status", r.status)
      .field("message", r.message)
      .end_object();
  w.end_array().end_object();
  return out;
}

} // namespace sluice::net
