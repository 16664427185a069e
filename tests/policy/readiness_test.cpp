#include <boost/test/unit_test.hpp>

#include "policy/readiness.hpp"

using namespace sluice;

namespace {

storage_figures healthy_figures() {
  storage_figures f;
  f.envs = {{"r7", 10ull << 20}, {"meta", 1ull << 20}};
  f.max_map_bytes = 100ull << 20;
  f.free_disk_bytes = 1ull << 30;
  return f;
}

const readiness_limits limits{256ull << 20, 90};

} // namespace

BOOST_AUTO_TEST_SUITE(readiness_rules)

BOOST_AUTO_TEST_CASE(room_everywhere_is_ready) {
  auto r = assess_readiness(healthy_figures(), limits);
  BOOST_TEST(r.ready());
}

BOOST_AUTO_TEST_CASE(a_failed_commit_is_not_ready) {
  auto f = healthy_figures();
  f.last_commit_failed = true;
  auto r = assess_readiness(f, limits);
  BOOST_TEST_REQUIRE(r.failures.size() == 1u);
  BOOST_TEST(r.failures[0].check == "commit");
}

BOOST_AUTO_TEST_CASE(a_map_over_its_share_of_the_growth_limit_is_not_ready) {
  auto f = healthy_figures();
  f.envs[0].used_bytes = 90ull << 20; // exactly 90 %: still ready
  BOOST_TEST(assess_readiness(f, limits).ready());
  f.envs[0].used_bytes += 4096;
  auto r = assess_readiness(f, limits);
  BOOST_TEST_REQUIRE(r.failures.size() == 1u);
  BOOST_TEST(r.failures[0].check == "map");
  BOOST_TEST(r.failures[0].message.find("r7") != std::string::npos);
  BOOST_TEST(r.failures[0].message.find("storage.ready-max-map-percent") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(too_little_disk_is_not_ready_and_an_unknown_disk_is_not_held_against_it) {
  auto f = healthy_figures();
  f.free_disk_bytes = limits.min_free_disk_bytes;
  BOOST_TEST(assess_readiness(f, limits).ready());
  f.free_disk_bytes = limits.min_free_disk_bytes - 1;
  auto r = assess_readiness(f, limits);
  BOOST_TEST_REQUIRE(r.failures.size() == 1u);
  BOOST_TEST(r.failures[0].check == "disk");
  BOOST_TEST(r.failures[0].message.find("storage.ready-min-free-disk-bytes") != std::string::npos);
  f.free_disk_bytes.reset();
  BOOST_TEST(assess_readiness(f, limits).ready());
}

BOOST_AUTO_TEST_CASE(every_failing_check_is_named) {
  auto f = healthy_figures();
  f.last_commit_failed = true;
  f.envs[1].used_bytes = 99ull << 20;
  f.free_disk_bytes = 0;
  auto r = assess_readiness(f, limits);
  BOOST_TEST_REQUIRE(r.failures.size() == 3u);
  BOOST_TEST(r.failures[0].check == "commit");
  BOOST_TEST(r.failures[1].check == "map");
  BOOST_TEST(r.failures[2].check == "disk");
}

BOOST_AUTO_TEST_SUITE_END()
