// The ingest doors other than POST /messages, with requests made by hand the
// way their clients make them: OTLP/HTTP (JSON here; protobuf and the real
// OpenTelemetry exporters are in clients_test.cpp), the Langfuse ingestion
// API, webhooks; compressed and chunked bodies and their caps.

#include <boost/test/unit_test.hpp>

#include <zlib.h>

#include <fstream>
#include <map>
#include <string>

#include "google/rpc/status.pb.h"
#include "opentelemetry/proto/collector/logs/v1/logs_service.pb.h"
#include "policy/token_format.hpp"
#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

std::string gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

/// An OTLP/JSON logs request as the OpenTelemetry JS exporter writes one:
/// hex ids, int64 as strings, integer enums, lowerCamelCase keys.
std::string otlp_logs(const std::string& records) {
  return R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},
    "scopeLogs":[{"scope":{"name":"checkout-logger","version":"1.2.0"},"logRecords":[)"
         + records + "]}]}]}";
}

std::string log_record(const std::string& body, int severity = 9) {
  return R"({"timeUnixNano":"1733000000123456789","observedTimeUnixNano":"1733000000200000000","severityNumber":)"
         + std::to_string(severity) + R"(,"severityText":"INFO","body":{"stringValue":")" + body
         + R"("},"attributes":[{"key":"user.id","value":{"intValue":"42"}},{"key":"retry","value":{"boolValue":true}}],
         "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","unknownField":{"x":1}})";
}

http_result post_otlp(http_client& c, const std::string& path, const std::string& secret,
                      const std::string& body, header_list extra = {}) {
  extra.emplace_back("Authorization", "Bearer " + secret);
  return c.request("POST", path, body, extra, "application/json");
}

} // namespace

BOOST_AUTO_TEST_SUITE(otlp_door)

BOOST_AUTO_TEST_CASE(each_log_record_is_one_message_that_can_be_found_again) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret,
                     otlp_logs(log_record("payment declined", 17) + "," + log_record("retrying")));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(r.header("content-type") == "application/json");
  BOOST_TEST(json{r.body}.raw("") == "{}"); // nothing rejected: no partialSuccess
  BOOST_TEST(!r.header("x-ratelimit-limit").empty());
  auto stored = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(stored.size(), 2u);
  auto& m = stored[0];
  BOOST_TEST(m.str("/source") == "otlp_logs");
  BOOST_TEST(m.str("/level") == "error"); // severityNumber 17
  BOOST_TEST(m.str("/timestamp") == "2024-11-30T20:53:20.123456Z");
  BOOST_TEST(m.str("/body/message") == "payment declined");
  BOOST_TEST(m.str("/body/resource/service.name") == "checkout");
  BOOST_TEST(m.str("/body/scope/name") == "checkout-logger");
  BOOST_TEST(m.str("/body/trace_id") == "5b8efff798038103d269b633813fc60c");
  BOOST_TEST(m.str("/body/span_id") == "eee19b7ec3c1b174");
  BOOST_TEST(m.num("/body/attributes/user.id") == 42);
  BOOST_TEST(m.boolean("/body/attributes/retry"));
  BOOST_TEST(stored[1].str("/level") == "info");
}

BOOST_AUTO_TEST_CASE(spans_are_stored_one_message_each) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto body =
    R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
    "scopeSpans":[{"scope":{"name":"http"},"spans":[
      {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /orders","kind":2,
       "startTimeUnixNano":"1733000000000000000","endTimeUnixNano":"1733000000250000000",
       "attributes":[{"key":"http.status_code","value":{"intValue":500}}],
       "events":[{"timeUnixNano":"1733000000100000000","name":"retry"}],
       "status":{"code":2,"message":"upstream failed"}}]}]}]})";
  auto r = post_otlp(c, "/otlp/v1/traces", tok.secret, body);
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  auto stored = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(stored.size(), 1u);
  auto& s = stored[0];
  BOOST_TEST(s.str("/source") == "otlp_traces");
  BOOST_TEST(s.str("/level") == "error");
  BOOST_TEST(s.str("/body/name") == "GET /orders");
  BOOST_TEST(s.str("/body/kind") == "server");
  BOOST_TEST(s.num("/body/duration_ms") == 250);
  BOOST_TEST(s.str("/body/status/code") == "error");
  BOOST_TEST(s.str("/body/events/0/name") == "retry");
  BOOST_TEST(s.str("/body/resource/service.name") == "api");
}

BOOST_AUTO_TEST_CASE(records_that_cannot_be_stored_are_reported_and_the_rest_stored) {
  sluice_fixture f;
  auto tok = f.ingest_token("free"); // inline cap 16 KiB
  auto c = f.ingest();
  std::string big(20'000, 'x');
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret,
                     otlp_logs(log_record("small") + "," + log_record(big) + ","
                               + R"({"body":{"stringValue":"bad id"},"traceId":"abc"})"));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  json j{r.body};
  BOOST_TEST(j.num("/partialSuccess/rejectedLogRecords") == 2);
  BOOST_TEST(!j.str("/partialSuccess/errorMessage").empty());
  auto stored = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(stored.size(), 1u);
  BOOST_TEST(stored[0].str("/body/message") == "small");
  // Usage counts what was stored: the token counted the large record when it
  // let the request on, and the commit took it back before the answer.
  auto a = f.admin();
  auto su = bearer(f.superuser());
  json t{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  json sys{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  for (auto* u : {&t, &sys}) {
    BOOST_TEST(u->num("/totals/requests") == 1);
    BOOST_TEST(u->num("/totals/messages") == 1);
    BOOST_TEST(u->num("/totals/bytes") < 1000); // the 20,000-byte record is not in it
    BOOST_TEST(u->num("/series/59/messages") == 1);
  }
  BOOST_TEST(t.num("/totals/bytes") == sys.num("/totals/bytes"));
}

BOOST_AUTO_TEST_CASE(records_left_out_take_nothing_from_the_rate_limit) {
  sluice_fixture f;
  // A bucket of 10 messages and a 1 KiB inline cap.
  auto tok = f.tenant_token(
    R"({"name":"t","tier":"pro","overrides":{"steady_rate":1,"burst_rate":1,"inline_cap_bytes":1024}})",
    R"({"name":"app"})");
  auto c = f.ingest();
  std::string records = log_record(std::string(2'000, 'x'));
  for (int i = 0; i < 9; ++i)
    records += "," + log_record("r" + std::to_string(i));
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(records));
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  BOOST_TEST(json{r.body}.num("/partialSuccess/rejectedLogRecords") == 1);
  // Nine were stored, so one message is left in the bucket, and only one.
  r = post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(log_record("the tenth")));
  BOOST_TEST(r.status == 200u, r.body);
  expect_error(post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(log_record("eleventh"))), 429,
               "rate_limited");
  BOOST_TEST(f.read_messages(f.last_system()).size() == 10u);
}

BOOST_AUTO_TEST_CASE(an_empty_request_succeeds_and_bad_ones_are_refused_plainly) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret, "{}");
  BOOST_TEST(r.status == 200u);
  r = post_otlp(c, "/otlp/v1/traces", tok.secret, R"({"resourceSpans":[]})");
  BOOST_TEST(r.status == 200u);
  expect_error(post_otlp(c, "/otlp/v1/logs", tok.secret, "{\"resourceLogs\":"), 400,
               "malformed_json");
  expect_error(c.request("POST", "/otlp/v1/logs", "x", bearer(tok.secret), "text/plain"), 415,
               "unsupported_media_type");
  expect_error(post_otlp(c, "/otlp/v1/logs", "al_nope", "{}"), 401, "invalid_token");
  BOOST_TEST(c.get("/otlp/v1/logs", bearer(tok.secret)).status == 405u);
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(protobuf_requests_are_answered_in_protobuf_errors_included) {
  sluice_fixture f;
  auto tok =
    f.tenant_token(R"({"name":"t","tier":"pro","overrides":{"steady_rate":1,"burst_rate":1}})",
                   R"({"name":"app"})");
  auto c = f.ingest();
  auto post = [&](const std::string& secret, const std::string& body) {
    return c.request("POST", "/otlp/v1/logs", body, bearer(secret), "application/x-protobuf");
  };
  // The OTLP specification: errors are a google.rpc.Status in the request's encoding.
  auto expect_status = [](const http_result& r, unsigned http, int grpc, const std::string& code) {
    BOOST_TEST_CONTEXT(r.status << " " << r.body) {
      BOOST_TEST(r.status == http);
      BOOST_TEST(r.header("content-type") == "application/x-protobuf");
      google::rpc::Status status;
      BOOST_REQUIRE(status.ParseFromString(r.body));
      BOOST_TEST(status.code() == grpc);
      BOOST_TEST(status.message().rfind(code + ": ", 0) == 0u, status.message());
    }
  };
  expect_status(post("al_nope", ""), 401, 16, "invalid_token");
  expect_status(post(tok.secret, "\x0a\x02garbage"), 400, 3, "invalid_argument");

  opentelemetry::proto::collector::logs::v1::ExportLogsServiceRequest request;
  auto* records = request.add_resource_logs()->add_scope_logs();
  for (int i = 0; i < 10; ++i)
    records->add_log_records()->mutable_body()->set_string_value("r" + std::to_string(i));
  auto r = post(tok.secret, request.SerializeAsString());
  // Nothing rejected: the empty ExportLogsServiceResponse, typed as protobuf.
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.empty());
  BOOST_TEST(r.header("content-type") == "application/x-protobuf");
  opentelemetry::proto::collector::logs::v1::ExportLogsServiceResponse response;
  BOOST_TEST(response.ParseFromString(r.body));
  BOOST_TEST(!response.has_partial_success());

  r = post(tok.secret, request.SerializeAsString());
  expect_status(r, 429, 8, "rate_limited");
  BOOST_TEST(!r.header("retry-after").empty());
  BOOST_TEST(f.read_messages(f.last_system()).size() == 10u);
}

BOOST_AUTO_TEST_CASE(throttling_is_429_with_retry_after_which_exporters_retry_on) {
  sluice_fixture f;
  auto tok =
    f.tenant_token(R"({"name":"t","tier":"pro","overrides":{"steady_rate":1,"burst_rate":1}})",
                   R"({"name":"app"})");
  auto c = f.ingest();
  std::string records;
  for (int i = 0; i < 11; ++i)
    records += std::string{i ? "," : ""} + log_record("r" + std::to_string(i));
  // Rate limits count records, like a native batch: 11 never fit a bucket of 10.
  expect_error(post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(records)), 413,
               "batch_too_large");
  records.clear();
  for (int i = 0; i < 10; ++i)
    records += std::string{i ? "," : ""} + log_record("r" + std::to_string(i));
  BOOST_REQUIRE_EQUAL(post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(records)).status, 200u);
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret, otlp_logs(log_record("one more")));
  expect_error(r, 429, "rate_limited");
  BOOST_TEST(!r.header("retry-after").empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(bodies)

BOOST_AUTO_TEST_CASE(gzip_and_chunked_bodies_are_read_under_the_same_caps) {
  sluice_fixture f{{"--ingest.max-request-bytes=1000000"}};
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto body = otlp_logs(log_record("compressed"));
  auto r = post_otlp(c, "/otlp/v1/logs", tok.secret, gzip(body),
                     {{"Content-Encoding", "gzip"}, {"Transfer-Encoding", "chunked"}});
  BOOST_REQUIRE_MESSAGE(r.status == 200u, r.body);
  // Native messages too.
  r = c.request("POST", "/messages", gzip(R"({"message":"zipped"})"),
                {{"Authorization", "Bearer " + tok.secret}, {"Content-Encoding", "gzip"}},
                "application/json");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == 2u);
  // A bomb: 20 MB of zeros in a few kilobytes is stopped at the cap, nothing stored.
  std::string zeros(20'000'000, '0');
  auto bomb = gzip(R"({"message":")" + zeros + "\"}");
  BOOST_TEST(bomb.size() < 100'000u);
  expect_error(c.request("POST", "/messages", bomb,
                         {{"Authorization", "Bearer " + tok.secret}, {"Content-Encoding", "gzip"}},
                         "application/json"),
               413, "request_too_large");
  expect_error(c.request("POST", "/messages", "not gzip",
                         {{"Authorization", "Bearer " + tok.secret}, {"Content-Encoding", "gzip"}},
                         "application/json"),
               400, "invalid_argument");
  expect_error(c.request("POST", "/messages", "{}",
                         {{"Authorization", "Bearer " + tok.secret}, {"Content-Encoding", "br"}},
                         "application/json"),
               415, "unsupported_media_type");
  // Two Content-Encoding lines are one list, refused like "identity, br".
  expect_error(c.request("POST", "/messages", R"({"message":"two codings"})",
                         {{"Authorization", "Bearer " + tok.secret},
                          {"Content-Encoding", "identity"},
                          {"Content-Encoding", "br"}},
                         "application/json"),
               415, "unsupported_media_type");
  BOOST_TEST(f.read_messages(f.last_system()).size() == 2u);
}

// Found in review: the doors decoded a body before looking at the token, and
// 8 MB of empty ResourceLogs (8 KB gzipped, no token needed) parsed into
// some 300 MB; 8 MB of empty JSON objects grew the JSON parser's buffers by
// some 200 MB, kept. A made-up token is now refused with the body unread.
BOOST_AUTO_TEST_CASE(a_made_up_tokens_body_is_not_decoded) {
  sluice_fixture f;
  auto c = f.ingest();
  const auto made_up = sluice::generate_secret(sluice::token_kind::ingest);
  const auto made_up_hook = sluice::generate_secret(sluice::token_kind::webhook);
  auto peak_kb = [&] { // the server's peak resident memory so far
    std::ifstream status{"/proc/" + std::to_string(f.server().pid()) + "/status"};
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmHWM:", 0) == 0)
        return std::stol(line.substr(6));
    return 0L;
  };
  std::string empty_resources;
  for (int i = 0; i < 4'000'000; ++i)
    empty_resources += std::string("\x0a\x00", 2); // field 1 (resource_logs), length 0
  std::string empty_objects = "[{}";
  for (int i = 0; i < 2'000'000; ++i)
    empty_objects += ",{}";
  empty_objects += "]";
  auto zipped_resources = gzip(empty_resources);
  auto zipped_objects = gzip(empty_objects);
  auto zipped_batch = gzip(R"({"batch":)" + empty_objects + "}");
  auto before = peak_kb();
  auto otlp = c.request("POST", "/otlp/v1/logs", zipped_resources,
                        {{"Authorization", "Bearer " + made_up}, {"Content-Encoding", "gzip"}},
                        "application/x-protobuf");
  BOOST_TEST(otlp.status == 401u);
  expect_error(c.request("POST", "/api/public/ingestion", zipped_batch,
                         {{"Authorization", "Bearer " + made_up}, {"Content-Encoding", "gzip"}},
                         "application/json"),
               401, "invalid_token");
  expect_error(c.request("POST", "/webhooks/" + made_up_hook, zipped_objects,
                         {{"Content-Encoding", "gzip"}}, "application/json"),
               401, "invalid_token");
  // Azure Event Grid's handshake reads the body too.
  expect_error(
    c.request("POST", "/webhooks/" + made_up_hook, zipped_objects,
              {{"Content-Encoding", "gzip"}, {"aeg-event-type", "SubscriptionValidation"}},
              "application/json"),
    401, "invalid_token");
  auto grown_mb = (peak_kb() - before) / 1024;
  BOOST_TEST_MESSAGE("peak resident memory grew by " << grown_mb << " MB");
  // Inflating is all these requests cost: some 30 MB with the buffers (more
  // under a sanitizer), against 284 MB when the bodies were decoded.
  BOOST_TEST(grown_mb < 128);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(langfuse_door)

BOOST_AUTO_TEST_CASE(a_batch_answers_207_with_one_entry_per_event_and_dedups_by_event_id) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto batch = R"({"batch":[
    {"id":"ev-1","type":"trace-create","timestamp":"2024-12-01T10:00:00.000Z","body":{"id":"tr-1","name":"checkout"}},
    {"id":"ev-2","type":"generation-create","timestamp":"2024-12-01T10:00:01.000Z","body":{"id":"gen-1","traceId":"tr-1","name":"llm","model":"gpt-4o","level":"ERROR"}},
    {"id":"ev-3","type":"no-such-type","timestamp":"2024-12-01T10:00:02.000Z","body":{}}
  ],"metadata":{"sdk_name":"js","sdk_version":"3.38.4"}})";
  auto r =
    c.request("POST", "/api/public/ingestion", batch,
              {{"Authorization", basic_auth("pk-lf-anything", tok.secret)}}, "application/json");
  BOOST_REQUIRE_MESSAGE(r.status == 207u, r.body);
  json j{r.body};
  BOOST_REQUIRE_EQUAL(j.size("/successes"), 2u);
  BOOST_TEST(j.str("/successes/0/id") == "ev-1");
  BOOST_TEST(j.num("/successes/0/status") == 201);
  BOOST_REQUIRE_EQUAL(j.size("/errors"), 1u);
  BOOST_TEST(j.str("/errors/0/id") == "ev-3");
  BOOST_TEST(j.num("/errors/0/status") == 400);
  auto stored = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(stored.size(), 2u);
  BOOST_TEST(stored[0].str("/source") == "langfuse");
  BOOST_TEST(stored[0].str("/body/type") == "trace-create");
  BOOST_TEST(stored[1].str("/body/body/model") == "gpt-4o");
  BOOST_TEST(stored[1].str("/level") == "error");
  // The same events again (an SDK retry): successes, nothing stored twice. Bearer works too.
  r = c.request("POST", "/api/public/ingestion", batch, bearer(tok.secret), "application/json");
  BOOST_TEST(r.status == 207u);
  BOOST_TEST(json{r.body}.size("/successes") == 2u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == 2u);
  // A timestamp that is not an RFC 3339 string is that event's error; a
  // null one is none.
  r = c.request("POST", "/api/public/ingestion",
                R"({"batch":[{"id":"ev-4","type":"event-create","timestamp":5,"body":{}},
                             {"id":"ev-5","type":"event-create","timestamp":null,"body":{}}]})",
                bearer(tok.secret), "application/json");
  BOOST_REQUIRE_MESSAGE(r.status == 207u, r.body);
  json mixed{r.body};
  BOOST_REQUIRE_EQUAL(mixed.size("/errors"), 1u);
  BOOST_TEST(mixed.str("/errors/0/id") == "ev-4");
  BOOST_TEST(mixed.str("/successes/0/id") == "ev-5");
  BOOST_TEST(f.read_messages(f.last_system()).size() == 3u);
  // An id too long is answered with itself, so the sender can tell which
  // event it was (found in review: with ""); one that is no string with "".
  std::string long_id(129, 'i');
  r = c.request(
    "POST", "/api/public/ingestion",
    R"({"batch":[{"id":")" + long_id
      + R"(","type":"event-create","body":{}},{"id":7,"type":"event-create","body":{}}]})",
    bearer(tok.secret), "application/json");
  BOOST_REQUIRE_MESSAGE(r.status == 207u, r.body);
  json bad_ids{r.body};
  BOOST_REQUIRE_EQUAL(bad_ids.size("/errors"), 2u);
  BOOST_TEST(bad_ids.str("/errors/0/id") == long_id);
  BOOST_TEST(bad_ids.str("/errors/1/id") == "");
  BOOST_TEST(f.read_messages(f.last_system()).size() == 3u);
}

BOOST_AUTO_TEST_CASE(a_body_that_is_no_batch_is_400_and_a_bad_token_401) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  for (auto body : {R"([1,2])", R"({"events":[]})", R"({"batch":{}})"})
    expect_error(
      c.request("POST", "/api/public/ingestion", body, bearer(tok.secret), "application/json"), 400,
      "invalid_argument");
  expect_error(c.request("POST", "/api/public/ingestion", R"({"batch":[]})",
                         {{"Authorization", basic_auth("pk-lf-anything", "al_nope")}},
                         "application/json"),
               401, "invalid_token");
  std::string huge = R"({"batch":[{"id":"x","type":"sdk-log","body":{"log":")"
                     + std::string(3'600'000, 'a') + R"("}}]})";
  expect_error(
    c.request("POST", "/api/public/ingestion", huge, bearer(tok.secret), "application/json"), 413,
    "request_too_large");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(webhook_door)

BOOST_AUTO_TEST_CASE(any_json_is_stored_one_message_per_array_element) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto hook = f.mint(system, R"({"name":"github","kind":"webhook"})");
  BOOST_TEST(hook.secret.rfind("alw_", 0) == 0u);
  auto c = f.ingest();
  auto r = c.post("/webhooks/" + hook.secret, R"([{"action":"opened","id":"d-1"},42,"text"])");
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  BOOST_TEST(json{r.body}.num("/accepted") == 3);
  r = c.post("/webhooks/" + hook.secret, R"({"action":"closed","id":"d-1"})");
  BOOST_TEST(json{r.body}.num("/duplicates") == 1); // a redelivery of d-1
  auto stored = f.read_messages(system);
  BOOST_REQUIRE_EQUAL(stored.size(), 3u);
  BOOST_TEST(stored[0].str("/source") == "webhook");
  BOOST_TEST(stored[0].str("/body/action") == "opened");
  BOOST_TEST(stored[1].raw("/body") == "42");
  // Only webhook tokens in the path, and only there.
  auto ingest = f.mint(system, R"({"name":"app"})");
  expect_error(c.post("/webhooks/" + ingest.secret, "{}"), 403, "insufficient_scope");
  expect_error(post_messages(c, hook.secret, R"({"message":"x"})"), 403, "insufficient_scope");
  expect_error(c.post("/webhooks/alw_nope", "{}"), 401, "invalid_token");
  expect_error(c.post("/webhooks/" + hook.secret + "?x=1", "{}"), 400, "invalid_argument");
  // Handshakes too: the token first, then what the handshake lacks.
  expect_error(c.request("OPTIONS", "/webhooks/alw_nope"), 401, "invalid_token");
  expect_error(
    c.post("/webhooks/alw_nope", R"({"id":"v"})", {{"aeg-event-type", "SubscriptionValidation"}}),
    401, "invalid_token");
  expect_error(c.request("OPTIONS", "/webhooks/" + hook.secret), 400, "invalid_argument");
  expect_error(c.post("/webhooks/" + hook.secret, R"({"id":"v"})",
                      {{"aeg-event-type", "SubscriptionValidation"}}),
               400, "invalid_argument");
}

BOOST_AUTO_TEST_CASE(an_events_time_is_its_time_or_event_time_whichever_is_rfc_3339) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto hook = f.mint(system, R"({"name":"events","kind":"webhook"})");
  auto c = f.ingest();
  auto r =
    c.post("/webhooks/" + hook.secret,
           R"([{"id":"ce","time":"2026-11-30T10:00:00Z"},)"
           R"({"id":"eg","eventTime":"2026-11-30T11:00:00.5Z"},)"
           R"({"id":"both","time":"yesterday","eventTime":"2026-11-30T12:00:00Z"},)"
           R"({"id":"first","time":"2026-11-30T13:00:00Z","eventTime":"2026-11-30T14:00:00Z"}])");
  BOOST_REQUIRE_MESSAGE(r.status == 202u, r.body);
  auto stored = f.read_messages(system);
  BOOST_REQUIRE_EQUAL(stored.size(), 4u);
  std::map<std::string, std::string> at;
  for (auto& m : stored)
    at[m.str("/body/id")] = m.str("/timestamp");
  BOOST_TEST(at["ce"] == "2026-11-30T10:00:00.000000Z");
  BOOST_TEST(at["eg"] == "2026-11-30T11:00:00.500000Z");
  BOOST_TEST(at["both"] == "2026-11-30T12:00:00.000000Z"); // "yesterday" is no time
  BOOST_TEST(at["first"] == "2026-11-30T13:00:00.000000Z");
}

BOOST_AUTO_TEST_CASE(the_token_in_the_path_never_comes_back_in_an_error_a_metric_or_a_log) {
  sluice_fixture f;
  auto tenant = f.create_tenant("free"); // 16 KiB inline cap
  auto system = f.create_system(tenant);
  auto hook = f.mint(system, R"({"name":"github","kind":"webhook"})");
  auto c = f.ingest();
  auto path = "/webhooks/" + hook.secret;
  std::vector<http_result> answers{
    c.post(path, R"({"id":"d-1"})"),
    c.post(path, "{not json"),
    c.request("POST", path, "x", {}, "text/plain"),
    c.post(path, R"({"m":")" + std::string(20'000, 'x') + R"("})"),
    c.post(path, R"({"id":"v"})", {{"aeg-event-type", "SubscriptionValidation"}}),
    c.request("OPTIONS", path),
    c.get(path),
    c.post(path + "?verbose=1", "{}"),
    c.post(path + "/extra", "{}"),
    c.post("/webhook/" + hook.secret, "{}"),               // a mistyped route
    c.post(path.substr(0, path.size() - 3) + "abc", "{}"), // a damaged token
    c.post("/webhook/%61" + hook.secret.substr(1), "{}"),  // mistyped, the token encoded
  };
  std::vector<unsigned> statuses;
  for (auto& r : answers) {
    statuses.push_back(r.status);
    BOOST_TEST(r.body.find(hook.secret.substr(4, 20)) == std::string::npos, r.body);
    for (auto& [name, value] : r.headers)
      BOOST_TEST(value.find(hook.secret.substr(4, 20)) == std::string::npos, name);
  }
  BOOST_TEST(
    statuses == (std::vector<unsigned>{202, 400, 415, 413, 400, 400, 405, 400, 404, 404, 401, 404}),
    boost::test_tools::per_element());
  BOOST_TEST(json{answers[9].body}.str("/error/message") == "no such endpoint: /webhook/{token}");
  BOOST_TEST(json{answers[11].body}.str("/error/message") == "no such endpoint: /webhook/{token}");
  // An admin path id quoted in a 404, sent encoded: redacted as well.
  auto quoted = f.admin().get("/api/v1/tokens/%61" + hook.secret.substr(1), bearer(f.superuser()));
  BOOST_TEST(quoted.status == 404u);
  BOOST_TEST(quoted.body.find(hook.secret.substr(4, 20)) == std::string::npos, quoted.body);

  auto scrape = f.admin().get("/metrics");
  BOOST_REQUIRE_EQUAL(scrape.status, 200u);
  BOOST_TEST(scrape.body.find("sluice_http_requests_total{port=\"ingest\",door=\"webhook\"")
             != std::string::npos);
  auto audit = f.admin().get("/api/v1/audit?limit=500", bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(audit.status, 200u);
  for (auto* text : {&scrape.body, &audit.body})
    BOOST_TEST(text->find(hook.secret.substr(4, 20)) == std::string::npos);
  // The log is complete once the server has stopped.
  BOOST_TEST(f.server().terminate() == 0);
  auto log = f.server().output();
  BOOST_TEST(log.find("sluiced") != std::string::npos); // it did print something
  BOOST_TEST(log.find(hook.secret.substr(4, 20)) == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
