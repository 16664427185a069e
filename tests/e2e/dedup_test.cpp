// Dedup by message id within the window, per system.

#include <boost/test/unit_test.hpp>

#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(dedup)

BOOST_AUTO_TEST_CASE(a_repeated_id_is_acknowledged_as_duplicate_and_stored_once) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, R"({"message":"charge","id":"evt-1"})");
  BOOST_TEST(r.body == R"({"accepted":1,"duplicates":0})");
  r = post_messages(c, tok.secret, R"({"message":"charge again","id":"evt-1"})");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.body == R"({"accepted":0,"duplicates":1})");
  // Inside one batch too, and mixed with new ids.
  r = post_messages(
    c, tok.secret,
    R"([{"message":"a","id":"evt-2"},{"message":"b","id":"evt-2"},{"message":"c","id":"evt-1"},{"message":"d"}])");
  BOOST_TEST(r.body == R"({"accepted":2,"duplicates":2})");
  auto msgs = f.read_messages(f.last_system());
  BOOST_REQUIRE_EQUAL(msgs.size(), 3u);
  BOOST_TEST(msgs[0].str("/body/message") == "charge");
  BOOST_TEST(msgs[1].str("/body/message") == "a");
  BOOST_TEST(msgs[2].str("/body/message") == "d");
}

BOOST_AUTO_TEST_CASE(ids_are_per_system_and_survive_a_restart) {
  sluice_fixture f;
  auto first = f.ingest_token();
  auto first_system = f.last_system();
  auto second = f.ingest_token();
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, first.secret, R"({"message":"x","id":"same"})").body
             == R"({"accepted":1,"duplicates":0})");
  BOOST_TEST(post_messages(c, second.secret, R"({"message":"x","id":"same"})").body
             == R"({"accepted":1,"duplicates":0})");
  f.restart();
  auto c2 = f.ingest();
  BOOST_TEST(post_messages(c2, first.secret, R"({"message":"x","id":"same"})").body
             == R"({"accepted":0,"duplicates":1})");
  // Another token of the same system shares the system's ids, even with
  // another retention (another storage environment).
  auto third = f.mint(first_system, R"({"name":"short","retention_days":7})");
  BOOST_TEST(post_messages(c2, third.secret, R"({"message":"x","id":"same"})").body
             == R"({"accepted":0,"duplicates":1})");
  BOOST_TEST(f.read_messages(first_system).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_short_window_lets_the_id_through_again) {
  sluice_fixture f{{"--storage.dedup-window=1s"}};
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x","id":"w"})").body
             == R"({"accepted":1,"duplicates":0})");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x","id":"w"})").body
             == R"({"accepted":1,"duplicates":0})");
}

BOOST_AUTO_TEST_SUITE_END()
