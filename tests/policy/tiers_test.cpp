#include <boost/test/unit_test.hpp>

#include "policy/retention.hpp"
#include "policy/tiers.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(tiers)

BOOST_AUTO_TEST_CASE(each_tier_allows_the_retention_values_of_the_spec) {
  BOOST_TEST(allowed_retentions(default_caps(tier::free)) == std::vector<int>({7}),
             boost::test_tools::per_element());
  BOOST_TEST(allowed_retentions(default_caps(tier::pro)) == std::vector<int>({7, 30, 90}),
             boost::test_tools::per_element());
  BOOST_TEST(allowed_retentions(default_caps(tier::enterprise))
               == std::vector<int>({7, 30, 90, 180, 365, 730, 1095, 1825, -1}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(default_retention_is_allowed_by_its_own_tier) {
  for (auto t : {tier::free, tier::pro, tier::enterprise}) {
    auto& caps = default_caps(t);
    BOOST_TEST(!check_retention(caps, caps.default_retention_days));
  }
  BOOST_TEST(default_caps(tier::free).default_retention_days == 7);
  BOOST_TEST(default_caps(tier::pro).default_retention_days == 90);
  BOOST_TEST(default_caps(tier::enterprise).default_retention_days == 365);
}

BOOST_AUTO_TEST_CASE(a_refused_retention_names_the_allowed_values) {
  auto p = check_retention(default_caps(tier::pro), 365);
  BOOST_TEST(static_cast<int>(p.code) == static_cast<int>(errc::retention_not_allowed));
  BOOST_TEST(p.message.find("7, 30, 90") != std::string::npos);
  BOOST_TEST(p.details_json == "{\"allowed\":[7,30,90]}");
  // Not a retention value at all is refused even on enterprise.
  BOOST_TEST(static_cast<bool>(check_retention(default_caps(tier::enterprise), 8)));
  BOOST_TEST(static_cast<bool>(check_retention(default_caps(tier::free), -1)));
}

BOOST_AUTO_TEST_CASE(an_override_of_max_retention_widens_the_list) {
  auto caps = default_caps(tier::pro);
  caps.max_retention_days = 365;
  BOOST_TEST(!check_retention(caps, 365));
  BOOST_TEST(static_cast<bool>(check_retention(caps, 730)));
  BOOST_TEST(static_cast<bool>(check_retention(caps, retention::never)));
}

BOOST_AUTO_TEST_CASE(token_cap_counts_live_tokens_and_enterprise_is_unlimited) {
  BOOST_TEST(!check_token_cap(default_caps(tier::free), 0));
  BOOST_TEST(!check_token_cap(default_caps(tier::free), 1));
  auto p = check_token_cap(default_caps(tier::free), 2);
  BOOST_TEST(static_cast<int>(p.code) == static_cast<int>(errc::token_limit_reached));
  BOOST_TEST(!check_token_cap(default_caps(tier::pro), 49));
  BOOST_TEST(static_cast<bool>(check_token_cap(default_caps(tier::pro), 50)));
  BOOST_TEST(!check_token_cap(default_caps(tier::enterprise), 1'000'000));
  // A bulk mint fits whole or not at all, and the refusal counts right.
  BOOST_TEST(!check_token_cap(default_caps(tier::pro), 47, 3));
  auto bulk = check_token_cap(default_caps(tier::pro), 48, 3);
  BOOST_TEST(bulk.message.find("already has 48 active tokens") != std::string::npos, bulk.message);
  BOOST_TEST(bulk.message.find("3 more") != std::string::npos, bulk.message);
}

BOOST_AUTO_TEST_CASE(inline_caps_follow_the_spec) {
  BOOST_TEST(default_caps(tier::free).inline_cap_bytes == 16u * 1024);
  BOOST_TEST(default_caps(tier::pro).inline_cap_bytes == 256u * 1024);
  BOOST_TEST(default_caps(tier::enterprise).inline_cap_bytes == 1024u * 1024);
}

BOOST_AUTO_TEST_CASE(tier_names_round_trip) {
  for (auto t : {tier::free, tier::pro, tier::enterprise})
    BOOST_TEST(static_cast<int>(*parse_tier(to_string(t))) == static_cast<int>(t));
  BOOST_TEST(!parse_tier("gold").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
