#include <boost/test/unit_test.hpp>

#include <vector>

#include "policy/limiters.hpp"

using namespace sluice;

namespace {

constexpr std::int64_t s = 1'000'000;

tier_caps caps(std::uint64_t steady, std::uint64_t burst, bool sampling = false,
               bool shadow = false) {
  auto c = default_caps(tier::free);
  c.steady_rate = steady;
  c.burst_rate = burst;
  c.sampling = sampling;
  c.sample_one_in = 4;
  c.shadow = shadow;
  return c;
}

/// One request through both limits the way the token and system actors
/// handle it: the token checks (and reserves), the system decides, the token
/// resolves its reservation with the system's answer.
struct outcome {
  token_gate gate;
  system_verdict verdict = system_verdict::admit;
};

outcome request(request_limiter& token, system_limiter& system, std::uint64_t messages,
                std::int64_t now) {
  auto c = token.check(now);
  if (c.gate == token_gate::reject || c.gate == token_gate::wait)
    return {c.gate};
  auto d = system.admit(messages, now);
  if (c.gate == token_gate::reserved)
    token.resolve(d.verdict == system_verdict::admit || d.verdict == system_verdict::drop_sampled,
                  now);
  return {c.gate, d.verdict};
}

} // namespace

BOOST_AUTO_TEST_SUITE(limiters)

BOOST_AUTO_TEST_CASE(the_system_bucket_holds_burst_times_ten_and_refills_at_the_steady_rate) {
  system_limiter sys{caps(100, 50), 0}; // capacity 500 messages
  BOOST_TEST(sys.state(0).limit == 500u);
  BOOST_TEST(sys.state(0).window_s == 10u);
  BOOST_TEST(static_cast<int>(sys.admit(500, 0).verdict)
             == static_cast<int>(system_verdict::admit));
  auto d = sys.admit(1, 0);
  BOOST_TEST(static_cast<int>(d.verdict) == static_cast<int>(system_verdict::reject));
  BOOST_TEST(d.wait_us == s / 100);
  BOOST_TEST(d.burst.remaining == 0u);
  BOOST_TEST(d.burst.reset_s == 5u); // 500 messages at 100/s
  // One second later, exactly 100 more fit.
  BOOST_TEST(static_cast<int>(sys.admit(100, s).verdict)
             == static_cast<int>(system_verdict::admit));
  BOOST_TEST(static_cast<int>(sys.admit(1, s).verdict) == static_cast<int>(system_verdict::reject));
}

BOOST_AUTO_TEST_CASE(a_batch_larger_than_the_bucket_is_too_large_not_retried) {
  system_limiter sys{caps(10, 10), 0}; // capacity 100
  auto d = sys.admit(101, 0);
  BOOST_TEST(static_cast<int>(d.verdict) == static_cast<int>(system_verdict::too_large));
  BOOST_TEST(sys.state(0).remaining == 100u); // took nothing
}

BOOST_AUTO_TEST_CASE(a_request_refused_by_the_system_consumes_from_neither_bucket) {
  request_limiter token;
  token.configure(rate_limit{5, 1}, false, 0); // 5 requests per second
  system_limiter sys{caps(1, 1), 0};           // 10 messages, refilling 1/s
  BOOST_TEST(static_cast<int>(request(token, sys, 10, 0).verdict)
             == static_cast<int>(system_verdict::admit));
  // The system is now empty: refused, and the token's room is given back.
  auto r = request(token, sys, 1, 0);
  BOOST_TEST(static_cast<int>(r.gate) == static_cast<int>(token_gate::reserved));
  BOOST_TEST(static_cast<int>(r.verdict) == static_cast<int>(system_verdict::reject));
  BOOST_TEST(token.state(0)->remaining == 4u); // 5 - the one admitted
  BOOST_TEST(token.open_reservations() == 0u);
  BOOST_TEST(sys.state(0).remaining == 0u);
}

BOOST_AUTO_TEST_CASE(a_request_refused_by_the_token_consumes_from_neither_bucket) {
  request_limiter token;
  token.configure(rate_limit{2, 60}, false, 0); // 2 per minute
  system_limiter sys{caps(100, 100), 0};
  BOOST_TEST(static_cast<int>(request(token, sys, 1, 0).verdict)
             == static_cast<int>(system_verdict::admit));
  BOOST_TEST(static_cast<int>(request(token, sys, 1, 0).verdict)
             == static_cast<int>(system_verdict::admit));
  auto c = token.check(0);
  BOOST_TEST(static_cast<int>(c.gate) == static_cast<int>(token_gate::reject));
  BOOST_TEST(c.wait_us == 30 * s);            // one request refills in 60 s / 2
  BOOST_TEST(sys.state(0).remaining == 998u); // the refused one took no message
}

BOOST_AUTO_TEST_CASE(a_request_that_fits_only_if_a_reservation_is_returned_waits) {
  request_limiter token;
  token.configure(rate_limit{1, 1}, false, 0); // 1 per second
  auto first = token.check(0);
  BOOST_TEST(static_cast<int>(first.gate) == static_cast<int>(token_gate::reserved));
  // The system has not answered: the second could fit if the first is refused.
  BOOST_TEST(static_cast<int>(token.check(0).gate) == static_cast<int>(token_gate::wait));
  token.resolve(false, 0); // the system refused the first
  BOOST_TEST(static_cast<int>(token.check(0).gate) == static_cast<int>(token_gate::reserved));
  token.resolve(true, 0);
  BOOST_TEST(static_cast<int>(token.check(0).gate) == static_cast<int>(token_gate::reject));
}

BOOST_AUTO_TEST_CASE(reset_counts_the_request_being_answered) {
  // 3/minute: each request takes a third of the window to flow back in, so
  // after the first, second and third request the bucket is full again in
  // 20, 40 and 60 seconds. The state a client reads is taken while the
  // request still holds its reservation, and after it was settled.
  request_limiter token;
  token.configure(rate_limit{3, 60}, false, 0);
  std::vector<std::uint64_t> on_check, after_settle;
  for (int i = 0; i < 3; ++i) {
    auto c = token.check(0);
    BOOST_REQUIRE(c.gate == token_gate::reserved);
    on_check.push_back(c.state.reset_s);
    token.resolve(true, 0);
    after_settle.push_back(token.state(0)->reset_s);
  }
  BOOST_TEST(on_check == (std::vector<std::uint64_t>{20, 40, 60}),
             boost::test_tools::per_element());
  BOOST_TEST(after_settle == (std::vector<std::uint64_t>{20, 40, 60}),
             boost::test_tools::per_element());
  // Remaining agrees: 2, 1, 0 left, and 20 s later one request flowed back.
  BOOST_TEST(token.state(0)->remaining == 0u);
  BOOST_TEST(token.state(20 * s)->remaining == 1u);
  BOOST_TEST(token.state(20 * s)->reset_s == 40u);
}

BOOST_AUTO_TEST_CASE(a_limiter_is_at_rest_only_with_a_full_bucket_and_nothing_reserved) {
  request_limiter none;
  BOOST_TEST(none.at_rest(0)); // no limit: nothing to keep
  none.check(0);               // passes, reserves nothing
  BOOST_TEST(none.at_rest(0));

  // 2/hour: one request leaves the bucket short for 30 minutes. A limiter
  // forgotten before then would start full again: two more requests at once.
  request_limiter token;
  token.configure(rate_limit{2, 3600}, false, 0);
  BOOST_TEST(token.at_rest(0));
  BOOST_REQUIRE(token.check(0).gate == token_gate::reserved);
  BOOST_TEST(!token.at_rest(0)); // reserved, not yet decided
  token.resolve(true, 0);
  BOOST_TEST(!token.at_rest(10 * 60 * s));
  BOOST_TEST(!token.at_rest(30 * 60 * s - 1));
  BOOST_TEST(token.at_rest(30 * 60 * s));
}

BOOST_AUTO_TEST_CASE(free_tier_samples_for_sixty_seconds_after_hitting_the_cap) {
  system_limiter sys{caps(10, 10, true), 0}; // 100 messages, sample 1 in 4
  BOOST_TEST(!sys.admit(100, 0).sampled);    // before the cap: not sampled
  BOOST_TEST(static_cast<int>(sys.admit(1, 0).verdict) == static_cast<int>(system_verdict::reject));
  // From now until 60 s later accepted requests are sampled; every 4th dropped.
  int dropped = 0;
  for (int i = 1; i <= 8; ++i) {
    auto d = sys.admit(1, i * s);
    BOOST_TEST(d.sampled);
    BOOST_TEST(static_cast<int>(d.verdict) != static_cast<int>(system_verdict::reject));
    dropped += d.verdict == system_verdict::drop_sampled;
  }
  BOOST_TEST(dropped == 2);
  BOOST_TEST(sys.admit(1, 60 * s - 1).sampled);
  BOOST_TEST(!sys.admit(1, 60 * s).sampled); // the window is over
}

BOOST_AUTO_TEST_CASE(paid_tiers_never_sample) {
  system_limiter sys{caps(10, 10, false), 0};
  sys.admit(100, 0);
  sys.admit(1, 0); // refused
  BOOST_TEST(!sys.admit(1, 2 * s).sampled);
}

BOOST_AUTO_TEST_CASE(shadow_limits_count_but_never_refuse) {
  system_limiter sys{caps(1, 1, true, true), 0}; // 10 messages, shadow
  BOOST_TEST(!sys.admit(10, 0).shadow_limited);
  auto d = sys.admit(5, 0);
  BOOST_TEST(static_cast<int>(d.verdict) == static_cast<int>(system_verdict::admit));
  BOOST_TEST(d.shadow_limited);
  BOOST_TEST(!d.sampled); // no sampling in shadow either

  request_limiter token;
  token.configure(rate_limit{1, 3600}, true, 0);
  BOOST_TEST(static_cast<int>(token.check(0).gate) == static_cast<int>(token_gate::reserved));
  token.resolve(true, 0);
  auto c = token.check(0);
  BOOST_TEST(static_cast<int>(c.gate) == static_cast<int>(token_gate::pass));
  BOOST_TEST(c.shadow_limited);
}

BOOST_AUTO_TEST_CASE(the_tightest_limit_is_the_one_with_the_smallest_share_left) {
  rate_report r;
  r.burst = limit_state{10'000, 10, 9'000, 1}; // 90 % left
  BOOST_TEST(r.tightest() == "burst");
  r.token = limit_state{100, 60, 50, 30}; // 50 % left
  BOOST_TEST(r.tightest() == "token");
  r.token->remaining = 95; // 95 % left
  BOOST_TEST(r.tightest() == "burst");
  BOOST_TEST(r.tightest_state().limit == 10'000u);
}

BOOST_AUTO_TEST_CASE(overrides_change_only_what_they_name) {
  cap_overrides o;
  o.max_retention_days = 365;
  o.steady_rate = 200;
  auto c = effective_caps(default_caps(tier::pro), o);
  BOOST_TEST(c.max_retention_days == 365);
  BOOST_TEST(c.steady_rate == 200u);
  BOOST_TEST(c.burst_rate == default_caps(tier::pro).burst_rate);
  BOOST_TEST(!check_retention(c, 365));
  // Lowering the ceiling below the default moves the default down with it.
  cap_overrides lower;
  lower.max_retention_days = 30;
  auto l = effective_caps(default_caps(tier::pro), lower);
  BOOST_TEST(l.default_retention_days == 30);
  cap_overrides bad;
  bad.max_retention_days = 45;
  BOOST_TEST(static_cast<bool>(check_overrides(bad)));
  bad = {};
  bad.steady_rate = 0;
  BOOST_TEST(static_cast<bool>(check_overrides(bad)));
  BOOST_TEST(!check_overrides(o));
}

BOOST_AUTO_TEST_SUITE_END()
