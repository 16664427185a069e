// Pipelined durability (message_store_options::deferred_meta_sync): a group
// becomes visible to readers once it is durable — after the next group's
// sync_previous(), or an explicit sync() — and survives reopening.

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "policy/retention.hpp"
#include "store/message_store.hpp"
#include "temp_dir.hpp"

using namespace sluice;
using namespace sluice::store;
using sluice::store::test::temp_dir;

namespace {

constexpr std::int64_t t0 = 19723LL * retention::us_per_day + 3'600'000'000LL;

message_batch one(const std::string& text) {
  message_batch b;
  std::string body = R"({"message":")" + text + "\"}";
  parsed_message p;
  p.body_size = static_cast<std::uint32_t>(body.size());
  b.bytes = body;
  b.items.push_back(p);
  b.largest_message = body.size();
  return b;
}

std::size_t visible(const message_store& s, std::uint64_t system) {
  message_query q;
  q.system_id = system;
  q.limit = 1000;
  return s.query(q).items.size();
}

message_store_options deferred(const temp_dir& dir) {
  message_store_options o;
  o.dir = dir.path / "messages";
  o.map_size = 1 << 20;
  o.deferred_meta_sync = true;
  return o;
}

void commit(message_store& s, const message_batch& b, int retention, std::int64_t now) {
  write_job j;
  j.retention_days = retention;
  j.tenant_id = 1;
  j.system_id = 7;
  j.token_id = 9;
  j.batch = &b;
  std::vector<write_job> jobs{j};
  std::vector<job_outcome> out(1);
  s.commit_group(jobs, now, out);
  BOOST_REQUIRE(!out[0].ec);
  BOOST_REQUIRE_EQUAL(out[0].accepted, 1u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(deferred_sync)

BOOST_AUTO_TEST_CASE(a_group_is_visible_only_once_the_next_group_made_it_durable) {
  temp_dir dir;
  message_store s{deferred(dir)};
  auto a = one("a");
  auto b = one("b");
  commit(s, a, 7, t0);
  BOOST_TEST(visible(s, 7) == 0u); // committed, not yet durable
  commit(s, b, 7, t0 + 1);
  BOOST_REQUIRE(!s.sync_previous());
  BOOST_TEST(visible(s, 7) == 1u); // "a" is durable now; "b" is not
  BOOST_REQUIRE(!s.sync());
  BOOST_TEST(visible(s, 7) == 2u);
}

BOOST_AUTO_TEST_CASE(a_probe_write_makes_what_was_committed_durable_and_changes_no_message) {
  temp_dir dir;
  auto a = one("a");
  {
    message_store s{deferred(dir)};
    commit(s, a, 30, t0);
    BOOST_TEST(visible(s, 7) == 0u);
    BOOST_REQUIRE(!s.probe()); // a write in every environment, then a sync
    BOOST_TEST(visible(s, 7) == 1u);
  }
  // Reopened: the message is there once, and new ids still go up.
  message_store s{deferred(dir)};
  BOOST_TEST(visible(s, 7) == 1u);
  auto b = one("b");
  commit(s, b, 30, t0 + 1);
  BOOST_REQUIRE(!s.sync());
  BOOST_TEST(visible(s, 7) == 2u);
}

BOOST_AUTO_TEST_CASE(an_environment_the_next_group_did_not_touch_is_synced_explicitly) {
  temp_dir dir;
  message_store s{deferred(dir)};
  auto a = one("in r7");
  auto b = one("in r30");
  commit(s, a, 7, t0);
  commit(s, b, 30, t0 + 1); // a different environment
  BOOST_REQUIRE(!s.sync_previous());
  BOOST_TEST(visible(s, 7) == 1u);
}

BOOST_AUTO_TEST_CASE(synced_groups_survive_reopening) {
  temp_dir dir;
  {
    message_store s{deferred(dir)};
    auto a = one("a");
    commit(s, a, 7, t0);
    BOOST_REQUIRE(!s.sync());
  }
  message_store again{deferred(dir)};
  BOOST_TEST(visible(again, 7) == 1u);
}

BOOST_AUTO_TEST_CASE(without_deferred_sync_a_group_is_visible_at_once) {
  temp_dir dir;
  auto o = deferred(dir);
  o.deferred_meta_sync = false;
  message_store s{o};
  auto a = one("a");
  commit(s, a, 7, t0);
  BOOST_TEST(visible(s, 7) == 1u);
  BOOST_TEST(!s.sync_previous());
  BOOST_TEST(!s.sync());
}

BOOST_AUTO_TEST_SUITE_END()
