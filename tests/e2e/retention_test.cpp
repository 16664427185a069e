// Per-token retention: a change applies to messages ingested afterwards only.

#include <boost/test/unit_test.hpp>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(retention)

BOOST_AUTO_TEST_CASE(a_retention_edit_applies_only_to_later_messages) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","retention_days":30})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"first"})").status, 202u);

  auto a = f.admin();
  auto su = bearer(f.superuser());
  auto r = a.request("PATCH", "/api/v1/tokens/" + tok.id, R"({"retention_days":90})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.num("/retention_days") == 90);
  BOOST_TEST(json{c.get("/systems/me", bearer(tok.secret)).body}.num("/retention_days") == 90);

  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"second"})").status, 202u);
  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 2u);
  BOOST_TEST(msgs[0].str("/body/message") == "first");
  BOOST_TEST(msgs[0].num("/retention_days") == 30);
  BOOST_TEST(msgs[1].str("/body/message") == "second");
  BOOST_TEST(msgs[1].num("/retention_days") == 90);

  // The stored retention of each message survives a restart too.
  f.restart();
  msgs = f.read_messages(f.last_system());
  BOOST_TEST(msgs[0].num("/retention_days") == 30);
  BOOST_TEST(msgs[1].num("/retention_days") == 90);
}

BOOST_AUTO_TEST_CASE(an_edit_is_checked_against_the_tier) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro");
  auto a = f.admin();
  auto su = bearer(f.superuser());
  auto r = a.request("PATCH", "/api/v1/tokens/" + tok.id, R"({"retention_days":365})", su);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json{r.body}.str("/error/code") == "retention_not_allowed");
  r = a.request("PATCH", "/api/v1/tokens/" + tok.id, R"({"name":"renamed"})", su);
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(json{r.body}.str("/name") == "renamed");
  BOOST_TEST(json{r.body}.num("/retention_days") == 90);
}

BOOST_AUTO_TEST_SUITE_END()
