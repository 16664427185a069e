#include "bench/sluice_bench/otlp_logs.hpp"

#include <opentelemetry/proto/collector/logs/v1/logs_service.pb.h>

#include <stdexcept>

#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

namespace {

namespace collector = opentelemetry::proto::collector::logs::v1;
namespace logs = opentelemetry::proto::logs::v1;

constexpr std::string_view service_name = "sluice-bench";

/// A log line of exactly `n` bytes: printable ASCII, so JSON needs no escape
/// and both encodings carry the same text.
std::string body_text(unsigned n) {
  std::string out = "sluice-bench log record: payment declined for order, retrying with backoff ";
  if (out.size() >= n) {
    out.resize(n);
    return out;
  }
  for (char c = 'a'; out.size() < n; c = c == 'z' ? 'a' : static_cast<char>(c + 1))
    out += c;
  return out;
}

std::string protobuf_body(const otlp_logs_spec& spec, const std::string& text) {
  collector::ExportLogsServiceRequest req;
  auto* rl = req.add_resource_logs();
  auto* service = rl->mutable_resource()->add_attributes();
  service->set_key(std::string{"service.name"});
  service->mutable_value()->set_string_value(std::string{service_name});
  auto* sl = rl->add_scope_logs();
  sl->mutable_scope()->set_name(std::string{service_name});
  for (unsigned i = 0; i < spec.records; ++i) {
    auto* r = sl->add_log_records();
    r->set_time_unix_nano(spec.time_ns);
    r->set_observed_time_unix_nano(spec.time_ns);
    r->set_severity_number(logs::SEVERITY_NUMBER_INFO);
    r->set_severity_text(std::string{"INFO"});
    r->mutable_body()->set_string_value(text);
    auto* bseq = r->add_attributes();
    bseq->set_key(std::string{"bseq"});
    bseq->mutable_value()->set_string_value(format_bseq(spec.run_id, seq_key(0, 0, i)));
  }
  std::string out;
  if (!req.SerializeToString(&out))
    throw std::runtime_error("cannot serialize the OTLP logs template");
  return out;
}

/// The OTLP/JSON form exporters send: lowerCamelCase keys, 64-bit times as
/// decimal strings, the severity as its number.
std::string json_body(const otlp_logs_spec& spec, const std::string& text) {
  const std::string time = "\"" + std::to_string(spec.time_ns) + "\"";
  const std::string head = "{\"timeUnixNano\":" + time + ",\"observedTimeUnixNano\":" + time
                           + ",\"severityNumber\":9,\"severityText\":\"INFO\",\"body\":{"
                             "\"stringValue\":\""
                           + text
                           + "\"},\"attributes\":[{\"key\":\"bseq\",\"value\":{"
                             "\"stringValue\":\"";
  const std::string tail = "\"}}]}";
  std::string out = "{\"resourceLogs\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
                    "\"value\":{\"stringValue\":\""
                    + std::string{service_name} + "\"}}]},\"scopeLogs\":[{\"scope\":{\"name\":\""
                    + std::string{service_name} + "\"},\"logRecords\":[";
  for (unsigned i = 0; i < spec.records; ++i) {
    if (i)
      out += ',';
    out += head;
    out += format_bseq(spec.run_id, seq_key(0, 0, i));
    out += tail;
  }
  out += "]}]}]}";
  return out;
}

/// The digits after `key` in `s` (a number, or a number in quotes as the
/// JSON mapping writes int64); -1 when there are none.
long number_after(std::string_view s, std::string_view key) {
  auto at = s.find(key);
  if (at == std::string_view::npos)
    return -1;
  auto i = at + key.size();
  if (i < s.size() && s[i] == '"')
    ++i;
  long n = 0;
  bool any = false;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    n = n * 10 + (s[i] - '0');
    any = true;
  }
  return any ? n : -1;
}

} // namespace

std::string otlp_logs_body(const otlp_logs_spec& spec) {
  const auto text = body_text(spec.text_bytes);
  return spec.encoding == otlp_encoding::protobuf ? protobuf_body(spec, text)
                                                  : json_body(spec, text);
}

otlp_partial read_otlp_response(otlp_encoding e, std::string_view body, bool truncated) {
  otlp_partial out;
  if (e == otlp_encoding::json) {
    if (body.find("\"partialSuccess\"") == std::string_view::npos)
      return out;
    out.present = true;
    out.rejected = number_after(body, "\"rejectedLogRecords\":");
    constexpr std::string_view key = "\"errorMessage\":\"";
    if (auto at = body.find(key); at != std::string_view::npos) {
      auto text = body.substr(at + key.size());
      out.message = std::string{text.substr(0, text.find('"'))}; // escapes left as they are
    }
    return out;
  }
  if (body.empty())
    return out;
  collector::ExportLogsServiceResponse response;
  if (truncated || !response.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    // Some bytes, but not all of them or not a response: something was said,
    // and only a partial success has anything to say.
    out.present = true;
    out.message = truncated ? "(response too long to read)" : "(response does not parse)";
    return out;
  }
  if (!response.has_partial_success())
    return out;
  out.present = true;
  out.rejected = static_cast<long>(response.partial_success().rejected_log_records());
  out.message = response.partial_success().error_message();
  return out;
}

} // namespace sluice::bench
