#include <boost/test/unit_test.hpp>

#include "policy/retention.hpp"
#include "policy/time.hpp"

using namespace sluice;
using retention::us_per_day;

BOOST_AUTO_TEST_SUITE(retention_rules)

BOOST_AUTO_TEST_CASE(the_retention_classes_are_the_spec_values) {
  for (int v : {7, 30, 90, 180, 365, 730, 1095, 1825, -1})
    BOOST_TEST(retention::is_value(v));
  for (int v : {0, 1, 8, 14, 100, 3650, -2})
    BOOST_TEST(!retention::is_value(v));
  BOOST_TEST(*retention::class_index(7) == 0u);
  BOOST_TEST(*retention::class_index(-1) == 8u);
}

BOOST_AUTO_TEST_CASE(day_numbers_split_at_utc_midnight) {
  auto midnight = *parse_rfc3339_us("2024-03-10T00:00:00Z");
  BOOST_TEST(retention::day_of(midnight) == retention::day_of(midnight - 1) + 1);
  BOOST_TEST(retention::day_of(midnight) == retention::day_of(midnight + us_per_day - 1));
  BOOST_TEST(retention::day_of(-1) == -1);
}

BOOST_AUTO_TEST_CASE(a_bucket_is_never_dropped_while_its_newest_message_is_young) {
  auto day = retention::day_of(*parse_rfc3339_us("2024-03-10T12:00:00Z"));
  auto newest = (day + 1) * us_per_day - 1; // 23:59:59.999999 that day
  for (int days : {7, 30, 90, 180, 365, 730, 1095, 1825}) {
    auto keep_until = retention::expires_at(newest, days);
    BOOST_TEST(keep_until == newest + days * us_per_day);
    BOOST_TEST(!retention::bucket_expired(day, days, keep_until), days);
    BOOST_TEST(!retention::bucket_expired(day, days, keep_until - us_per_day), days);
    BOOST_TEST(retention::bucket_expired(day, days, keep_until + 1), days);
  }
}

BOOST_AUTO_TEST_CASE(never_means_never) {
  BOOST_TEST(!retention::bucket_expired(0, retention::never, INT64_MAX));
  BOOST_TEST(retention::expires_at(0, retention::never) == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(dedup_buckets_age_out_after_the_window) {
  auto day = retention::day_of(*parse_rfc3339_us("2024-03-10T12:00:00Z"));
  auto newest = (day + 1) * us_per_day - 1;
  auto window = us_per_day;
  BOOST_TEST(!retention::bucket_older_than(day, window, newest + window));
  BOOST_TEST(retention::bucket_older_than(day, window, newest + window + 1));
}

BOOST_AUTO_TEST_CASE(each_storage_class_is_named_after_its_days) {
  BOOST_TEST(retention::class_name(7) == "r7");
  BOOST_TEST(retention::class_name(1825) == "r1825");
  BOOST_TEST(retention::class_name(retention::never) == "rnever");
}

BOOST_AUTO_TEST_SUITE_END()
