// What the OpenTelemetry client scripts share: their command line, an
// exporter whose every result is recorded, and the flush that ends a run.
import { diag, DiagConsoleLogger, DiagLogLevel } from "@opentelemetry/api";

/// <base-url> <token> <json|proto> <gzip|none>, or SLUICE_BASE_URL,
/// SLUICE_TOKEN, OTLP_ENCODING, OTLP_COMPRESSION; exits 2 when they are wrong.
export function parseArgs(script) {
  const [base = process.env.SLUICE_BASE_URL, token = process.env.SLUICE_TOKEN,
         encoding = process.env.OTLP_ENCODING ?? "json",
         compression = process.env.OTLP_COMPRESSION ?? "none"] = process.argv.slice(2);
  if (!base || !token || !["json", "proto"].includes(encoding) || !["gzip", "none"].includes(compression)) {
    console.error(`usage: node ${script} <base-url> <token> <json|proto> <gzip|none>`);
    process.exit(2);
  }
  diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.WARN);
  return { base, token, encoding, compression };
}

/// The exporter of the chosen encoding (`Exporters.json` or `.proto`) sending
/// to `path` with the token as a Bearer token. `failures` collects the error
/// of every export that did not succeed, as the SDK's processor sees it.
export function recordingExporter(Exporters, path, args, failures) {
  const Exporter = args.encoding === "proto" ? Exporters.proto : Exporters.json;
  const exporter = new Exporter({
    url: `${args.base}${path}`,
    headers: { Authorization: `Bearer ${args.token}` },
    compression: args.compression,
    timeoutMillis: 10000,
  });
  const exportBatch = exporter.export.bind(exporter);
  exporter.export = (items, done) =>
    exportBatch(items, (result) => {
      if (result.code !== 0)
        failures.push(result.error ?? new Error("export failed"));
      done(result);
    });
  return exporter;
}

/// Flushes and shuts `provider` down; exits 1, naming each failure, when an
/// export failed.
export async function finish(provider, failures) {
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
}
