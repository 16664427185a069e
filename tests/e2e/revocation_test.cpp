// Revocation: final, immediate, and nothing of the token is acknowledged
// after the revoke call returns.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(revocation)

BOOST_AUTO_TEST_CASE(the_very_next_request_after_revoke_is_401) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"before"})").status, 202u);
  auto a = f.admin();
  auto r =
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"leaked"})", bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  json t{r.body};
  BOOST_TEST(t.str("/status") == "revoked");
  BOOST_TEST(t.str("/revoke_reason") == "leaked");
  BOOST_TEST(!t.is_null("/revoked_at"));

  r = post_messages(c, tok.secret, R"({"message":"after"})");
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(json{r.body}.str("/error/code") == "token_revoked");
  BOOST_TEST(r.header("www-authenticate").rfind("Bearer", 0) == 0u);
  BOOST_TEST(f.ingest().get("/systems/me", bearer(tok.secret)).status == 401u);
  // The data it ingested stays.
  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 1u);
  BOOST_TEST(msgs[0].str("/body/message") == "before");
}

BOOST_AUTO_TEST_CASE(revoke_is_final_and_survives_a_restart) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"no longer needed"})", su).status,
    200u);
  // Revoking again changes nothing; editing a revoked token is refused.
  BOOST_TEST(
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"no longer needed"})", su).status
    == 200u);
  auto r = a.request("PATCH", "/api/v1/tokens/" + tok.id, R"({"retention_days":30})", su);
  BOOST_TEST(r.status == 409u);
  f.restart();
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 401u);
  BOOST_TEST(json{f.admin().get("/api/v1/tokens/" + tok.id, su).body}.str("/status") == "revoked");
}

BOOST_AUTO_TEST_CASE(under_load_nothing_sent_after_the_revoke_returned_is_acknowledged) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  std::atomic<bool> revoked{false};
  std::atomic<bool> stop{false};
  std::atomic<int> accepted_before{0};
  std::atomic<int> accepted_after{0};
  std::atomic<int> refused_after{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      auto c = f.ingest();
      while (!stop) {
        bool sent_after = revoked.load();
        auto r = post_messages(c, tok.secret, R"({"message":"load"})");
        if (r.status == 202)
          (sent_after ? accepted_after : accepted_before)++;
        else if (sent_after && r.status == 401)
          refused_after++;
      }
    });
  }
  while (accepted_before < 200)
    std::this_thread::yield();
  auto a = f.admin();
  auto r = a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"no longer needed"})",
                  bearer(f.superuser()));
  revoked = true;
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& w : writers)
    w.join();
  BOOST_TEST(accepted_after == 0);
  BOOST_TEST(refused_after > 0);
  // Every acknowledged message is stored; none after the revoke.
  BOOST_TEST(f.read_messages(f.last_system()).size() == static_cast<std::size_t>(accepted_before));
}

BOOST_AUTO_TEST_SUITE_END()
