// GET /metrics on the admin port: what Prometheus scrapes. The counts move
// with the requests a real sluiced serves, the scrape needs no token and
// shows no secret, and promtool (Prometheus' own checker) finds no problem
// in it.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

std::string requests(const std::string& port, const std::string& door, const std::string& code) {
  return R"(sluice_http_requests_total{port=")" + port + R"(",door=")" + door + R"(",code=")" + code
         + R"("})";
}

std::string by_door(const std::string& name, const std::string& door) {
  return name + R"({door=")" + door + R"("})";
}

std::string rejected(const std::string& reason) {
  return R"(sluice_rejected_requests_total{reason=")" + reason + R"("})";
}

/// promtool as `make test` installs it (Debian package prometheus).
std::string promtool() {
  for (const char* p : {"/usr/bin/promtool", "/usr/local/bin/promtool"})
    if (std::filesystem::exists(p))
      return p;
  return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(metrics)

BOOST_AUTO_TEST_CASE(counts_move_with_accepted_refused_and_limited_requests) {
  sluice_fixture f;
  auto limited = f.ingest_token("pro", R"({"name":"limited","security":{"rate_limit":"2/hour"}})");
  auto limited_system = f.last_system();
  auto doomed = f.ingest_token("pro", R"({"name":"doomed"})");
  auto shadowed = f.ingest_token(
    "pro", R"({"name":"shadowed","security":{"rate_limit":"1/hour","rate_limit_shadow":true}})");
  auto su = bearer(f.superuser());
  auto before = scrape(f);

  auto c = f.ingest();
  // Accepted: 3 + 1 messages through the limited token, 1 through the doomed one.
  BOOST_REQUIRE_EQUAL(
    post_messages(c, limited.secret, R"([{"message":"a"},{"message":"b"},{"message":"c"}])").status,
    202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, limited.secret, R"({"message":"d"})").status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, doomed.secret, R"({"message":"e"})").status, 202u);
  // Rate-limited by the token's own limit.
  BOOST_REQUIRE_EQUAL(post_messages(c, limited.secret, R"({"message":"f"})").status, 429u);
  // Refused: a revoked token, then a token that never existed.
  BOOST_REQUIRE_EQUAL(
    f.admin().post("/api/v1/tokens/" + doomed.id + "/revoke", R"({"reason":"test"})", su).status,
    200u);
  BOOST_REQUIRE_EQUAL(post_messages(c, doomed.secret, R"({"message":"g"})").status, 401u);
  BOOST_REQUIRE_EQUAL(post_messages(c, "al_not_a_real_token", R"({"message":"h"})").status, 401u);
  // Over a shadowed limit: let through, counted.
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, shadowed.secret, R"({"message":"s"})").status, 202u);
  // No route.
  BOOST_REQUIRE_EQUAL(c.get("/no-such-door").status, 404u);

  auto after = scrape(f);
  auto moved = [&](const std::string& series) {
    return value(after, series) - value(before, series);
  };

  // Requests by door and status, counted when the response was written.
  BOOST_TEST(moved(requests("ingest", "native", "202")) == 3 + 3);
  BOOST_TEST(moved(requests("ingest", "native", "429")) == 1);
  BOOST_TEST(moved(requests("ingest", "native", "401")) == 2);
  BOOST_TEST(moved(requests("ingest", "other", "404")) == 1);
  BOOST_TEST(moved(requests("admin", "admin", "200")) == 1);   // the revoke
  BOOST_TEST(moved(requests("admin", "metrics", "200")) == 1); // the first scrape
  // Accepted messages, requests and bytes of the native door.
  BOOST_TEST(moved(by_door("sluice_accepted_messages_total", "native")) == 3 + 1 + 1 + 3);
  BOOST_TEST(moved(by_door("sluice_accepted_requests_total", "native")) == 3 + 3);
  BOOST_TEST(moved(by_door("sluice_duplicate_messages_total", "native")) == 0);
  BOOST_TEST(moved(by_door("sluice_accepted_bytes_total", "native")) > 0);
  BOOST_TEST(moved(by_door("sluice_accepted_messages_total", "webhook")) == 0);
  // Refusals by reason: the revoked token and the token's limit. A token
  // that does not exist has no usage to count it in: it is only a 401 above.
  BOOST_TEST(moved(rejected("unauthorized")) == 1);
  BOOST_TEST(moved(rejected("rate_limited")) == 1);
  BOOST_TEST(moved(rejected("invalid")) == 0);
  BOOST_TEST(moved(rejected("storage_error")) == 0);
  BOOST_TEST(moved(R"(sluice_shadow_limited_requests_total{limit="token"})") == 2);
  BOOST_TEST(moved("sluice_sampled_requests_total") == 0);
  // Every acknowledged message went through one group commit before its 202.
  BOOST_TEST(moved("sluice_commit_group_messages_sum") == 3 + 1 + 1 + 3);
  BOOST_TEST(moved("sluice_commit_group_messages_count") >= 1);
  BOOST_TEST(moved("sluice_commit_group_messages_count") <= 6);
  BOOST_TEST(moved("sluice_commit_duration_seconds_count")
             == moved("sluice_commit_group_messages_count"));
  BOOST_TEST(value(after, R"(sluice_commit_duration_seconds_bucket{le="+Inf"})")
             == value(after, "sluice_commit_duration_seconds_count"));
  // Every answer of the ingest port (6 + 1 + 2 + 1 above) has its duration
  // counted, and no answer of the admin port does.
  BOOST_TEST(moved("sluice_ingest_request_duration_seconds_count") == 10);
  BOOST_TEST(moved("sluice_ingest_request_duration_seconds_sum") > 0);
  BOOST_TEST(moved("sluice_ingest_request_duration_seconds_sum") < 10 * 10.0);
  BOOST_TEST(value(after, R"(sluice_ingest_request_duration_seconds_bucket{le="+Inf"})")
             == value(after, "sluice_ingest_request_duration_seconds_count"));
  BOOST_TEST(value(after, R"(sluice_ingest_request_duration_seconds_bucket{le="0.002"})")
             <= value(after, R"(sluice_ingest_request_duration_seconds_bucket{le="+Inf"})"));
  // The write-ahead log: the start took a checkpoint (counted at the first
  // group commit), none failed.
  BOOST_TEST(value(after, R"(sluice_checkpoints_total{result="ok"})") >= 1);
  BOOST_TEST(value(after, R"(sluice_checkpoints_total{result="failed"})") == 0);
  BOOST_TEST(shown(after, "sluice_wal_used_bytes"));

  // Gauges read at scrape time.
  BOOST_TEST(value(after, "sluice_live_token_actors") >= 3); // the superuser's, limited, shadowed
  BOOST_TEST(value(after, "sluice_live_system_actors") >= 2);
  BOOST_TEST(value(after, R"(sluice_open_connections{port="admin"})") >= 1); // this scrape's
  for (std::string env : {"r7", "r30", "rnever", "meta"}) {
    BOOST_TEST(value(after, R"(sluice_storage_map_size_bytes{env=")" + env + R"("})") > 0, env);
    BOOST_TEST(shown(after, R"(sluice_storage_used_bytes{env=")" + env + R"("})"), env);
  }
  BOOST_TEST(value(after, R"(sluice_storage_used_bytes{env="meta"})") > 0);
  BOOST_TEST(value(after, "sluice_process_start_time_seconds") > 1.6e9);
  BOOST_TEST(value(after, "sluice_process_start_time_seconds")
             == value(before, "sluice_process_start_time_seconds"));

  // What was stored is what was counted.
  BOOST_TEST(f.read_messages(limited_system).size() == 4u);
}

BOOST_AUTO_TEST_CASE(the_scrape_needs_no_token_and_shows_no_secret) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  // A secret in the path (refused: it names no token).
  BOOST_REQUIRE_GE(c.post("/webhooks/alw_not_a_real_secret", R"({"a":1})").status, 400u);
  auto r = get_metrics(f);
  BOOST_TEST(r.header("content-type") == "text/plain; version=0.0.4");
  BOOST_TEST(r.body.find(tok.secret) == std::string::npos);
  BOOST_TEST(r.body.find(f.superuser()) == std::string::npos);
  BOOST_TEST(r.body.find("alw_not_a_real_secret") == std::string::npos);
  BOOST_TEST(r.body.find(tok.id) == std::string::npos);
  BOOST_TEST(r.body.find(f.last_system()) == std::string::npos);
  // The webhook request is labelled by its door, never by the path's token.
  double webhook = 0;
  for (auto& [series, v] : parse_scrape(r.body))
    if (series.starts_with(R"(sluice_http_requests_total{port="ingest",door="webhook",)"))
      webhook += v;
  BOOST_TEST(webhook == 1);
  // GET only, and no query parameter.
  auto a = f.admin();
  BOOST_TEST(a.post("/metrics", "{}").status == 405u);
  BOOST_TEST(a.get("/metrics?format=json").status == 400u);
  // On the ingest port there is no /metrics.
  BOOST_TEST(c.get("/metrics").status == 404u);
}

BOOST_AUTO_TEST_CASE(promtool_finds_no_problem_in_a_real_scrape) {
  auto tool = promtool();
  BOOST_REQUIRE_MESSAGE(!tool.empty(),
                        "promtool not found: apt-get install --no-install-recommends prometheus "
                        "(make test does)");
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"([{"message":"x"},{"message":"y"}])").status,
                      202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, "al_nope", R"({"message":"x"})").status, 401u);
  auto body = get_metrics(f).body;
  auto file = f.data_dir() / "scrape.txt";
  std::ofstream(file) << body;
  // Lint problems (exit 3) and parse errors (exit 1) are printed; any output
  // at all is a problem.
  std::string cmd = tool + " check metrics < '" + file.string() + "' 2>&1";
  auto [status, out] = run_shell(cmd);
  BOOST_TEST(status == 0, "promtool exit " << status << ":\n" << out);
  BOOST_TEST(out.empty(), "promtool says:\n" << out << "\nabout:\n" << body);
}

BOOST_AUTO_TEST_SUITE_END()
