#include "net/otlp/protobuf_reader.hpp"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>
#include <vector>

#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"

namespace sluice::net::otlp {

namespace {

namespace pb = google::protobuf;
namespace common = opentelemetry::proto::common::v1;
namespace logs = opentelemetry::proto::logs::v1;
namespace trace = opentelemetry::proto::trace::v1;
namespace collector_logs = opentelemetry::proto::collector::logs::v1;
namespace collector_trace = opentelemetry::proto::collector::trace::v1;

using key_values = pb::RepeatedPtrField<common::KeyValue>;

// Kept for the life of the thread: big enough for a typical batch of an SDK
// exporter (512 records), small enough not to matter per thread.
constexpr std::size_t first_block_bytes = 256 * 1024;
// Blocks past the first grow up to this, so a large request takes few mallocs.
constexpr std::size_t max_block_bytes = 1024 * 1024;

std::string id_size_error(std::string_view field, std::size_t got, std::size_t want) {
  return std::string{field} + " is " + std::to_string(got) + " bytes, not " + std::to_string(want);
}

problem too_many(signal s, std::size_t max_records) {
  return make_problem(errc::batch_too_large, "a request may hold at most "
                                               + std::to_string(max_records)
                                               + (s == signal::logs ? " log records" : " spans"));
}

problem too_big_to_store() {
  return make_problem(errc::request_too_large, "the request is too large to store at once");
}

/// Whether the request in `body` holds more than `max_records` records,
/// counted on the wire format without parsing it: field 1 of the request
/// (resource_logs, resource_spans) holds field 2 (scope_logs, scope_spans),
/// which holds field 2 (log_records, spans), in both signals. Parsing
/// first would build every record in the arena before it could be
/// counted: 8 MB of empty records (a few kilobytes gzipped, before the
/// token is known) made half a gigabyte of them. Stops at the first record
/// over; anything it cannot read is left to the parse to refuse.
bool more_records_than(std::string_view body, std::size_t max_records) {
  using wire = pb::internal::WireFormatLite;
  std::size_t count = 0;
  // Calls `f(field, stream)` for each length-delimited field of the
  // message `in` holds up to its limit, skipping the others; false on a
  // malformed message or when `f` says stop.
  auto each = [](pb::io::CodedInputStream& in, auto&& f) {
    for (;;) {
      auto tag = in.ReadTag();
      if (tag == 0)
        return in.ConsumedEntireMessage() || in.BytesUntilLimit() == 0;
      if (wire::GetTagWireType(tag) != wire::WIRETYPE_LENGTH_DELIMITED) {
        if (!wire::SkipField(&in, tag))
          return false;
        continue;
      }
      std::uint32_t len = 0;
      if (!in.ReadVarint32(&len))
        return false;
      auto limit = in.PushLimit(static_cast<int>(len));
      if (!f(wire::GetTagFieldNumber(tag), in))
        return false;
      if (!in.Skip(in.BytesUntilLimit()))
        return false;
      in.PopLimit(limit);
    }
  };
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                              static_cast<int>(body.size()));
  bool over = false;
  each(in, [&](int field, pb::io::CodedInputStream& s) {
    if (field != 1)
      return true;
    return each(s, [&](int field, pb::io::CodedInputStream& s) {
      if (field != 2)
        return true;
      return each(s, [&](int field, pb::io::CodedInputStream&) {
        if (field == 2 && ++count > max_records)
          over = true;
        return !over;
      });
    });
  });
  return over;
}

} // namespace

struct protobuf_reader::impl {
  std::unique_ptr<char[]> first_block{new char[first_block_bytes]};
  pb::Arena arena{options(first_block.get())};
  std::vector<std::uint8_t> overwritten; ///< per key/value list being written, innermost last
  record_builder* rb = nullptr;

  static pb::ArenaOptions options(char* block) {
    pb::ArenaOptions o;
    o.initial_block = block;
    o.initial_block_size = first_block_bytes;
    o.max_block_size = max_block_bytes;
    return o;
  }

  void any(json_writer& w, const common::AnyValue& v);
  void object(json_writer& w, const key_values& kvs);

  /// `kvs` as a JSON object in `out`; `out` stays empty when there are none.
  std::string_view attributes(const key_values& kvs, std::string& out) {
    out.clear();
    if (!kvs.empty()) {
      json_writer w{out};
      object(w, kvs);
    }
    return out;
  }

  problem logs(std::string_view body, std::size_t max_records, decoded& out);
  problem traces(std::string_view body, std::size_t max_records, decoded& out);
  void scope(const common::InstrumentationScope& s) {
    rb->set_scope(s.name(), s.version(), attributes(s.attributes(), rb->nested));
  }
};

void protobuf_reader::impl::any(json_writer& w, const common::AnyValue& v) {
  switch (v.value_case()) {
    case common::AnyValue::kStringValue: rb->text(w, v.string_value()); break;
    case common::AnyValue::kBoolValue: w.value(v.bool_value()); break;
    case common::AnyValue::kIntValue: w.value(static_cast<std::int64_t>(v.int_value())); break;
    case common::AnyValue::kDoubleValue: w.value(v.double_value()); break; // NaN, ±inf: null
    case common::AnyValue::kArrayValue:
      w.begin_array();
      for (const auto& item : v.array_value().values())
        any(w, item);
      w.end_array();
      break;
    case common::AnyValue::kKvlistValue: object(w, v.kvlist_value().values()); break;
    case common::AnyValue::kBytesValue: rb->bytes(w, v.bytes_value()); break;
    case common::AnyValue::VALUE_NOT_SET: w.null(); break;
  }
}

void protobuf_reader::impl::object(json_writer& w, const key_values& kvs) {
  // Flags by index into a stack shared with nested lists: a nested list may
  // grow the vector, so no reference into it is held across the recursion.
  auto base = overwritten.size();
  auto n = static_cast<std::size_t>(kvs.size());
  overwritten.resize(base + n, 0);
  mark_overwritten(
    n, [&](std::size_t i) -> std::string_view { return kvs[static_cast<int>(i)].key(); },
    [&](std::size_t i) { overwritten[base + i] = 1; }, rb->order);
  w.begin_object();
  for (std::size_t i = 0; i < n; ++i) {
    if (overwritten[base + i])
      continue;
    const auto& kv = kvs[static_cast<int>(i)];
    rb->key(w, kv.key());
    if (kv.has_value())
      any(w, kv.value());
    else
      w.null();
  }
  w.end_object();
  overwritten.resize(base);
}

problem protobuf_reader::impl::logs(std::string_view body, std::size_t max_records, decoded& out) {
  if (more_records_than(body, max_records))
    return too_many(signal::logs, max_records);
  auto* req = pb::Arena::CreateMessage<collector_logs::ExportLogsServiceRequest>(&arena);
  if (!req->ParseFromArray(body.data(), static_cast<int>(body.size())))
    return make_problem(errc::invalid_argument,
                        "the body is not a protobuf ExportLogsServiceRequest");
  std::size_t count = 0;
  for (const auto& rl : req->resource_logs())
    for (const auto& sl : rl.scope_logs())
      count += static_cast<std::size_t>(sl.log_records_size());
  if (count > max_records)
    return too_many(signal::logs, max_records);
  out.batch.items.reserve(count);

  for (const auto& rl : req->resource_logs()) {
    rb->set_resource(attributes(rl.resource().attributes(), rb->attributes));
    for (const auto& sl : rl.scope_logs()) {
      scope(sl.scope());
      for (const auto& rec : sl.log_records()) {
        // A trace context is optional on a log record, but when sent it must
        // be whole.
        if (!rec.trace_id().empty() && rec.trace_id().size() != 16) {
          record_builder::reject(signal::logs, out,
                                 id_size_error("trace_id", rec.trace_id().size(), 16));
          continue;
        }
        if (!rec.span_id().empty() && rec.span_id().size() != 8) {
          record_builder::reject(signal::logs, out,
                                 id_size_error("span_id", rec.span_id().size(), 8));
          continue;
        }
        log_view v;
        v.time_ns = rec.time_unix_nano();
        v.observed_ns = rec.observed_time_unix_nano();
        v.severity_number = rec.severity_number();
        v.severity_text = rec.severity_text();
        v.event_name = rec.event_name();
        v.trace_id = to_hex_id(rec.trace_id());
        v.span_id = to_hex_id(rec.span_id());
        v.flags = rec.flags();
        v.dropped_attributes = rec.dropped_attributes_count();
        rb->body.clear();
        if (rec.has_body()) {
          json_writer bw{rb->body};
          any(bw, rec.body());
        }
        v.body_json = rb->body;
        v.attributes_json = attributes(rec.attributes(), rb->attributes);
        if (!rb->add_log(v, out))
          return too_big_to_store();
      }
    }
  }
  return {};
}

problem protobuf_reader::impl::traces(std::string_view body, std::size_t max_records,
                                      decoded& out) {
  if (more_records_than(body, max_records))
    return too_many(signal::traces, max_records);
  auto* req = pb::Arena::CreateMessage<collector_trace::ExportTraceServiceRequest>(&arena);
  if (!req->ParseFromArray(body.data(), static_cast<int>(body.size())))
    return make_problem(errc::invalid_argument,
                        "the body is not a protobuf ExportTraceServiceRequest");
  std::size_t count = 0;
  for (const auto& rs : req->resource_spans())
    for (const auto& ss : rs.scope_spans())
      count += static_cast<std::size_t>(ss.spans_size());
  if (count > max_records)
    return too_many(signal::traces, max_records);
  out.batch.items.reserve(count);

  // Why a span cannot be stored, or empty.
  std::string why;
  auto check_ids = [&](const trace::Span& span) {
    why.clear();
    if (span.trace_id().size() != 16)
      why = id_size_error("trace_id", span.trace_id().size(), 16);
    else if (span.span_id().size() != 8)
      why = id_size_error("span_id", span.span_id().size(), 8);
    else if (!span.parent_span_id().empty() && span.parent_span_id().size() != 8)
      why = id_size_error("parent_span_id", span.parent_span_id().size(), 8);
    for (int i = 0; why.empty() && i < span.links_size(); ++i) {
      const auto& link = span.links(i);
      auto at = [i](std::string_view field) {
        return "links[" + std::to_string(i) + "]." + std::string{field};
      };
      if (link.trace_id().size() != 16)
        why = id_size_error(at("trace_id"), link.trace_id().size(), 16);
      else if (link.span_id().size() != 8)
        why = id_size_error(at("span_id"), link.span_id().size(), 8);
    }
    return why.empty();
  };

  for (const auto& rs : req->resource_spans()) {
    rb->set_resource(attributes(rs.resource().attributes(), rb->attributes));
    for (const auto& ss : rs.scope_spans()) {
      scope(ss.scope());
      for (const auto& span : ss.spans()) {
        if (!check_ids(span)) {
          record_builder::reject(signal::traces, out, why);
          continue;
        }
        span_view v;
        v.name = span.name();
        v.trace_state = span.trace_state();
        v.trace_id = to_hex_id(span.trace_id());
        v.span_id = to_hex_id(span.span_id());
        v.parent_span_id = to_hex_id(span.parent_span_id());
        v.kind = span.kind();
        v.start_ns = span.start_time_unix_nano();
        v.end_ns = span.end_time_unix_nano();
        v.flags = span.flags();
        v.dropped_attributes = span.dropped_attributes_count();
        v.dropped_events = span.dropped_events_count();
        v.dropped_links = span.dropped_links_count();
        v.status_code = span.status().code();
        v.status_message = span.status().message();
        v.attributes_json = attributes(span.attributes(), rb->attributes);

        rb->events.clear();
        if (!span.events().empty()) {
          json_writer ew{rb->events};
          ew.begin_array();
          for (const auto& e : span.events())
            rb->add_event(ew, e.name(), e.time_unix_nano(), attributes(e.attributes(), rb->nested),
                          e.dropped_attributes_count());
          ew.end_array();
        }
        v.events_json = rb->events;

        rb->links.clear();
        if (!span.links().empty()) {
          json_writer lw{rb->links};
          lw.begin_array();
          for (const auto& l : span.links())
            rb->add_link(lw, to_hex_id(l.trace_id()), to_hex_id(l.span_id()), l.trace_state(),
                         attributes(l.attributes(), rb->nested), l.dropped_attributes_count(),
                         l.flags());
          lw.end_array();
        }
        v.links_json = rb->links;
        if (!rb->add_span(v, out))
          return too_big_to_store();
      }
    }
  }
  return {};
}

protobuf_reader::protobuf_reader() : impl_(std::make_unique<impl>()) {}

protobuf_reader::~protobuf_reader() = default;

problem protobuf_reader::read(signal s, std::string_view body, std::size_t max_records,
                              record_builder& rb, decoded& out) {
  if (body.size() > static_cast<std::size_t>(INT_MAX))
    return make_problem(errc::request_too_large, "a protobuf body must be under 2 GiB");
  auto& d = *impl_;
  d.rb = &rb;
  // Everything parsed lives on the arena; the stored bodies are copies, so the
  // arena is emptied on the way out, keeping only its first block.
  struct reset_on_exit {
    pb::Arena& arena;
    ~reset_on_exit() { arena.Reset(); }
  } reset{d.arena};
  return s == signal::logs ? d.logs(body, max_records, out) : d.traces(body, max_records, out);
}

} // namespace sluice::net::otlp
