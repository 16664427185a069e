// Sends a few log records to sluiced with the real OpenTelemetry JS SDK and
// OTLP/HTTP exporter, as an instrumented service would.
//
//   node otel-logs.mjs <base-url> <token> <json|proto> <gzip|none>
//
// (or SLUICE_BASE_URL, SLUICE_TOKEN, OTLP_ENCODING, OTLP_COMPRESSION). Prints
// one JSON line telling what it sent (the trace context and time it gave the
// records) and exits non-zero when the export failed.
import { context, trace, TraceFlags } from "@opentelemetry/api";
import { SeverityNumber } from "@opentelemetry/api-logs";
import { LoggerProvider, BatchLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPLogExporter as JsonExporter } from "@opentelemetry/exporter-logs-otlp-http";
import { OTLPLogExporter as ProtoExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { parseArgs, recordingExporter, finish } from "./otel-common.mjs";

const args = parseArgs("otel-logs.mjs");
const failures = [];
const exporter = recordingExporter({ json: JsonExporter, proto: ProtoExporter }, "/otlp/v1/logs", args,
                                   failures);

const provider = new LoggerProvider({
  resource: resourceFromAttributes({ "service.name": "checkout", "deployment.environment": "e2e" }),
  processors: [new BatchLogRecordProcessor({ exporter })],
});
const logger = provider.getLogger("sluice-e2e", "1.0.0");

// A span context for the record logged "inside" a request.
const traceId = "5b8efff798038103d269b633813fc60c";
const spanId = "eee19b7ec3c1b174";
const inSpan = trace.setSpanContext(context.active(),
                                    { traceId, spanId, traceFlags: TraceFlags.SAMPLED });
const time = new Date(Date.now() - 60_000);

logger.emit({
  severityNumber: SeverityNumber.INFO,
  severityText: "INFO",
  body: "user signed in",
  attributes: { "user.id": "u-42", attempt: 1 },
  timestamp: time,
  context: inSpan,
});
logger.emit({
  severityNumber: SeverityNumber.WARN,
  severityText: "WARN",
  body: "disk almost full",
  attributes: { "disk.free_mb": 512, "disk.mount": "/var" },
});
logger.emit({
  severityNumber: SeverityNumber.ERROR,
  severityText: "ERROR",
  body: { order: "o-7", reason: "card declined" },
  attributes: { "payment.retry": false },
});

await finish(provider, failures);
// The time as sluiced stores it: RFC 3339 to the microsecond.
console.log(JSON.stringify({
  records: 3,
  trace_id: traceId,
  span_id: spanId,
  time: time.toISOString().replace(/Z$/, "000Z"),
}));
