#include <boost/test/unit_test.hpp>

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
                   "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00+2:00"})
    BOOST_TEST(!parse_rfc3339_us(bad).has_value(), bad);
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
