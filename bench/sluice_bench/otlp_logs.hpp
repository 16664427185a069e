#pragma once

// The OTLP logs scenarios' two halves that know the OTLP encodings: the body
// of an ExportLogsServiceRequest, built once per run as a template whose bseq
// digits the client patches in place, and the reading of the
// ExportLogsServiceResponse. The generated protobuf classes stay in
// otlp_logs.cpp, out of the client's hot path and its compile.

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::bench {

enum class otlp_encoding : std::uint8_t { json, protobuf };

/// What one log record of the template holds.
struct otlp_logs_spec {
  otlp_encoding encoding = otlp_encoding::protobuf;
  std::string_view run_id;
  unsigned records = 100;
  unsigned text_bytes = 150; ///< length of each record's body text
  std::uint64_t time_ns = 0; ///< timeUnixNano and observedTimeUnixNano of every record
};

/// One ExportLogsServiceRequest: one resource, one scope, `records` log
/// records, record i with the attribute "bseq" = format_bseq(run_id,
/// seq_key(0, 0, i)). Every record has the same encoded size, and the bseq
/// is a fixed-width string, so patching its digits keeps the body valid in
/// both encodings.
std::string otlp_logs_body(const otlp_logs_spec& spec);

/// The partial success of an ExportLogsServiceResponse.
struct otlp_partial {
  bool present = false; ///< the server rejected records (or said something)
  long rejected = -1;   ///< rejectedLogRecords; -1 when it could not be read
  std::string message;  ///< errorMessage, possibly cut short
};

/// Reads the (start of the) body of a 200 to an export: Sluice answers an
/// empty message ({} in JSON, no bytes in protobuf) unless it rejected
/// records. `truncated` says the body was longer than `body`.
otlp_partial read_otlp_response(otlp_encoding e, std::string_view body, bool truncated);

} // namespace sluice::bench
