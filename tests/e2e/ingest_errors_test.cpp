// The ingest port as a client sees it: what is accepted, and each refusal
// with its status and error body.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "policy/token_format.hpp"
#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

/// Asserts status and error code of a refusal (expect_error), and the
/// documented body shape: a message goes with the code.
void expect_refusal(const http_result& r, unsigned status, const std::string& code) {
  expect_error(r, status, code);
  BOOST_TEST_CONTEXT(r.body) { BOOST_TEST(!json{r.body}.str("/error/message").empty()); }
}

std::string message_of(std::size_t bytes) {
  return R"({"message":")" + std::string(bytes, 'x') + R"("})";
}

} // namespace

BOOST_AUTO_TEST_SUITE(ingest_errors)

BOOST_AUTO_TEST_CASE(a_message_and_a_batch_are_accepted_and_read_back) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, R"({"message":"hello","level":"info","user":"u1"})");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":1,"duplicates":0})");
  r = post_messages(c, tok.secret, R"([{"message":"a"},{"message":"b","level":"warn"}])");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":2,"duplicates":0})");

  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  BOOST_TEST(msgs[0].str("/body/message") == "hello");
  BOOST_TEST(msgs[0].str("/body/user") == "u1"); // unknown fields are kept
  BOOST_TEST(msgs[0].str("/level") == "info");
  BOOST_TEST(msgs[0].str("/token_id") == tok.id);
  BOOST_TEST(msgs[0].str("/system_id") == f.last_system());
  BOOST_TEST(msgs[0].str("/source") == "native");
  BOOST_TEST(msgs[0].num("/retention_days") == 90); // pro default
  BOOST_TEST(msgs[1].str("/body/message") == "a");
  BOOST_TEST(msgs[2].str("/level") == "warn");
}

BOOST_AUTO_TEST_CASE(the_token_is_taken_from_bearer_x_api_key_or_query) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_TEST(c.post("/messages", R"({"message":"1"})", bearer(tok.secret)).status == 202u);
  BOOST_TEST(c.post("/messages", R"({"message":"2"})", {{"X-API-KEY", tok.secret}}).status == 202u);
  BOOST_TEST(c.post("/messages?api_key=" + tok.secret, R"({"message":"3"})").status == 202u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == 3u);
}

BOOST_AUTO_TEST_CASE(no_malformed_or_unknown_token_is_401_invalid_token) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto typo = tok.secret;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  auto unknown = sluice::generate_secret(sluice::token_kind::ingest);
  for (auto& r :
       {c.post("/messages", R"({"message":"x"})"), post_messages(c, typo, R"({"message":"x"})"),
        post_messages(c, unknown, R"({"message":"x"})"),
        post_messages(c, "al_short", R"({"message":"x"})")}) {
    expect_refusal(r, 401, "invalid_token");
    BOOST_TEST(r.header("www-authenticate").rfind("Bearer", 0) == 0u);
  }
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(invalid_json_or_messages_are_400_and_store_nothing) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  expect_refusal(post_messages(c, tok.secret, R"({"message":"x")"), 400, "malformed_json");
  expect_refusal(post_messages(c, tok.secret, R"({"message":"x"} trailing)"), 400,
                 "malformed_json");
  auto r = post_messages(c, tok.secret, R"([{"message":"ok"},{"level":"info"},{"message":""}])");
  expect_refusal(r, 400, "invalid_message");
  json j{r.body};
  BOOST_TEST(j.size("/error/details") == 2u);
  BOOST_TEST(j.num("/error/details/0/index") == 1);
  BOOST_TEST(j.str("/error/details/0/error") == "\"message\" is required");
  BOOST_TEST(j.num("/error/details/1/index") == 2);
  // The valid first message of the refused batch is not stored either.
  BOOST_TEST(f.read_messages(f.last_system()).empty());
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_is_415) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = c.request("POST", "/messages", "message=x", bearer(tok.secret),
                     "application/x-www-form-urlencoded");
  expect_refusal(r, 415, "unsupported_media_type");
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_wrong_methods_405_with_allow) {
  sluice_fixture f;
  auto c = f.ingest();
  expect_refusal(c.get("/nope"), 404, "not_found");
  auto r = c.get("/messages");
  expect_refusal(r, 405, "method_not_allowed");
  BOOST_TEST(r.header("allow") == "POST");
}

BOOST_AUTO_TEST_CASE(a_request_over_the_configured_cap_is_413) {
  sluice_fixture f{{"--ingest.max-request-bytes=65536"}};
  auto tok = f.ingest_token("enterprise");
  auto c = f.ingest();
  expect_refusal(post_messages(c, tok.secret, message_of(70'000)), 413, "request_too_large");
  auto c2 = f.ingest(); // the server closes a connection after a 413 of this kind
  BOOST_TEST(post_messages(c2, tok.secret, message_of(60'000)).status == 202u);
}

BOOST_AUTO_TEST_CASE(a_message_over_the_tier_inline_cap_is_413) {
  sluice_fixture f;
  auto tok = f.ingest_token("free", R"({"name":"app"})");
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, message_of(17 * 1024));
  expect_refusal(r, 413, "message_too_large");
  BOOST_TEST(json{r.body}.str("/error/message").find("16384") != std::string::npos);
  BOOST_TEST(post_messages(c, tok.secret, message_of(15 * 1024)).status == 202u);
  // Pro allows 256 KiB.
  auto pro = f.ingest_token("pro");
  BOOST_TEST(post_messages(c, pro.secret, message_of(200 * 1024)).status == 202u);
}

BOOST_AUTO_TEST_CASE(more_than_1000_messages_in_a_request_is_413) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  std::string batch = "[";
  for (int i = 0; i < 1001; ++i)
    batch += std::string{i ? "," : ""} + R"({"message":"m"})";
  batch += "]";
  expect_refusal(post_messages(c, tok.secret, batch), 413, "batch_too_large");
  batch = "[";
  for (int i = 0; i < 1000; ++i)
    batch += std::string{i ? "," : ""} + R"({"message":"m"})";
  batch += "]";
  auto r = post_messages(c, tok.secret, batch);
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(json{r.body}.num("/accepted") == 1000);
}

BOOST_AUTO_TEST_CASE(tokens_of_other_kinds_are_403_where_they_do_not_belong) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  // A superuser's personal token cannot ingest, nor ask which system it is ...
  expect_refusal(post_messages(c, f.superuser(), R"({"message":"x"})"), 403, "insufficient_scope");
  expect_refusal(c.get("/systems/me", bearer(f.superuser())), 403, "insufficient_scope");
  // ... and an ingest token cannot use the admin API: write-only.
  auto a = f.admin();
  expect_refusal(a.get("/api/v1/tenants", bearer(tok.secret)), 403, "insufficient_scope");
  expect_refusal(a.get("/api/v1/systems/" + f.last_system() + "/messages", bearer(tok.secret)), 403,
                 "insufficient_scope");
}

BOOST_AUTO_TEST_CASE(systems_me_describes_the_token) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","retention_days":30})");
  auto c = f.ingest();
  auto r = c.get("/systems/me", bearer(tok.secret));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  json j{r.body};
  BOOST_TEST(j.str("/system/id") == f.last_system());
  BOOST_TEST(j.str("/token/id") == tok.id);
  BOOST_TEST(j.num("/retention_days") == 30);
  BOOST_TEST(j.str("/tier") == "pro");
  BOOST_TEST(j.raw("/scopes") == R"(["ingest"])");
  BOOST_TEST(j.num("/limits/inline_cap_bytes") == 256 * 1024);
  BOOST_TEST(r.body.find(tok.secret) == std::string::npos);
  expect_refusal(c.get("/systems/me"), 401, "invalid_token");
}

BOOST_AUTO_TEST_CASE(healthz_answers_on_both_ports) {
  sluice_fixture f;
  auto c = f.ingest();
  auto r = c.get("/healthz");
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body == R"({"status":"ok"})");
  auto a = f.admin();
  BOOST_TEST(a.get("/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_full_store_is_507_keeps_what_was_acknowledged_and_recovers) {
  // A 1 MiB map that may grow to 2 MiB: the store fills up quickly. The
  // probe write that may clear a failed commit runs every
  // ready-check-interval: a minute here, so that the state right after the
  // 507 is what /readyz shows however slow the machine (under TSan a second
  // could pass, and a small probe write may well fit).
  std::vector<std::string> small = {"--storage.map-size=1048576", "--storage.meta-map-size=1048576",
                                    "--storage.max-map-size=2097152",
                                    "--storage.ready-check-interval=60s"};
  sluice_fixture f{small};
  auto tok = f.ingest_token("enterprise");
  auto c = f.ingest();
  std::string batch = "[";
  for (int i = 0; i < 50; ++i)
    batch += std::string{i ? "," : ""} + message_of(2000);
  batch += "]";
  std::size_t acked = 0;
  http_result last;
  for (int i = 0; i < 100; ++i) {
    last = post_messages(c, tok.secret, batch);
    if (last.status != 202)
      break;
    acked += 50;
  }
  expect_refusal(last, 507, "storage_full");
  BOOST_TEST(last.header("retry-after") == "30");
  BOOST_TEST(acked > 0u);
  // Not ready (the commit failed, the map is at its limit), yet alive.
  auto ready = c.get("/readyz");
  BOOST_TEST(ready.status == 503u);
  BOOST_TEST(ready.body.find(R"("check":"commit")") != std::string::npos, ready.body);
  BOOST_TEST(ready.body.find(R"("check":"map")") != std::string::npos, ready.body);
  BOOST_TEST(c.get("/healthz").status == 200u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == acked);
  // The operator raises the limit and restarts: writes succeed again, health
  // comes back, and everything acknowledged before is still there.
  f.restart({"--storage.map-size=1048576", "--storage.meta-map-size=1048576",
             "--storage.max-map-size=67108864", "--storage.ready-min-free-disk-bytes=1048576"});
  auto c2 = f.ingest();
  BOOST_TEST(post_messages(c2, tok.secret, batch).status == 202u);
  BOOST_TEST(c2.get("/readyz").status == 200u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == acked + 50);
}

BOOST_AUTO_TEST_CASE(saturated_storage_answers_503_with_retry_after_and_stores_nothing) {
  // Commits wait 3 s for company, and one byte of backlog is the limit: the
  // first request is let in and waits for its commit; any other arriving
  // meanwhile finds storage saturated.
  sluice_fixture f{{"--storage.batch-latency=3s", "--storage.max-pending-bytes=1"}};
  auto tok = f.ingest_token();
  http_result first;
  std::thread waiting([&] {
    auto c = f.ingest();
    first = post_messages(c, tok.secret, R"({"message":"first"})");
  });
  // Until the first request holds the backlog (the gauge says so), rather
  // than a fixed pause that a loaded machine may overrun.
  auto backlog_held = [&] { return value(scrape(f), "sluice_ingest_backlog_bytes") != 0; };
  for (int i = 0; i < 200 && !backlog_held(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  BOOST_REQUIRE(backlog_held());
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, R"({"message":"second"})");
  expect_refusal(r, 503, "storage_busy");
  BOOST_TEST(r.header("retry-after") == "1");
  // OTLP exporters retry on it, so the OTLP door answers the same way.
  r =
    c.request("POST", "/otlp/v1/logs",
              R"({"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"x"}}]}]}]})",
              bearer(tok.secret));
  BOOST_TEST(r.status == 503u);
  BOOST_TEST(r.header("retry-after") == "1");
  auto scrape = f.admin().get("/metrics").body;
  BOOST_TEST(scrape.find("sluice_ingest_backlog_bytes ") != std::string::npos);
  waiting.join();
  BOOST_TEST(first.status == 202u, first.body);
  // Committed and answered: the backlog is empty again.
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"third"})").status == 202u);
  auto stored = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(stored.size(), 2u);
  BOOST_TEST(stored[0].str("/body/message") == "first");
  BOOST_TEST(stored[1].str("/body/message") == "third");
}

BOOST_AUTO_TEST_SUITE_END()
