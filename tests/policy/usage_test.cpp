#include <boost/test/unit_test.hpp>

#include "policy/usage.hpp"

using namespace sluice;

namespace {
constexpr std::int64_t minute = 60'000'000;
constexpr std::int64_t t0 = 1'800'000'000'000'000; // a minute boundary
} // namespace

BOOST_AUTO_TEST_SUITE(usage)

BOOST_AUTO_TEST_CASE(totals_count_by_outcome_and_reason) {
  usage_meter m;
  m.accepted(t0, 1, 10, 2, 1000);
  m.rejected(t0, rejection::rate_limited);
  m.rejected(t0, rejection::rate_limited);
  m.rejected(t0, rejection::invalid);
  m.sampled(t0, 1, 5);
  m.shadow_limited(t0);
  auto& t = m.totals();
  BOOST_TEST(t.requests == 2u);
  BOOST_TEST(t.messages == 10u);
  BOOST_TEST(t.duplicates == 2u);
  BOOST_TEST(t.bytes == 1000u);
  BOOST_TEST(t.rejected[static_cast<std::size_t>(rejection::rate_limited)] == 2u);
  BOOST_TEST(t.rejected_total() == 3u);
  BOOST_TEST(t.sampled_messages == 5u);
  BOOST_TEST(t.shadow_limited == 1u);
}

BOOST_AUTO_TEST_CASE(the_series_covers_the_last_sixty_minutes_oldest_first) {
  usage_meter m;
  m.accepted(t0, 1, 1, 0, 10);
  m.accepted(t0 + 5 * minute + 1, 2, 2, 0, 20);
  auto series = m.last_hour(t0 + 5 * minute + 2);
  BOOST_REQUIRE_EQUAL(series.size(), 60u);
  BOOST_TEST(series.back().minute == (t0 + 5 * minute) / minute);
  BOOST_TEST(series.back().requests == 2u);
  BOOST_TEST(series[54].requests == 1u);
  BOOST_TEST(series[55].requests == 0u);
  BOOST_TEST(m.active_minutes(t0 + 5 * minute + 2).size() == 2u);
}

BOOST_AUTO_TEST_CASE(minutes_older_than_an_hour_fall_out_of_the_series_not_the_totals) {
  usage_meter m;
  m.accepted(t0, 1, 1, 0, 10);
  m.accepted(t0 + 60 * minute, 1, 1, 0, 10); // same ring slot, an hour later
  auto series = m.last_hour(t0 + 60 * minute);
  std::uint64_t sum = 0;
  for (auto& x : series)
    sum += x.requests;
  BOOST_TEST(sum == 1u);
  BOOST_TEST(m.totals().requests == 2u);
}

BOOST_AUTO_TEST_CASE(the_meter_tells_which_minutes_changed_since_it_was_last_asked) {
  usage_meter m;
  m.restore(usage_totals{}, {usage_minute{t0 / minute - 3, 1, 1, 0, 0, 10}}, t0);
  BOOST_TEST(m.take_changed().empty()); // what was restored is stored already
  m.accepted(t0, 1, 1, 0, 10);
  m.rejected(t0 + 2 * minute, rejection::invalid);
  BOOST_TEST((m.take_changed() == minute_range{t0 / minute, t0 / minute + 2}));
  BOOST_TEST(m.take_changed().empty());
  // A commit that failed late gives back an earlier minute's request.
  m.accepted(t0 + 3 * minute, 1, 1, 0, 10);
  BOOST_TEST((m.take_changed() == minute_range{t0 / minute + 3, t0 / minute + 3}));
  m.take_back(t0 + minute, 1, 0, 0, 0);
  BOOST_TEST(m.take_changed().empty()); // minute 1 saw nothing to take back
  m.take_back(t0, 1, 1, 0, 10);
  BOOST_TEST((m.take_changed() == minute_range{t0 / minute, t0 / minute}));
  m.shadow_limited(t0 + 3 * minute); // totals only
  BOOST_TEST(m.take_changed().empty());
}

BOOST_AUTO_TEST_CASE(a_restored_meter_keeps_counting_where_it_stopped) {
  usage_meter m;
  m.accepted(t0, 3, 3, 0, 30);
  usage_meter back;
  back.restore(m.totals(), m.active_minutes(t0), t0 + minute);
  back.accepted(t0 + minute, 1, 1, 0, 10);
  BOOST_TEST(back.totals().requests == 4u);
  auto series = back.last_hour(t0 + minute);
  BOOST_TEST(series[58].requests == 3u);
  BOOST_TEST(series[59].requests == 1u);
}

BOOST_AUTO_TEST_CASE(each_minute_counts_its_refusals_by_reason) {
  usage_meter m;
  m.rejected(t0, rejection::rate_limited);
  m.rejected(t0 + 1, rejection::rate_limited);
  m.rejected(t0 + 2, rejection::invalid, 3);
  m.rejected(t0 + minute, rejection::unauthorized);
  auto series = m.last_hour(t0 + minute);
  auto& first = series[58];
  BOOST_TEST(first.rejected == 5u);
  BOOST_TEST(first.rejected_by[static_cast<std::size_t>(rejection::rate_limited)] == 2u);
  BOOST_TEST(first.rejected_by[static_cast<std::size_t>(rejection::invalid)] == 3u);
  BOOST_TEST(first.rejected_by[static_cast<std::size_t>(rejection::unauthorized)] == 0u);
  BOOST_TEST(first.rejected_unrecorded() == 0u);
  auto& second = series[59];
  BOOST_TEST(second.rejected == 1u);
  BOOST_TEST(second.rejected_by[static_cast<std::size_t>(rejection::unauthorized)] == 1u);
  BOOST_TEST(second.rejected_by[static_cast<std::size_t>(rejection::rate_limited)] == 0u);
  // A slot reused an hour later starts again from zero, reasons included.
  m.rejected(t0 + 60 * minute, rejection::too_large);
  auto later = m.last_hour(t0 + 60 * minute).back();
  BOOST_TEST(later.rejected == 1u);
  BOOST_TEST(later.rejected_by[static_cast<std::size_t>(rejection::too_large)] == 1u);
  BOOST_TEST(later.rejected_by[static_cast<std::size_t>(rejection::rate_limited)] == 0u);
}

BOOST_AUTO_TEST_CASE(a_minute_restored_without_reasons_keeps_them_unrecorded) {
  // As a minute stored before reasons were counted per minute loads: its
  // refusals are in the total only, and new ones add their reason.
  usage_minute old{t0 / minute, 1, 1, 4, 0, 10};
  BOOST_TEST(old.rejected_unrecorded() == 4u);
  usage_meter m;
  m.restore({}, {old}, t0);
  m.rejected(t0, rejection::storage_error);
  auto now = m.last_hour(t0).back();
  BOOST_TEST(now.rejected == 5u);
  BOOST_TEST(now.rejected_by[static_cast<std::size_t>(rejection::storage_error)] == 1u);
  BOOST_TEST(now.rejected_unrecorded() == 4u);
  BOOST_TEST(m.active_minutes(t0).size() == 1u);
}

BOOST_AUTO_TEST_CASE(taking_back_settles_the_minute_a_request_was_counted_in) {
  usage_meter m;
  m.accepted(t0 + 10, 1, 4, 0, 400); // counted when let on, in the first minute
  m.accepted(t0 + minute + 5, 1, 3, 0, 300);
  // The first one's commit failed, reported in the next minute.
  m.take_back(t0 + 10, 1, 4, 0, 400);
  m.rejected(t0 + minute + 6, rejection::storage_error);
  // Two of the second one's messages were duplicates.
  m.take_back(t0 + minute + 5, 0, 2, 2, 0);
  auto& t = m.totals();
  BOOST_TEST(t.requests == 1u);
  BOOST_TEST(t.messages == 1u);
  BOOST_TEST(t.duplicates == 2u);
  BOOST_TEST(t.bytes == 300u);
  auto series = m.last_hour(t0 + minute + 7);
  BOOST_TEST(series[58].requests == 0u);
  BOOST_TEST(series[58].messages == 0u);
  BOOST_TEST(series[58].bytes == 0u);
  BOOST_TEST(series[59].requests == 1u);
  BOOST_TEST(series[59].messages == 1u);
  BOOST_TEST(series[59].bytes == 300u);
  BOOST_TEST(series[59].rejected == 1u);
}

BOOST_AUTO_TEST_CASE(taking_back_never_goes_below_zero_nor_revives_an_old_minute) {
  usage_meter m;
  m.accepted(t0 + 61 * minute, 1, 1, 0, 10);
  // Counted over an hour ago: the ring slot now holds another minute.
  m.take_back(t0 + minute, 5, 5, 0, 50);
  BOOST_TEST(m.totals().requests == 0u);
  BOOST_TEST(m.totals().messages == 0u);
  BOOST_TEST(m.totals().bytes == 0u);
  auto series = m.last_hour(t0 + 61 * minute);
  BOOST_TEST(series.back().requests == 1u);
  BOOST_TEST(series.back().bytes == 10u);
}

BOOST_AUTO_TEST_CASE(rejection_names_round_trip) {
  for (std::size_t i = 0; i < rejection_count; ++i) {
    auto r = static_cast<rejection>(i);
    BOOST_TEST(static_cast<int>(*parse_rejection(to_string(r))) == static_cast<int>(r));
  }
}

BOOST_AUTO_TEST_CASE(every_size_cap_counts_as_too_large_whichever_door_hit_it) {
  // The native batch cap, a Langfuse batch over 3.5 MB or an OTLP request too
  // large to store at once, and a message over the inline cap: one reason.
  for (auto code : {errc::batch_too_large, errc::request_too_large, errc::message_too_large})
    BOOST_TEST(to_string(rejection_of(code)) == "too_large");
  BOOST_TEST(to_string(rejection_of(errc::rate_limited)) == "rate_limited");
  BOOST_TEST(to_string(rejection_of(errc::token_revoked)) == "unauthorized");
  BOOST_TEST(to_string(rejection_of(errc::storage_full)) == "storage_error");
  for (auto code : {errc::malformed_json, errc::invalid_message, errc::invalid_argument,
                    errc::unsupported_media_type})
    BOOST_TEST(to_string(rejection_of(code)) == "invalid");
}

BOOST_AUTO_TEST_SUITE_END()
