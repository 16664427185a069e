// Usage per token and per system: totals by outcome and reason, bytes, and a
// per-minute series for the last hour.

#include <cstdint>
#include <map>
#include <string>

#include <boost/test/unit_test.hpp>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(usage_reports)

BOOST_AUTO_TEST_CASE(token_and_system_usage_count_every_outcome) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","security":{"rate_limit":"4/hour"}})");
  auto other = f.mint(f.last_system(), R"({"name":"other"})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"([{"message":"a"},{"message":"b"}])").status,
                      202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"c","id":"x"})").status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"c","id":"x"})").status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"level":"info"})").status, 400u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"d"})").status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"e"})").status, 429u);
  BOOST_REQUIRE_EQUAL(post_messages(c, other.secret, R"({"message":"f"})").status, 202u);

  auto a = f.admin();
  auto su = bearer(f.superuser());
  json t{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  BOOST_TEST(t.str("/token_id") == tok.id);
  BOOST_TEST(t.num("/totals/requests") == 4);
  BOOST_TEST(t.num("/totals/messages") == 4);
  BOOST_TEST(t.num("/totals/duplicates") == 1);
  BOOST_TEST(t.num("/totals/bytes") > 40);
  BOOST_TEST(t.num("/totals/rejected/invalid") == 1);
  BOOST_TEST(t.num("/totals/rejected/rate_limited") == 1);
  BOOST_TEST(t.num("/totals/rejected/unauthorized") == 0);
  BOOST_TEST(t.str("/last_ip") == "127.0.0.1");
  BOOST_TEST(!t.is_null("/last_used_at"));
  BOOST_REQUIRE_EQUAL(t.size("/series"), 60u);
  BOOST_TEST(t.num("/series/59/requests") == 4); // this minute (a test takes seconds)
  BOOST_TEST(t.num("/series/59/rejected") == 2);
  BOOST_TEST(t.num("/series/59/rejected_by_reason/invalid") == 1);
  BOOST_TEST(t.num("/series/59/rejected_by_reason/rate_limited") == 1);
  BOOST_TEST(t.num("/series/59/rejected_by_reason/unauthorized") == 0);
  BOOST_TEST(t.num("/series/59/rejected_by_reason/unrecorded") == 0);
  BOOST_TEST(t.str("/series/59/minute").substr(16) == ":00.000000Z");

  json s{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  BOOST_TEST(s.num("/totals/requests") == 5);
  BOOST_TEST(s.num("/totals/messages") == 5);
  BOOST_TEST(s.num("/totals/rejected/invalid") == 1);
  BOOST_TEST(s.num("/totals/rejected/rate_limited") == 1);
  BOOST_TEST(s.size("/series") == 60u);
  BOOST_TEST(s.num("/series/59/rejected_by_reason/invalid") == 1);
  BOOST_TEST(s.num("/series/59/rejected_by_reason/rate_limited") == 1);

  // The token record carries the summary and the last use.
  json rec{a.get("/api/v1/tokens/" + tok.id, su).body};
  BOOST_TEST(rec.num("/usage/requests") == 4);
  BOOST_TEST(rec.num("/usage/rejected") == 2);
  BOOST_TEST(rec.str("/security/rate_limit") == "4/hour");
}

BOOST_AUTO_TEST_CASE(the_minutes_keep_their_refusals_by_reason_across_a_restart) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","security":{"rate_limit":"1/hour"}})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"a"})").status, 202u);
  for (int i = 0; i < 2; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"b"})").status, 429u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"nope":1})").status, 400u);
  f.restart(); // the minutes are written at shutdown and read back
  auto a = f.admin();
  auto su = bearer(f.superuser());
  for (auto path :
       {"/api/v1/tokens/" + tok.id + "/usage", "/api/v1/systems/" + f.last_system() + "/usage"}) {
    json u{a.get(path, su).body};
    BOOST_REQUIRE_EQUAL(u.size("/series"), 60u);
    // Summed over the hour: the requests may straddle a minute's end.
    std::map<std::string, std::int64_t> sum;
    for (std::size_t i = 0; i < 60; ++i) {
      auto m = "/series/" + std::to_string(i);
      sum["rejected"] += u.num(m + "/rejected");
      for (auto r :
           {"unauthorized", "invalid", "too_large", "rate_limited", "storage_error", "unrecorded"})
        sum[r] += u.num(m + "/rejected_by_reason/" + r);
    }
    BOOST_TEST(sum["rejected"] == 3, path);
    BOOST_TEST(sum["rate_limited"] == 2, path);
    BOOST_TEST(sum["invalid"] == 1, path);
    BOOST_TEST(
      sum["unauthorized"] + sum["too_large"] + sum["storage_error"] + sum["unrecorded"] == 0, path);
  }
}

BOOST_AUTO_TEST_CASE(a_revoked_tokens_attempts_count_as_unauthorized) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"no longer needed"})", su).status,
    200u);
  auto c = f.ingest();
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 401u);
  json t{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  BOOST_TEST(t.num("/totals/rejected/unauthorized") == 3);
  // Its system counts every request of its tokens: the totals add up.
  json s{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  BOOST_TEST(s.num("/totals/rejected/unauthorized") == 3);
}

BOOST_AUTO_TEST_CASE(a_systems_totals_are_the_sum_of_its_tokens) {
  sluice_fixture f;
  auto one = f.ingest_token("pro", R"({"name":"one","security":{"rate_limit":"1/hour"}})");
  auto two = f.mint(f.last_system(), R"({"name":"two"})");
  auto c = f.ingest();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_REQUIRE_EQUAL(post_messages(c, one.secret, R"({"message":"a"})").status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, one.secret, R"({"message":"b"})").status, 429u);
  BOOST_REQUIRE_EQUAL(post_messages(c, two.secret, R"([{"message":"c"},{"message":"d"}])").status,
                      202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, two.secret, R"({"nope":1})").status, 400u);
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/tokens/" + two.id + "/revoke", R"({"reason":"no longer needed"})", su).status,
    200u);
  BOOST_REQUIRE_EQUAL(post_messages(c, two.secret, R"({"message":"e"})").status, 401u);
  // An unknown token belongs to no system: it is in nobody's usage.
  BOOST_REQUIRE_EQUAL(post_messages(c, "al_nope", R"({"message":"f"})").status, 401u);

  json t1{a.get("/api/v1/tokens/" + one.id + "/usage", su).body};
  json t2{a.get("/api/v1/tokens/" + two.id + "/usage", su).body};
  json s{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  for (std::string key : {"/totals/requests", "/totals/messages", "/totals/rejected/unauthorized",
                          "/totals/rejected/invalid", "/totals/rejected/rate_limited",
                          "/totals/rejected/too_large", "/totals/rejected/storage_error"})
    BOOST_TEST(s.num(key) == t1.num(key) + t2.num(key), key);
  BOOST_TEST(s.num("/totals/requests") == 2);
  BOOST_TEST(s.num("/totals/rejected/unauthorized") == 1);
}

BOOST_AUTO_TEST_CASE(a_token_list_shows_the_same_usage_as_the_token_itself) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto idle = f.mint(f.last_system(), R"({"name":"idle"})");
  auto c = f.ingest();
  for (int i = 0; i < 2; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  auto a = f.admin();
  auto su = bearer(f.superuser());
  // Well inside the 10 s usage flush: the list must not show stored zeros.
  json list{a.get("/api/v1/systems/" + f.last_system() + "/tokens", su).body};
  json detail{a.get("/api/v1/tokens/" + tok.id, su).body};
  BOOST_REQUIRE_EQUAL(list.size("/items"), 2u);
  // Two tokens minted in one millisecond may list either way round.
  auto used = list.str("/items/0/id") == tok.id ? "/items/0" : "/items/1";
  auto other = list.str("/items/0/id") == tok.id ? "/items/1" : "/items/0";
  BOOST_TEST(list.str(std::string{used} + "/id") == tok.id);
  BOOST_TEST(detail.num("/usage/requests") == 2);
  BOOST_TEST(list.num(std::string{used} + "/usage/requests") == detail.num("/usage/requests"));
  BOOST_TEST(list.str(std::string{used} + "/last_used_at") == detail.str("/last_used_at"));
  BOOST_TEST(list.str(std::string{other} + "/id") == idle.id);
  BOOST_TEST(list.num(std::string{other} + "/usage/requests") == 0);
  BOOST_TEST(list.is_null(std::string{other} + "/last_used_at"));
}

BOOST_AUTO_TEST_CASE(usage_survives_a_restart_with_its_series) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  for (int i = 0; i < 3; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  f.restart();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  json t{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  BOOST_TEST(t.num("/totals/requests") == 3);
  json s{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  BOOST_TEST(s.num("/totals/messages") == 3);
  // Within the same hour, the minute's counts are still in the series.
  std::int64_t in_series = 0;
  for (std::size_t i = 0; i < 60; ++i)
    in_series += s.num("/series/" + std::to_string(i) + "/messages");
  BOOST_TEST(in_series == 3);
}

BOOST_AUTO_TEST_CASE(token_security_can_be_set_and_removed_while_the_token_is_in_use) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  auto r = a.request("PUT", "/api/v1/tokens/" + tok.id + "/security",
                     R"({"rate_limit":"1/hour","reason":"noisy client"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/security/reason") == "noisy client");
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 429u);
  // Not supported yet: refused rather than silently ignored.
  r = a.request("PUT", "/api/v1/tokens/" + tok.id + "/security",
                R"({"ip_allowlist":["10.0.0.0/8"]})", su);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(
    a.request("PUT", "/api/v1/tokens/" + tok.id + "/security", R"({"rate_limit":"often"})", su)
      .status
    == 400u);
  // PUT replaces: without rate_limit the token has none.
  r = a.request("PUT", "/api/v1/tokens/" + tok.id + "/security", R"({"reason":"resolved"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.is_null("/security/rate_limit"));
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
}

BOOST_AUTO_TEST_SUITE_END()
