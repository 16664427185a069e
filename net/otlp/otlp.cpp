#include "net/otlp/otlp.hpp"

#include <limits>

#include "google/rpc/status.pb.h"
#include "net/otlp/json_reader.hpp"
#include "net/otlp/protobuf_reader.hpp"
#include "net/otlp/record.hpp"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "opentelemetry/proto/collector/trace/v1/trace_service.pb.h"
#include "policy/json_writer.hpp"

namespace sluice::net::otlp {

struct decoder::impl {
  record_builder builder;
  protobuf_reader protobuf;
  json_reader json;
};

decoder::decoder() : impl_(std::make_unique<impl>()) {}

decoder::~decoder() = default;

problem decoder::decode(signal s, encoding e, std::string_view body, std::size_t max_records,
                        decoded& out) {
  out.batch.clear();
  out.rejected = 0;
  out.first_error.clear();
  auto& d = *impl_;
  auto p = e == encoding::protobuf ? d.protobuf.read(s, body, max_records, d.builder, out)
                                   : d.json.read(s, body, max_records, d.builder, out);
  if (p) { // a refused request stores nothing and rejects nothing
    out.batch.clear();
    out.rejected = 0;
    out.first_error.clear();
  }
  return p;
}

problem decode(signal s, encoding e, std::string_view body, std::size_t max_records, decoded& out) {
  thread_local decoder d;
  return d.decode(s, e, body, max_records, out);
}

std::string encode_response(signal s, encoding e, std::uint64_t rejected,
                            std::string_view error_message) {
  std::string scratch;
  auto message = valid_utf8(error_message, scratch);
  // The count is an int64 on the wire; no request holds that many records.
  auto count = static_cast<std::int64_t>(
    std::min<std::uint64_t>(rejected, std::numeric_limits<std::int64_t>::max()));
  if (e == encoding::json) {
    std::string out;
    json_writer w{out};
    w.begin_object();
    if (rejected > 0) {
      w.key("partialSuccess").begin_object();
      w.field(s == signal::logs ? "rejectedLogRecords" : "rejectedSpans", count);
      if (!message.empty())
        w.field("errorMessage", message);
      w.end_object();
    }
    w.end_object();
    return out;
  }
  std::string out;
  if (s == signal::logs) {
    opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse response;
    if (rejected > 0) {
      auto* partial = response.mutable_partial_success();
      partial->set_rejected_log_records(count);
      partial->set_error_message(std::string{message});
    }
    response.SerializeToString(&out);
  } else {
    opentelemetry::proto::collector::trace::v1::ExportTraceServiceResponse response;
    if (rejected > 0) {
      auto* partial = response.mutable_partial_success();
      partial->set_rejected_spans(count);
      partial->set_error_message(std::string{message});
    }
    response.SerializeToString(&out);
  }
  return out;
}

std::string encode_status(unsigned grpc_code, std::string_view message) {
  std::string scratch;
  google::rpc::Status status;
  status.set_code(static_cast<std::int32_t>(grpc_code));
  status.set_message(std::string{valid_utf8(message, scratch)});
  return status.SerializeAsString();
}

} // namespace sluice::net::otlp
