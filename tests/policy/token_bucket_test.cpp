#include <boost/test/unit_test.hpp>

#include "policy/rate_limit.hpp"
#include "policy/token_bucket.hpp"

using namespace sluice;

namespace {
constexpr std::int64_t s = 1'000'000; // one second in µs
}

BOOST_AUTO_TEST_SUITE(token_bucket_math)

BOOST_AUTO_TEST_CASE(a_bucket_starts_full_and_refills_at_its_rate_up_to_capacity) {
  token_bucket b{1000, 100, 0}; // free tier: 100 msg/s, 1,000 x 10 s? here 1000
  BOOST_TEST(b.level() == 1000);
  b.take(1000);
  BOOST_TEST(!b.holds(1));
  b.refill(s / 2);
  BOOST_TEST(b.level() == 50, boost::test_tools::tolerance(1e-9));
  b.refill(100 * s);
  BOOST_TEST(b.level() == 1000); // never above capacity
}

BOOST_AUTO_TEST_CASE(waits_and_reset_are_computed_from_the_rate) {
  token_bucket b{10, 2, 0};
  b.take(10);
  BOOST_TEST(b.wait_us(0) == 0);
  BOOST_TEST(b.wait_us(1) == s / 2);
  BOOST_TEST(b.wait_us(4) == 2 * s);
  BOOST_TEST(b.full_in_us() == 5 * s);
  b.refill(5 * s);
  BOOST_TEST(b.full_in_us() == 0);
  BOOST_TEST(b.wait_us(10) == 0);
}

BOOST_AUTO_TEST_CASE(a_clock_going_back_adds_nothing) {
  token_bucket b{10, 1, 10 * s};
  b.take(5);
  b.refill(5 * s);
  BOOST_TEST(b.level() == 5);
}

BOOST_AUTO_TEST_CASE(reconfiguring_keeps_the_level_within_the_new_capacity) {
  token_bucket b{100, 10, 0};
  b.take(20);
  b.reconfigure(50, 5, 0);
  BOOST_TEST(b.level() == 50);
  BOOST_TEST(b.capacity() == 50);
  BOOST_TEST(b.rate_per_s() == 5, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(retry_after_is_whole_seconds_rounded_up_at_least_one) {
  BOOST_TEST(retry_after_seconds(0) == 1u);
  BOOST_TEST(retry_after_seconds(1) == 1u);
  BOOST_TEST(retry_after_seconds(s) == 1u);
  BOOST_TEST(retry_after_seconds(s + 1) == 2u);
  BOOST_TEST(retry_after_seconds(59 * s + 10) == 60u);
}

BOOST_AUTO_TEST_CASE(rate_limits_parse_from_their_text) {
  auto r = parse_rate_limit("1000/hour");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->count == 1000u);
  BOOST_TEST(r->window_s == 3600u);
  BOOST_TEST(r->to_string() == "1000/hour");
  BOOST_TEST(parse_rate_limit("5/second")->window_s == 1u);
  BOOST_TEST(parse_rate_limit("5/minute")->window_s == 60u);
  BOOST_TEST(parse_rate_limit("5/day")->window_s == 86400u);
  for (auto bad : {"", "0/hour", "-1/hour", "10/week", "10", "/hour", "ten/hour", "10/Hour",
                   "10 /hour", "2000000000/second"})
    BOOST_TEST(!parse_rate_limit(bad).has_value(), bad);
}

BOOST_AUTO_TEST_SUITE_END()
