// Sends a small trace to sluiced with the real OpenTelemetry JS SDK and
// OTLP/HTTP exporter: a server span and a failing client span inside it.
//
//   node otel-traces.mjs <base-url> <token> <json|proto> <gzip|none>
//
// (or SLUICE_BASE_URL, SLUICE_TOKEN, OTLP_ENCODING, OTLP_COMPRESSION). Prints
// one JSON line with the ids the SDK gave the spans and exits non-zero when
// the export failed.
import { context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { parseArgs, recordingExporter, finish } from "./otel-common.mjs";

const args = parseArgs("otel-traces.mjs");
const failures = [];
const exporter = recordingExporter({ json: JsonExporter, proto: ProtoExporter }, "/otlp/v1/traces", args,
                                   failures);

const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ "service.name": "checkout", "service.version": "2.4.1" }),
  spanProcessors: [new BatchSpanProcessor(exporter)],
});
const tracer = provider.getTracer("sluice-e2e", "1.0.0");

const parent = tracer.startSpan("GET /checkout", {
  kind: SpanKind.SERVER,
  attributes: { "http.request.method": "GET", "http.route": "/checkout" },
});
// No context manager is registered: the parent is passed explicitly.
const child = tracer.startSpan("charge card", {
  kind: SpanKind.CLIENT,
  attributes: { "payment.provider": "acme", "payment.amount": 12.5 },
}, trace.setSpan(context.active(), parent));
child.addEvent("retry", { attempt: 2 });
child.setStatus({ code: SpanStatusCode.ERROR, message: "card declined" });
child.end();
parent.setAttribute("http.response.status_code", 402);
parent.end();

await finish(provider, failures);
console.log(JSON.stringify({
  spans: 2,
  trace_id: parent.spanContext().traceId,
  parent_span_id: parent.spanContext().spanId,
  child_span_id: child.spanContext().spanId,
}));
