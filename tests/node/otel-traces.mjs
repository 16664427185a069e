// Sends a small trace to sluiced with the real OpenTelemetry JS SDK and
// OTLP/HTTP exporter: a server span and a failing client span inside it.
//
//   node otel-traces.mjs <base-url> <token> <json|proto> <gzip|none>
//
// (or SLUICE_BASE_URL, SLUICE_TOKEN, OTLP_ENCODING, OTLP_COMPRESSION). Prints
// one JSON line with the ids the SDK gave the spans and exits non-zero when
// the export failed.
import { diag, DiagConsoleLogger, DiagLogLevel, context, trace, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { OTLPTraceExporter as JsonExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";

const [base = process.env.SLUICE_BASE_URL, token = process.env.SLUICE_TOKEN,
       encoding = process.env.OTLP_ENCODING ?? "json",
       compression = process.env.OTLP_COMPRESSION ?? "none"] = process.argv.slice(2);
if (!base || !token || !["json", "proto"].includes(encoding) || !["gzip", "none"].includes(compression)) {
  console.error("usage: node otel-traces.mjs <base-url> <token> <json|proto> <gzip|none>");
  process.exit(2);
}
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);

const Exporter = encoding === "proto" ? ProtoExporter : JsonExporter;
const exporter = new Exporter({
  url: `${base}/otlp/v1/traces`,
  headers: { Authorization: `Bearer ${token}` },
  compression,
  timeoutMillis: 10000,
});
// Every export's result, as the processor sees it.
const failures = [];
const exportBatch = exporter.export.bind(exporter);
exporter.export = (spans, done) =>
  exportBatch(spans, (result) => {
    if (result.code !== 0)
      failures.push(result.error ?? new Error("export failed"));
    done(result);
  });

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

try {
  await provider.forceFlush();
} catch (e) {
  failures.push(e);
}
await provider.shutdown();

if (failures.length > 0) {
  for (const f of failures.flat())
    console.error("export failed:", f?.message ?? String(f));
  process.exit(1);
}
console.log(JSON.stringify({
  spans: 2,
  trace_id: parent.spanContext().traceId,
  parent_span_id: parent.spanContext().spanId,
  child_span_id: child.spanContext().spanId,
}));
