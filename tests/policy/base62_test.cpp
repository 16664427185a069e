#include <boost/test/unit_test.hpp>

#include "policy/base62.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(base62_suite)

BOOST_AUTO_TEST_CASE(fixed_width_numbers_round_trip_and_sort) {
  for (std::uint64_t x :
       std::initializer_list<std::uint64_t>{0, 1, 61, 62, 123456789, UINT64_MAX}) {
    auto text = base62::encode_fixed(x, 11);
    BOOST_TEST(text.size() == 11u);
    BOOST_TEST(*base62::decode(text) == x);
  }
  BOOST_TEST(base62::encode_fixed(61, 11) < base62::encode_fixed(62, 11));
}

BOOST_AUTO_TEST_CASE(overflow_and_foreign_characters_are_refused) {
  BOOST_TEST(!base62::decode("zzzzzzzzzzzz").has_value()); // > 2^64
  BOOST_TEST(!base62::decode("12_3").has_value());
  BOOST_TEST(!base62::decode("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
