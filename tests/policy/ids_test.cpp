#include <boost/test/unit_test.hpp>

#include "policy/ids.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(ids)

BOOST_AUTO_TEST_CASE(public_ids_round_trip_with_their_prefix) {
  auto id = new_id(1'700'000'000'000);
  auto text = format_id(id_kind::token, id);
  BOOST_TEST(text.substr(0, 4) == "tok_");
  BOOST_TEST(text.size() == 4u + 11u);
  BOOST_TEST(*parse_id(id_kind::token, text) == id);
}

BOOST_AUTO_TEST_CASE(an_id_of_another_kind_or_garbage_does_not_parse) {
  auto text = format_id(id_kind::system, new_id(1'700'000'000'000));
  BOOST_TEST(!parse_id(id_kind::tenant, text).has_value());
  BOOST_TEST(!parse_id(id_kind::system, text + "0").has_value());
  BOOST_TEST(!parse_id(id_kind::system, "sys_").has_value());
  BOOST_TEST(!parse_id(id_kind::system, "sys_!!!!!!!!!!!").has_value());
  BOOST_TEST(!parse_id(id_kind::system, "sys_00000000000").has_value()); // 0 = none
}

BOOST_AUTO_TEST_CASE(ids_sort_by_creation_time) {
  auto a = new_id(1'700'000'000'000);
  auto b = new_id(1'700'000'000'001);
  auto c = new_id(1'800'000'000'000);
  BOOST_TEST(a < b);
  BOOST_TEST(b < c);
  BOOST_TEST(format_id(id_kind::tenant, a) < format_id(id_kind::tenant, c));
}

BOOST_AUTO_TEST_CASE(ids_of_one_millisecond_keep_their_creation_order) {
  // Tenants created in the same millisecond must list in the order made.
  auto prev = new_id(1'900'000'000'000);
  for (int i = 0; i < 10'000; ++i) {
    auto id = new_id(1'900'000'000'000);
    BOOST_TEST_REQUIRE(id > prev);
    prev = id;
  }
  // A clock stepping back does not reorder either.
  BOOST_TEST(new_id(1'900'000'000'000 - 60'000) > prev);
}

BOOST_AUTO_TEST_SUITE_END()
