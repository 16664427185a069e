#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "policy/errors.hpp"
#include "policy/message.hpp"

// OTLP/HTTP receiver, the decoding half: turns the body of POST /v1/logs or
// POST /v1/traces (already decompressed) into messages ready to store, and
// writes the answer the exporter expects. The messages follow the OTLP proto
// release in net/otlp/proto (v1.9.0).
namespace sluice::net::otlp {

/// Which export service a request is for.
enum class signal : std::uint8_t { logs, traces };

/// How the body is encoded: binary protobuf (application/x-protobuf) or the
/// OTLP flavour of protobuf's JSON mapping (application/json).
enum class encoding : std::uint8_t { protobuf, json };

/// An export request, ready to store: one message per log record or span.
struct decoded {
  message_batch batch;        ///< compact JSON body, level and event time per record; no dedup ids
  std::uint64_t rejected = 0; ///< records that cannot be stored (invalid); the rest are in batch
  std::string first_error;    ///< why the first one was rejected (for partialSuccess.errorMessage)
};

/// Decodes export requests. Holds a simdjson parser, a protobuf arena and
/// scratch buffers that are reused from one request to the next: keep one per
/// thread (the free function `decode` does).
class decoder {
public:
  decoder();
  ~decoder();
  decoder(const decoder&) = delete;
  decoder& operator=(const decoder&) = delete;

  /// See the free function `decode`.
  problem decode(signal s, encoding e, std::string_view body, std::size_t max_records,
                 decoded& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Decodes an ExportLogsServiceRequest or ExportTraceServiceRequest into `out`
/// (cleared first). A body that is not such a request at all is a problem:
/// malformed_json (JSON that does not parse), invalid_argument (protobuf that
/// does not parse, or JSON of the wrong shape); batch_too_large when it holds
/// more than max_records records. Records that are invalid on their own (a
/// trace_id that is not 16 bytes / 32 hex digits, a span_id not 8 bytes / 16 hex
/// digits, a bad hex or base64 string in JSON) are counted in `rejected`, not
/// stored. An empty request is a success with an empty batch. Uses a
/// thread-local `decoder`.
problem decode(signal s, encoding e, std::string_view body, std::size_t max_records, decoded& out);

/// The success response in the request's encoding: ExportLogsServiceResponse /
/// ExportTraceServiceResponse, with partial_success set only when rejected > 0.
/// JSON: {} or {"partialSuccess":{"rejectedLogRecords":n,"errorMessage":"…"}}
/// (rejectedSpans for traces; errorMessage left out when empty). Protobuf: the
/// serialized message, empty when nothing was rejected.
std::string encode_response(signal s, encoding e, std::uint64_t rejected,
                            std::string_view error_message);

/// The body of an error answer to a protobuf request: a serialized
/// google.rpc.Status with `grpc_code` and `message` (made valid UTF-8).
std::string encode_status(unsigned grpc_code, std::string_view message);

} // namespace sluice::net::otlp
