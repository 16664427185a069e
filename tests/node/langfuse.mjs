// Sends an LLM app's trace to sluiced with the real Langfuse JS SDK (v3):
// a trace, a span, a generation, an event and a score.
//
//   node langfuse.mjs <base-url> <token>
//
// (or SLUICE_BASE_URL, SLUICE_TOKEN). The token is the secret key, as in
// Langfuse. Prints one JSON line per event the SDK sent ({"id","type"}) and
// exits non-zero when the SDK reported any error.
import { Langfuse } from "langfuse";

const [base = process.env.SLUICE_BASE_URL, token = process.env.SLUICE_TOKEN] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node langfuse.mjs <base-url> <token>");
  process.exit(2);
}

const langfuse = new Langfuse({
  publicKey: "pk-anything",
  secretKey: token,
  baseUrl: base,
  flushAt: 2,             // several requests, not one
  fetchRetryCount: 1,
  fetchRetryDelay: 200,
});
// The SDK never throws: it reports a failed request as a "warning" (the
// error of the flush) and other problems as "error"; both fail the run.
const problems = [];
langfuse.on("warning", (e) => problems.push(e));
langfuse.on("error", (e) => problems.push(e));
const sent = [];
langfuse.on("flush", (items) => sent.push(...items));

const trace = langfuse.trace({
  name: "checkout-assistant",
  userId: "u-42",
  sessionId: "s-7",
  input: { question: "where is my order?" },
  tags: ["e2e"],
});
const start = new Date(Date.now() - 2000);
trace.span({
  name: "retrieve-orders",
  startTime: start,
  endTime: new Date(start.getTime() + 300),
  input: { user: "u-42" },
  output: { orders: ["o-7"] },
});
trace.generation({
  name: "answer",
  model: "gpt-4o-mini",
  modelParameters: { temperature: 0.2 },
  startTime: new Date(start.getTime() + 300),
  endTime: new Date(start.getTime() + 1500),
  input: [{ role: "user", content: "where is my order?" }],
  output: { role: "assistant", content: "Order o-7 ships tomorrow." },
  usage: { input: 12, output: 7, total: 19, unit: "TOKENS" },
});
trace.event({ name: "cache-miss", level: "WARNING", metadata: { key: "orders:u-42" } });
trace.score({ name: "helpfulness", value: 0.9, comment: "good answer" });

await langfuse.shutdownAsync();

if (problems.length > 0) {
  for (const p of problems)
    console.error("langfuse:", p instanceof Error ? p.message : JSON.stringify(p));
  process.exit(1);
}
for (const item of sent)
  console.log(JSON.stringify({ id: item.id, type: item.type }));
