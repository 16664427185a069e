#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "policy/time.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(time_format)

BOOST_AUTO_TEST_CASE(rfc3339_parses_utc_fractions_and_offsets) {
  BOOST_TEST(*parse_rfc3339_us("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29T12:34:56Z") == 1'709'210'096'000'000LL);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29T12:34:56.5Z") == 1'709'210'096'500'000LL);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29T12:34:56.123456789Z") == 1'709'210'096'123'456LL);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29T14:34:56+02:00") == 1'709'210'096'000'000LL);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29T07:04:56-05:30") == 1'709'210'096'000'000LL);
  BOOST_TEST(*parse_rfc3339_us("2024-02-29t12:34:56z") == 1'709'210'096'000'000LL);
}

BOOST_AUTO_TEST_CASE(rfc3339_refuses_impossible_dates_and_garbage) {
  for (auto bad : {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
                   "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:00",
                   "2024-01-01T00:00:00.Z", "2024-01-01 00:00", "yesterday",
                   "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+2:00",
                   // Found in review: an offset carried these out of the four-digit years,
                   // and they were stored and shown as "00-1-12-31…" and "10000-01-01…".
                   "0000-01-01T00:00:00+01:00", "9999-12-31T23:30:00-01:00"})
    BOOST_TEST(!parse_rfc3339_us(bad).has_value(), bad);
  // The ends themselves are fine, and show as four-digit years.
  BOOST_TEST(format_rfc3339_us(*parse_rfc3339_us("0000-01-01T00:00:00Z"))
             == "0000-01-01T00:00:00.000000Z");
  BOOST_TEST(format_rfc3339_us(*parse_rfc3339_us("9999-12-31T23:59:59.999999Z"))
             == "9999-12-31T23:59:59.999999Z");
}

BOOST_AUTO_TEST_CASE(formatting_round_trips_with_microseconds) {
  for (std::int64_t t :
       std::initializer_list<std::int64_t>{0, 1'709'210'096'123'456, 253'402'300'799'999'999, -1}) {
    auto text = format_rfc3339_us(t);
    BOOST_TEST(*parse_rfc3339_us(text) == t, text);
  }
  BOOST_TEST(format_rfc3339_us(1'709'210'096'123'456LL) == "2024-02-29T12:34:56.123456Z");
}

BOOST_AUTO_TEST_CASE(query_times_take_rfc3339_or_unix_milliseconds) {
  BOOST_TEST(*parse_time_param_us("1709210096000") == 1'709'210'096'000'000LL);
  BOOST_TEST(*parse_time_param_us("2024-02-29T12:34:56Z") == 1'709'210'096'000'000LL);
  BOOST_TEST(!parse_time_param_us("12ab").has_value());
  BOOST_TEST(!parse_time_param_us("").has_value());
  BOOST_TEST(!parse_time_param_us("99999999999999999999").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(timer_grid)

using namespace std::chrono_literals;
using ns = std::chrono::nanoseconds;

BOOST_AUTO_TEST_CASE(timers_set_at_different_moments_fire_together_on_the_grid) {
  // A 10 s period rounds to the 100 ms grid: three actors that set their
  // tick within the same 100 ms all fire at 10.1 s.
  for (ns set_at : {ns{1}, ns{40ms}, ns{100ms}})
    BOOST_TEST(grid_deadline(set_at, 10s).count() == ns{10s + 100ms}.count());
  // A deadline already on the grid stays.
  BOOST_TEST(grid_deadline(0ns, 10s).count() == ns{10s}.count());
  BOOST_TEST(grid_deadline(100ms + 1ns, 10s).count() == ns{10s + 200ms}.count());
}

BOOST_AUTO_TEST_CASE(a_timer_is_never_early_and_late_by_at_most_a_tenth_of_its_period) {
  for (ns period : {ns{10s}, ns{200ms}, ns{50ms}, ns{1ms}, ns{7}})
    for (ns now : {ns{0}, ns{1}, ns{123'456'789}, ns{86'400s + 3ns}}) {
      auto due = grid_deadline(now, period);
      BOOST_TEST(due.count() >= (now + period).count());
      BOOST_TEST((due - now - period).count() <= std::max<ns>(period / 10, ns{0}).count());
    }
  // Short periods get a finer grid: 200 ms rounds to 20 ms, not 100 ms.
  BOOST_TEST(grid_deadline(1ms, 200ms).count() == ns{220ms}.count());
}

BOOST_AUTO_TEST_CASE(periods_too_short_for_a_grid_are_not_rounded) {
  BOOST_TEST(grid_deadline(ns{5}, ns{9}).count() == 14);
  BOOST_TEST(grid_deadline(ns{5}, ns{0}).count() == 5);
  // Before the clock's epoch: rounds up all the same.
  BOOST_TEST(grid_deadline(ns{-10s - 150ms}, 10s).count() == ns{-100ms}.count());
}

BOOST_AUTO_TEST_SUITE_END()
