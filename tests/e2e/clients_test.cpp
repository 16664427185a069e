// The ingest doors with the real clients people point at them: the
// OpenTelemetry JS SDK's OTLP/HTTP exporters (JSON, and protobuf with gzip),
// the Langfuse JS SDK (scripts in tests/node, installed by `make test` with
// npm ci), and webhook deliveries made exactly as Azure Event Grid and
// CloudEvents senders make them. Each reads back what was stored.

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

/// tests/node, where the npm clients are installed.
std::filesystem::path node_dir() {
  const char* dir = std::getenv("SLUICE_NODE_DIR");
  BOOST_REQUIRE_MESSAGE(dir, "set SLUICE_NODE_DIR (ctest does)");
  std::filesystem::path p{dir};
  BOOST_REQUIRE_MESSAGE(
    std::filesystem::exists(p / "node_modules" / "langfuse")
      && std::filesystem::exists(p / "node_modules" / "@opentelemetry" / "sdk-logs"),
    "the npm clients are not installed in " << dir << ": run make test (npm ci there)");
  return p;
}

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string{"'\\''"} : std::string(1, c);
  return out + "'";
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `node <script> <args…>` in tests/node and returns the JSON lines it
/// printed. Fails the test, with everything the client said, when it exits
/// non-zero (every script does when its export failed).
std::vector<json> run_client(const std::string& script, const std::vector<std::string>& args) {
  auto dir = node_dir();
  temp_dir tmp;
  auto err_path = tmp.path() / "stderr";
  std::string cmd = "cd " + quoted(dir.string()) + " && timeout 120 node " + quoted(script);
  for (auto& a : args)
    cmd += " " + quoted(a);
  cmd += " 2>" + quoted(err_path.string());
  auto [status, out] = run_shell(cmd);
  BOOST_REQUIRE_MESSAGE(status == 0, "node " << script << " failed (status " << status << "):\n"
                                             << out << read_file(err_path));
  std::vector<json> lines;
  std::istringstream in{out};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.emplace_back(line);
  BOOST_REQUIRE_MESSAGE(!lines.empty(), "node " << script << " printed nothing");
  return lines;
}

std::string base_url(sluice_fixture& f) {
  return "http://127.0.0.1:" + std::to_string(f.server().ingest_port());
}

/// The message whose string at `pointer` is `value`.
const json& find(const std::vector<json>& msgs, const std::string& pointer,
                 const std::string& value) {
  for (auto& m : msgs)
    if (m.has(pointer) && m.raw(pointer) == "\"" + value + "\"")
      return m;
  throw std::runtime_error("no message has " + pointer + " = " + value);
}

/// An RFC 3339 time `ago` before now with 7 fractional digits, as Azure writes
/// them; `stored` gets it as sluiced stores it (to the microsecond).
std::string azure_time(std::chrono::seconds ago, std::string& stored) {
  auto t = std::chrono::system_clock::now() - ago;
  auto ticks = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  std::time_t secs = ticks / 1'000'000;
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06lld", static_cast<long long>(ticks % 1'000'000));
  stored = std::string{date} + frac + "Z";
  return std::string{date} + frac + "3Z";
}

/// What the OpenTelemetry logs script sends (tests/node/otel-logs.mjs), read
/// back: the same whichever encoding carried it.
void expect_logs_as_sent(sluice_fixture& f, const sluice_fixture::minted& tok, const json& sent) {
  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  for (auto& m : msgs) {
    BOOST_TEST(m.str("/source") == "otlp_logs");
    BOOST_TEST(m.str("/token_id") == tok.id);
    BOOST_TEST(m.str("/body/resource/service.name") == "checkout");
    BOOST_TEST(m.str("/body/resource/deployment.environment") == "e2e");
    BOOST_TEST(m.str("/body/scope/name") == "sluice-e2e");
    BOOST_TEST(m.str("/body/scope/version") == "1.0.0");
  }
  auto& signed_in = find(msgs, "/body/message", "user signed in");
  BOOST_TEST(signed_in.str("/level") == "info");
  BOOST_TEST(signed_in.str("/body/body") == "user signed in");
  BOOST_TEST(signed_in.num("/body/severity_number") == 9);
  BOOST_TEST(signed_in.str("/body/severity_text") == "INFO");
  BOOST_TEST(signed_in.str("/body/trace_id") == sent.str("/trace_id"));
  BOOST_TEST(signed_in.str("/body/span_id") == sent.str("/span_id"));
  BOOST_TEST(signed_in.str("/body/attributes/user.id") == "u-42");
  BOOST_TEST(signed_in.num("/body/attributes/attempt") == 1);
  // The record's own time, a minute before it was sent, is the timestamp.
  BOOST_TEST(signed_in.str("/body/time") == sent.str("/time"));
  BOOST_TEST(signed_in.str("/timestamp") == sent.str("/time"));

  auto& disk = find(msgs, "/body/message", "disk almost full");
  BOOST_TEST(disk.str("/level") == "warn");
  BOOST_TEST(disk.num("/body/severity_number") == 13);
  BOOST_TEST(disk.num("/body/attributes/disk.free_mb") == 512);
  BOOST_TEST(disk.str("/body/attributes/disk.mount") == "/var");
  BOOST_TEST(!disk.has("/body/trace_id"));

  // A structured body is kept as an object; its text is the message.
  auto& declined = find(msgs, "/level", "error");
  BOOST_TEST(declined.str("/body/message") == R"({"order":"o-7","reason":"card declined"})");
  BOOST_TEST(declined.str("/body/body/order") == "o-7");
  BOOST_TEST(declined.str("/body/body/reason") == "card declined");
  BOOST_TEST(declined.str("/body/severity_text") == "ERROR");
  BOOST_TEST(declined.boolean("/body/attributes/payment.retry") == false);
}

/// What the OpenTelemetry traces script sends (tests/node/otel-traces.mjs),
/// read back: a server span and its failing client child.
void expect_trace_as_sent(sluice_fixture& f, const json& sent) {
  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  for (auto& m : msgs) {
    BOOST_TEST(m.str("/source") == "otlp_traces");
    BOOST_TEST(m.str("/body/trace_id") == sent.str("/trace_id"));
    BOOST_TEST(m.str("/body/resource/service.name") == "checkout");
    BOOST_TEST(m.str("/body/resource/service.version") == "2.4.1");
    BOOST_TEST(m.str("/body/scope/name") == "sluice-e2e");
    BOOST_TEST(m.has("/body/duration_ms"));
    // A span's timestamp is its start.
    BOOST_TEST(m.str("/timestamp") == m.str("/body/start_time"));
  }
  auto& parent = find(msgs, "/body/name", "GET /checkout");
  BOOST_TEST(parent.str("/body/message") == "GET /checkout");
  BOOST_TEST(parent.str("/body/kind") == "server");
  BOOST_TEST(parent.str("/body/span_id") == sent.str("/parent_span_id"));
  BOOST_TEST(!parent.has("/body/parent_span_id"));
  BOOST_TEST(parent.str("/body/attributes/http.request.method") == "GET");
  BOOST_TEST(parent.str("/body/attributes/http.route") == "/checkout");
  BOOST_TEST(parent.num("/body/attributes/http.response.status_code") == 402);
  BOOST_TEST(parent.str("/body/status/code") == "unset");
  BOOST_TEST(parent.str("/level") == "info");

  auto& child = find(msgs, "/body/name", "charge card");
  BOOST_TEST(child.str("/body/kind") == "client");
  BOOST_TEST(child.str("/body/span_id") == sent.str("/child_span_id"));
  BOOST_TEST(child.str("/body/parent_span_id") == parent.str("/body/span_id"));
  BOOST_TEST(child.str("/body/attributes/payment.provider") == "acme");
  BOOST_TEST(child.raw("/body/attributes/payment.amount") == "12.5");
  BOOST_REQUIRE_EQUAL(child.size("/body/events"), 1u);
  BOOST_TEST(child.str("/body/events/0/name") == "retry");
  BOOST_TEST(child.num("/body/events/0/attributes/attempt") == 2);
  BOOST_TEST(child.has("/body/events/0/time"));
  BOOST_TEST(child.str("/body/status/code") == "error");
  BOOST_TEST(child.str("/body/status/message") == "card declined");
  BOOST_TEST(child.str("/level") == "error");
}

} // namespace

BOOST_AUTO_TEST_SUITE(real_clients)

BOOST_AUTO_TEST_CASE(
  opentelemetry_logs_over_json_read_back_with_severity_trace_context_and_resource) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto sent = run_client("otel-logs.mjs", {base_url(f), tok.secret, "json", "none"});
  expect_logs_as_sent(f, tok, sent.back());
}

BOOST_AUTO_TEST_CASE(opentelemetry_logs_over_gzipped_protobuf_read_back_the_same) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto sent = run_client("otel-logs.mjs", {base_url(f), tok.secret, "proto", "gzip"});
  expect_logs_as_sent(f, tok, sent.back());
}

BOOST_AUTO_TEST_CASE(opentelemetry_traces_over_json_keep_parent_and_child_ids_and_the_error) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto sent = run_client("otel-traces.mjs", {base_url(f), tok.secret, "json", "none"});
  expect_trace_as_sent(f, sent.back());
}

BOOST_AUTO_TEST_CASE(opentelemetry_traces_over_protobuf_read_back_the_same) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto sent = run_client("otel-traces.mjs", {base_url(f), tok.secret, "proto", "none"});
  expect_trace_as_sent(f, sent.back());
}

BOOST_AUTO_TEST_CASE(an_exporter_with_a_wrong_token_fails_and_nothing_is_stored) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  std::string cmd = "cd " + quoted(node_dir().string()) + " && timeout 120 node otel-logs.mjs "
                    + quoted(base_url(f)) + " al_not_a_real_token proto none >/dev/null 2>&1";
  auto status = std::system(cmd.c_str());
  BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 1));
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(langfuse_sdk_events_are_stored_one_per_event_and_deduplicated_by_id) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  std::map<std::string, std::string> id_of; // event type -> event id
  for (auto& line : run_client("langfuse.mjs", {base_url(f), tok.secret}))
    id_of[line.str("/type")] = line.str("/id");
  BOOST_REQUIRE_EQUAL(id_of.size(), 5u);

  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 5u);
  const std::map<std::string, std::string> names = {
    {"trace-create", "checkout-assistant"}, {"span-create", "retrieve-orders"},
    {"generation-create", "answer"},        {"event-create", "cache-miss"},
    {"score-create", "helpfulness"},
  };
  for (auto& [type, name] : names) {
    BOOST_TEST_CONTEXT(type) {
      BOOST_REQUIRE(id_of.count(type) == 1u);
      auto& m = find(msgs, "/body/type", type);
      BOOST_TEST(m.str("/source") == "langfuse");
      BOOST_TEST(m.str("/token_id") == tok.id);
      BOOST_TEST(m.str("/body/message") == type + ": " + name);
      BOOST_TEST(m.str("/body/event_id") == id_of[type]);
      BOOST_TEST(m.str("/body/body/name") == name);
      // The event's own time, as the SDK stamped it, is the timestamp.
      auto sent_at = m.str("/body/timestamp");
      BOOST_TEST(m.str("/timestamp") == sent_at.substr(0, sent_at.size() - 1) + "000Z");
    }
  }
  auto& trace = find(msgs, "/body/type", "trace-create");
  BOOST_TEST(trace.str("/body/body/userId") == "u-42");
  BOOST_TEST(trace.str("/body/body/sessionId") == "s-7");
  BOOST_TEST(trace.is_null("/level"));
  auto trace_id = trace.str("/body/body/id");
  for (auto& m : msgs)
    if (m.str("/body/type") != "trace-create")
      BOOST_TEST(m.str("/body/body/traceId") == trace_id);
  auto& generation = find(msgs, "/body/type", "generation-create");
  BOOST_TEST(generation.str("/body/body/model") == "gpt-4o-mini");
  BOOST_TEST(generation.str("/body/body/input/0/content") == "where is my order?");
  BOOST_TEST(generation.str("/body/body/output/content") == "Order o-7 ships tomorrow.");
  BOOST_TEST(generation.num("/body/body/usage/input") == 12);
  BOOST_TEST(generation.num("/body/body/usage/output") == 7);
  BOOST_TEST(generation.num("/body/body/usage/total") == 19);
  auto& event = find(msgs, "/body/type", "event-create");
  BOOST_TEST(event.str("/level") == "warn"); // Langfuse's WARNING
  auto& score = find(msgs, "/body/type", "score-create");
  BOOST_TEST(score.raw("/body/body/value") == "0.9");
  BOOST_TEST(score.str("/body/batch_metadata/sdk_name") == "langfuse-js");

  // The SDK retries a batch it got no answer for: the same event again is
  // acknowledged, and not stored twice.
  auto c = f.ingest();
  auto again = R"({"batch":[{"id":")" + id_of["trace-create"]
               + R"(","type":"trace-create","timestamp":")" + trace.str("/body/timestamp")
               + R"(","body":)" + trace.raw("/body/body") + "}]}";
  auto r = c.post("/api/public/ingestion", again,
                  {{"Authorization", basic_auth("pk-anything", tok.secret)}});
  BOOST_TEST(r.status == 207u);
  BOOST_TEST(r.body
             == R"({"successes":[{"id":")" + id_of["trace-create"]
                  + R"(","status":201}],"errors":[]})");
  BOOST_TEST(f.read_messages(f.last_system()).size() == 5u);
}

BOOST_AUTO_TEST_CASE(
  event_grid_subscription_validation_is_answered_with_the_code_and_stores_nothing) {
  sluice_fixture f;
  f.ingest_token();
  auto hook = f.mint(f.last_system(), R"({"name":"azure","kind":"webhook"})");
  BOOST_REQUIRE(hook.secret.rfind("alw_", 0) == 0u);
  std::string at;
  auto sent_at = azure_time(std::chrono::seconds{1}, at);
  // As Azure Event Grid sends it when the subscription is created.
  auto body = R"([{
    "id": "2d1781af-3a4c-4d7c-bd0c-e34b19da4e66",
    "topic": "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    "subject": "",
    "data": {
      "validationCode": "512d38b6-c7b8-40c8-89fe-f46f9e9622b6",
      "validationUrl": "https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/myeventsub/validate?id=0000000000-0000-0000-0000-00000000000000&t=)"
              + sent_at + R"(&apiVersion=2018-05-01-preview&token=1A1A1A1A"
    },
    "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
    "eventTime": ")"
              + sent_at + R"(",
    "metadataVersion": "1",
    "dataVersion": "1"
  }])";
  auto c = f.ingest();
  auto r = c.request("POST", "/webhooks/" + hook.secret, body,
                     {{"aeg-event-type", "SubscriptionValidation"},
                      {"aeg-subscription-name", "MYEVENTSUB"},
                      {"aeg-delivery-count", "0"},
                      {"aeg-data-version", "1"},
                      {"aeg-metadata-version", "1"}},
                     "application/json");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.header("content-type").rfind("application/json", 0) == 0u);
  BOOST_TEST(r.body == R"({"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"})");
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(event_grid_deliveries_are_stored_and_a_redelivery_is_a_duplicate) {
  sluice_fixture f;
  f.ingest_token();
  auto hook = f.mint(f.last_system(), R"({"name":"azure","kind":"webhook"})");
  std::string stored_at;
  auto sent_at = azure_time(std::chrono::seconds{60}, stored_at);
  auto body = R"([{
    "topic": "/subscriptions/xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx/resourceGroups/Storage/providers/Microsoft.Storage/storageAccounts/xstoretestaccount",
    "subject": "/blobServices/default/containers/testcontainer/blobs/invoice-7.pdf",
    "eventType": "Microsoft.Storage.BlobCreated",
    "eventTime": ")"
              + sent_at + R"(",
    "id": "831e1650-001e-001b-66ab-eeb76e069631",
    "data": {
      "api": "PutBlockList",
      "contentType": "application/pdf",
      "contentLength": 524288,
      "blobType": "BlockBlob",
      "url": "https://xstoretestaccount.blob.core.windows.net/testcontainer/invoice-7.pdf"
    },
    "dataVersion": "",
    "metadataVersion": "1"
  }])";
  auto deliver = [&](const std::string& attempt) {
    auto c = f.ingest();
    return c.request("POST", "/webhooks/" + hook.secret, body,
                     {{"aeg-event-type", "Notification"},
                      {"aeg-subscription-name", "MYEVENTSUB"},
                      {"aeg-delivery-count", attempt},
                      {"aeg-data-version", ""},
                      {"aeg-metadata-version", "1"}},
                     "application/json; charset=utf-8");
  };
  auto r = deliver("0");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":1,"duplicates":0})");
  r = deliver("1");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":0,"duplicates":1})");

  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_TEST(msgs[0].str("/source") == "webhook");
  BOOST_TEST(msgs[0].str("/token_id") == hook.id);
  BOOST_TEST(msgs[0].str("/body/id") == "831e1650-001e-001b-66ab-eeb76e069631");
  BOOST_TEST(msgs[0].str("/body/eventType") == "Microsoft.Storage.BlobCreated");
  BOOST_TEST(msgs[0].num("/body/data/contentLength") == 524288);
  BOOST_TEST(msgs[0].str("/timestamp") == stored_at);
}

BOOST_AUTO_TEST_CASE(a_cloudevents_validation_handshake_grants_the_origin_and_a_rate) {
  sluice_fixture f;
  f.ingest_token();
  auto hook = f.mint(f.last_system(), R"({"name":"events","kind":"webhook"})");
  auto c = f.ingest();
  // CloudEvents HTTP 1.1 Web Hooks, 4.1: the sender asks before delivering.
  auto r =
    c.request("OPTIONS", "/webhooks/" + hook.secret, {},
              {{"WebHook-Request-Origin", "eventemitter.example.com"},
               {"WebHook-Request-Callback", "https://example.com/confirm?id=12345&key=c2VjcmV0"},
               {"WebHook-Request-Rate", "120"}});
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.header("webhook-allowed-origin") == "eventemitter.example.com");
  // Required when the request named a rate: "*" or a positive integer.
  auto rate = r.header("webhook-allowed-rate");
  BOOST_TEST_CONTEXT("WebHook-Allowed-Rate: " << rate) {
    BOOST_TEST(!rate.empty());
    BOOST_TEST(
      (rate == "*"
       || (rate.find_first_not_of("0123456789") == std::string::npos && std::stoll(rate) > 0)));
  }
  BOOST_TEST(r.header("allow") == "POST");
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(cloudevents_structured_deliveries_are_stored_and_a_redelivery_is_a_duplicate) {
  sluice_fixture f;
  f.ingest_token();
  auto hook = f.mint(f.last_system(), R"({"name":"events","kind":"webhook"})");
  std::string stored_at;
  auto sent_at = azure_time(std::chrono::seconds{30}, stored_at);
  // Structured content mode (CloudEvents HTTP binding, 3.2).
  auto body = R"({
    "specversion": "1.0",
    "type": "com.github.pull_request.opened",
    "source": "https://github.com/cloudevents/spec/pull",
    "subject": "123",
    "id": "A234-1234-1234",
    "time": ")"
              + sent_at + R"(",
    "comexampleextension1": "value",
    "datacontenttype": "application/json",
    "data": {"number": 123, "title": "Add webhooks"}
  })";
  auto deliver = [&] {
    auto c = f.ingest();
    return c.request("POST", "/webhooks/" + hook.secret, body,
                     {{"WebHook-Request-Origin", "eventemitter.example.com"}},
                     "application/cloudevents+json; charset=utf-8");
  };
  auto r = deliver();
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":1,"duplicates":0})");
  r = deliver();
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":0,"duplicates":1})");

  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_TEST(msgs[0].str("/source") == "webhook");
  BOOST_TEST(msgs[0].str("/body/specversion") == "1.0");
  BOOST_TEST(msgs[0].str("/body/id") == "A234-1234-1234");
  BOOST_TEST(msgs[0].str("/body/type") == "com.github.pull_request.opened");
  BOOST_TEST(msgs[0].num("/body/data/number") == 123);
  BOOST_TEST(msgs[0].str("/timestamp") == stored_at);
}

BOOST_AUTO_TEST_CASE(an_ingest_token_in_the_webhook_path_is_refused) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = c.post("/webhooks/" + tok.secret, R"({"id":"e-1","message":"hello"})");
  BOOST_TEST_CONTEXT(r.body) {
    BOOST_TEST(r.status == 403u);
    if (r.status == 403u)
      BOOST_TEST(json{r.body}.str("/error/code") == "insufficient_scope");
  }
  r = c.request("OPTIONS", "/webhooks/" + tok.secret, {},
                {{"WebHook-Request-Origin", "eventemitter.example.com"}});
  BOOST_TEST(r.status == 403u);
  BOOST_TEST(r.header("webhook-allowed-origin").empty());
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_SUITE_END()
