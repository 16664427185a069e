#include <boost/test/unit_test.hpp>

#include "policy/json_writer.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(json_writer_suite)

BOOST_AUTO_TEST_CASE(objects_and_arrays_get_their_commas) {
  std::string out;
  json_writer w{out};
  w.begin_object()
    .field("a", 1)
    .field("b", "x")
    .key("c")
    .begin_array()
    .value(true)
    .null()
    .raw("{\"k\":2}")
    .end_array()
    .key("d")
    .begin_object()
    .end_object()
    .end_object();
  BOOST_TEST(out == R"({"a":1,"b":"x","c":[true,null,{"k":2}],"d":{}})");
}

BOOST_AUTO_TEST_CASE(strings_are_escaped) {
  std::string out;
  json_writer w{out};
  w.value(std::string_view{"q\"b\\n\n\t\x01\xc3\xa9", 10});
  BOOST_TEST(out == "\"q\\\"b\\\\n\\n\\t\\u0001\xc3\xa9\"");
}

BOOST_AUTO_TEST_CASE(non_finite_numbers_become_null) {
  std::string out;
  json_writer w{out};
  w.begin_array().value(1.5).value(std::numeric_limits<double>::infinity()).end_array();
  BOOST_TEST(out == "[1.5,null]");
}

BOOST_AUTO_TEST_SUITE_END()
