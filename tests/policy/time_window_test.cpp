#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

#include "policy/time.hpp"
#include "policy/time_window.hpp"

using namespace sluice;

namespace {

constexpr std::int64_t day_us = 24 * 60 * us_per_minute;

// Monday 2024-01-01 00:00 UTC; the tests walk through that week.
constexpr std::int64_t monday_us = 1'704'067'200'000'000;
enum weekday { mon, tue, wed, thu, fri, sat, sun, next_mon };

std::int64_t at(weekday day, int hour, int minute) {
  return monday_us + day * day_us + (hour * 60 + minute) * us_per_minute;
}

// The last microsecond before hour:minute.
std::int64_t just_before(weekday day, int hour, int minute) { return at(day, hour, minute) - 1; }

time_restriction window(std::optional<std::string_view> hours,
                        const std::vector<std::string>& days = {}) {
  std::string error;
  auto r = time_restriction::parse(hours, days, error);
  BOOST_REQUIRE_MESSAGE(r.has_value(), "test window parses: " << error);
  return *r;
}

std::string refusal(std::optional<std::string_view> hours,
                    const std::vector<std::string>& days = {}) {
  std::string error;
  auto r = time_restriction::parse(hours, days, error);
  BOOST_TEST(!r.has_value());
  return error;
}

const std::string hours_shape = "\"hours\" must look like 09:00-18:00";

} // namespace

BOOST_AUTO_TEST_SUITE(time_window)

BOOST_AUTO_TEST_CASE(the_test_week_starts_on_a_monday) {
  BOOST_TEST(*parse_rfc3339_us("2024-01-01T00:00:00Z") == monday_us);
  BOOST_TEST(window(std::nullopt, {"mon"}).allows(monday_us));
  BOOST_TEST(!window(std::nullopt, {"sun"}).allows(monday_us));
}

BOOST_AUTO_TEST_CASE(hours_parse_and_print_in_canonical_form) {
  struct row {
    std::string_view text;
    std::string_view printed;
  };
  for (auto [text, printed] : std::initializer_list<row>{
         {"09:00-18:00", "09:00-18:00"},
         {"00:00-24:00", "00:00-24:00"},
         {"22:00-06:00", "22:00-06:00"},
         {"23:59-24:00", "23:59-24:00"},
         {"00:00-00:01", "00:00-00:01"},
         {"12:34-12:35", "12:34-12:35"},
         {"00:01-00:00", "00:01-24:00"}, // ending at 00:00 is ending at midnight
         {"22:00-00:00", "22:00-24:00"},
       }) {
    auto r = window(text);
    BOOST_TEST(r.hours() == printed, text);
    BOOST_TEST(!r.empty());
    BOOST_TEST(r.days().empty());
  }
  BOOST_TEST((window("22:00-00:00") == window("22:00-24:00")));
}

BOOST_AUTO_TEST_CASE(hours_not_shaped_like_hh_mm_hh_mm_are_refused) {
  for (std::string_view bad : {"",
                               "09:00",
                               "09:00-",
                               "-18:00",
                               "9:00-18:00",
                               "09:00-8:00",
                               "09:0-18:00",
                               "09:00-18:0",
                               "09:00 - 18:00",
                               " 09:00-18:00",
                               "09:00-18:00 ",
                               "0900-1800",
                               "09.00-18.00",
                               "09:00/18:00",
                               "09:00\xe2\x80\x93"
                               "18:00",
                               "09:00-18:00-19:00",
                               "aa:bb-cc:dd",
                               "09:0a-18:00",
                               "+9:00-18:00",
                               "09:00-+8:00",
                               "9am-6pm",
                               "09h00-18h00"})
    BOOST_TEST(refusal(bad) == hours_shape, '"' << bad << '"');
}

BOOST_AUTO_TEST_CASE(a_time_that_is_not_in_the_day_is_refused_and_named) {
  struct row {
    std::string_view hours;
    std::string_view named;
  };
  for (auto [hours, named] : std::initializer_list<row>{
         {"24:00-06:00", "24:00"}, // 24:00 may end a window, never start one
         {"25:00-06:00", "25:00"},
         {"09:60-18:00", "09:60"},
         {"09:00-18:60", "18:60"},
         {"09:00-24:01", "24:01"},
         {"09:00-25:00", "25:00"},
         {"99:99-00:00", "99:99"},
         {"24:30-23:00", "24:30"},
       })
    BOOST_TEST(refusal(hours)
                 == "\"hours\" has \"" + std::string{named}
                      + "\", not a time of day; use 00:00 to 23:59, or 24:00 to end at midnight",
               hours);
}

BOOST_AUTO_TEST_CASE(a_window_that_ends_where_it_starts_is_refused) {
  BOOST_TEST(refusal("09:00-09:00")
             == "\"hours\" starts and ends at \"09:00\"; leave \"hours\" out to allow every hour");
  BOOST_TEST(refusal("00:00-00:00")
             == "\"hours\" starts and ends at \"00:00\"; leave \"hours\" out to allow every hour");
}

BOOST_AUTO_TEST_CASE(days_are_kept_in_week_order_whatever_order_they_come_in) {
  BOOST_TEST(window(std::nullopt, {"sun", "mon"}).days()
               == (std::vector<std::string>{"mon", "sun"}),
             boost::test_tools::per_element());
  std::vector<std::string> week{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  BOOST_TEST(window(std::nullopt, {"sat", "thu", "tue", "sun", "wed", "mon", "fri"}).days() == week,
             boost::test_tools::per_element());
  auto r = window(std::nullopt, {"wed"});
  BOOST_TEST(r.hours() == "");
  BOOST_TEST(!r.empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_or_repeated_day_is_refused_and_named) {
  for (std::string_view bad : {"moon", "Mon", "MON", "monday", "", " mon", "mon ", "1", "lun"})
    BOOST_TEST(refusal(std::nullopt, {"tue", std::string{bad}})
                 == "\"days\" has \"" + std::string{bad}
                      + "\"; use mon, tue, wed, thu, fri, sat, sun",
               '"' << bad << '"');
  BOOST_TEST(refusal(std::nullopt, {"mon", "tue", "mon"}) == "\"days\" has \"mon\" twice");
  BOOST_TEST(refusal("09:00-18:00", {"fri", "fri"}) == "\"days\" has \"fri\" twice");
}

BOOST_AUTO_TEST_CASE(the_hours_are_checked_before_the_days) {
  BOOST_TEST(refusal("9-5", {"moon"}) == hours_shape);
}

BOOST_AUTO_TEST_CASE(a_successful_parse_leaves_the_error_alone) {
  std::string error = "untouched";
  BOOST_TEST(time_restriction::parse("09:00-18:00", {"mon"}, error).has_value());
  BOOST_TEST(error == "untouched");
}

BOOST_AUTO_TEST_CASE(no_hours_and_no_days_allow_every_moment) {
  auto r = window(std::nullopt, {});
  BOOST_TEST(r.empty());
  BOOST_TEST((r == time_restriction{}));
  BOOST_TEST(r.hours() == "");
  BOOST_TEST(r.days().empty());
  for (auto t : {std::int64_t{0}, monday_us, at(wed, 3, 17), just_before(next_mon, 0, 0)})
    BOOST_TEST(r.allows(t), t);
  BOOST_TEST(time_restriction{}.allows(at(sat, 12, 0)));
}

BOOST_AUTO_TEST_CASE(a_daytime_window_allows_its_first_minute_and_not_its_end) {
  auto r = window("09:00-18:00");
  BOOST_TEST(!r.allows(just_before(mon, 9, 0)));
  BOOST_TEST(r.allows(at(mon, 9, 0)));
  BOOST_TEST(r.allows(at(mon, 12, 30)));
  BOOST_TEST(r.allows(just_before(mon, 18, 0)));
  BOOST_TEST(!r.allows(at(mon, 18, 0)));
  BOOST_TEST(!r.allows(at(mon, 0, 0)));
  BOOST_TEST(!r.allows(at(mon, 23, 59)));
  // With no days listed, every day has the same hours.
  for (auto day : {mon, tue, wed, thu, fri, sat, sun}) {
    BOOST_TEST(r.allows(at(day, 9, 0)), day);
    BOOST_TEST(!r.allows(at(day, 8, 59)), day);
  }
}

BOOST_AUTO_TEST_CASE(a_one_minute_window_is_sixty_seconds_long) {
  auto r = window("12:34-12:35");
  BOOST_TEST(!r.allows(just_before(tue, 12, 34)));
  BOOST_TEST(r.allows(at(tue, 12, 34)));
  BOOST_TEST(r.allows(just_before(tue, 12, 35)));
  BOOST_TEST(!r.allows(at(tue, 12, 35)));
}

BOOST_AUTO_TEST_CASE(a_window_ending_at_midnight_includes_the_last_minute_of_the_day) {
  auto r = window("23:59-24:00", {"mon"});
  BOOST_TEST(!r.allows(just_before(mon, 23, 59)));
  BOOST_TEST(r.allows(at(mon, 23, 59)));
  BOOST_TEST(r.allows(just_before(tue, 0, 0)));
  BOOST_TEST(!r.allows(at(tue, 0, 0)));
  auto whole_day = window("00:00-24:00");
  BOOST_TEST(whole_day.allows(at(mon, 0, 0)));
  BOOST_TEST(whole_day.allows(just_before(tue, 0, 0)));
  // Written with 00:00 it is the same window, not one that wraps.
  auto evening = window("22:00-00:00", {"mon"});
  BOOST_TEST(evening.allows(at(mon, 23, 30)));
  BOOST_TEST(!evening.allows(at(tue, 0, 0)));
  BOOST_TEST(!evening.allows(at(mon, 0, 30)));
}

BOOST_AUTO_TEST_CASE(a_window_starting_at_midnight_allows_the_first_minute) {
  auto r = window("00:00-00:01", {"wed"});
  BOOST_TEST(!r.allows(just_before(wed, 0, 0)));
  BOOST_TEST(r.allows(at(wed, 0, 0)));
  BOOST_TEST(!r.allows(at(wed, 0, 1)));
}

BOOST_AUTO_TEST_CASE(a_wrapping_window_belongs_to_the_day_it_starts_on) {
  auto r = window("22:00-06:00", {"mon"});
  BOOST_TEST(!r.allows(just_before(mon, 22, 0)));
  BOOST_TEST(r.allows(at(mon, 22, 0)));
  BOOST_TEST(r.allows(at(mon, 23, 0)));
  BOOST_TEST(r.allows(at(tue, 0, 0)));
  BOOST_TEST(r.allows(at(tue, 5, 59)));
  BOOST_TEST(r.allows(just_before(tue, 6, 0)));
  BOOST_TEST(!r.allows(at(tue, 6, 0)));
  // Monday's early hours are the tail of Sunday's night, not Monday's.
  BOOST_TEST(!r.allows(at(mon, 5, 0)));
  BOOST_TEST(!r.allows(at(mon, 0, 0)));
  // Tuesday night is not Monday's.
  BOOST_TEST(!r.allows(at(tue, 23, 0)));
  BOOST_TEST(!r.allows(at(wed, 1, 0)));
  BOOST_TEST(!r.allows(at(mon, 12, 0)));
}

BOOST_AUTO_TEST_CASE(sundays_night_runs_into_monday) {
  auto r = window("22:00-06:00", {"sun"});
  BOOST_TEST(r.allows(at(sun, 23, 0)));
  BOOST_TEST(r.allows(at(next_mon, 3, 0)));
  BOOST_TEST(r.allows(at(mon, 3, 0))); // the Sunday before the test week
  BOOST_TEST(!r.allows(at(next_mon, 23, 0)));
  BOOST_TEST(!r.allows(at(sun, 3, 0)));
}

BOOST_AUTO_TEST_CASE(a_wrapping_window_without_days_allows_every_night) {
  auto r = window("22:00-06:00");
  for (auto day : {mon, tue, wed, thu, fri, sat, sun}) {
    BOOST_TEST(r.allows(at(day, 0, 0)), day);
    BOOST_TEST(r.allows(at(day, 5, 59)), day);
    BOOST_TEST(!r.allows(at(day, 6, 0)), day);
    BOOST_TEST(!r.allows(at(day, 12, 0)), day);
    BOOST_TEST(!r.allows(at(day, 21, 59)), day);
    BOOST_TEST(r.allows(at(day, 22, 0)), day);
    BOOST_TEST(r.allows(at(day, 23, 59)), day);
  }
}

BOOST_AUTO_TEST_CASE(days_without_hours_allow_those_days_from_midnight_to_midnight) {
  auto r = window(std::nullopt, {"sat", "sun"});
  BOOST_TEST(!r.allows(just_before(sat, 0, 0)));
  BOOST_TEST(r.allows(at(sat, 0, 0)));
  BOOST_TEST(r.allows(at(sun, 12, 0)));
  BOOST_TEST(r.allows(just_before(next_mon, 0, 0)));
  BOOST_TEST(!r.allows(at(next_mon, 0, 0)));
  for (auto day : {mon, tue, wed, thu, fri})
    BOOST_TEST(!r.allows(at(day, 12, 0)), day);
}

BOOST_AUTO_TEST_CASE(office_hours_on_weekdays) {
  auto r = window("09:00-18:00", {"mon", "tue", "wed", "thu", "fri"});
  BOOST_TEST(r.allows(at(fri, 17, 59)));
  BOOST_TEST(!r.allows(at(fri, 18, 0)));
  BOOST_TEST(!r.allows(at(sat, 10, 0)));
  BOOST_TEST(!r.allows(at(sun, 10, 0)));
  BOOST_TEST(r.allows(at(next_mon, 9, 0)));
}

BOOST_AUTO_TEST_CASE(weekdays_count_from_the_epoch_which_was_a_thursday) {
  BOOST_TEST(window(std::nullopt, {"thu"}).allows(0));
  BOOST_TEST(window(std::nullopt, {"thu"}).allows(day_us - 1));
  BOOST_TEST(!window(std::nullopt, {"thu"}).allows(day_us));
  BOOST_TEST(window(std::nullopt, {"fri"}).allows(day_us));
  BOOST_TEST(!window(std::nullopt, {"wed", "fri"}).allows(0));
  // Far from the epoch too: 2038-01-19 was a Tuesday, 2100-03-01 a Monday.
  BOOST_TEST(window("00:00-00:01", {"tue"}).allows(*parse_rfc3339_us("2038-01-19T00:00:30Z")));
  BOOST_TEST(window("23:00-01:00", {"sun"}).allows(*parse_rfc3339_us("2100-03-01T00:59:59Z")));
  BOOST_TEST(!window("23:00-01:00", {"mon"}).allows(*parse_rfc3339_us("2100-03-01T00:59:59Z")));
  // And before it: 1969-12-31 23:30 was a Wednesday evening.
  BOOST_TEST(window("23:00-24:00", {"wed"}).allows(-30 * us_per_minute));
  BOOST_TEST(!window("23:00-24:00", {"thu"}).allows(-30 * us_per_minute));
}

BOOST_AUTO_TEST_CASE(a_restriction_reads_back_from_what_it_prints) {
  for (auto r : {window("09:00-18:00", {"fri", "mon"}), window("22:00-06:00"),
                 window("22:00-00:00", {"sun"}), window(std::nullopt, {"sat"}),
                 window("00:00-24:00", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"})}) {
    auto hours = r.hours();
    auto again =
      window(hours.empty() ? std::nullopt : std::optional<std::string_view>{hours}, r.days());
    BOOST_TEST((again == r), hours);
  }
}

BOOST_AUTO_TEST_SUITE_END()
