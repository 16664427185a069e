#include <boost/test/unit_test.hpp>

#include "policy/errors.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(codes_have_stable_names_and_a_category) {
  std::error_code ec = errc::token_revoked;
  BOOST_TEST(ec.category().name() == std::string{"sluice"});
  BOOST_TEST(code_name(errc::token_revoked) == "token_revoked");
  BOOST_TEST(code_name(errc::storage_full) == "storage_full");
  BOOST_TEST(code_name(errc::internal) == "internal");
  BOOST_TEST(!ec.message().empty());
  BOOST_TEST(!make_problem(errc::ok));
  BOOST_TEST(static_cast<bool>(make_problem(errc::not_found)));
}

BOOST_AUTO_TEST_SUITE_END()
