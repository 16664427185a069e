// What net/auth.hpp makes of a request's path before echoing or logging it.

#include "net/auth.hpp"

#include <boost/test/unit_test.hpp>

#include "policy/token_format.hpp"

using namespace sluice;
using namespace sluice::net;

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(a_path_never_carries_a_token_into_an_error_or_a_log) {
  auto hook = generate_secret(token_kind::webhook);
  auto ingest = generate_secret(token_kind::ingest);
  BOOST_TEST(path_without_secrets("/webhooks/" + hook) == "/webhooks/{token}");
  BOOST_TEST(path_without_secrets("/webhooks/" + hook + "/extra") == "/webhooks/{token}/extra");
  BOOST_TEST(path_without_secrets("/webhook/" + ingest.substr(0, 20)) == "/webhook/{token}");
  BOOST_TEST(path_without_secrets("/a/" + hook + "/" + ingest + "/") == "/a/{token}/{token}/");
  // Sent encoded, wholly or in part: still found, and the rest echoed
  // decoded, with what is not printable ASCII encoded again.
  BOOST_TEST(path_without_secrets("/x%61" + ingest.substr(1)) == "/x{token}");
  BOOST_TEST(path_without_secrets("/%77ebhooks/%61l" + hook.substr(2) + "/%FF%20")
             == "/webhooks/{token}/%FF ");
  // Paths without one come back as they were, escapes included.
  for (std::string p : {"/x%61l_", "/%7Emessages", "/%zz"})
    BOOST_TEST(path_without_secrets(p) == p);
  // Paths without one come back as they were.
  for (std::string p :
       {"/messages", "/api/v1/systems/sys_7Hq/tokens", "/", "", "//x", "/webhooks/"})
    BOOST_TEST(path_without_secrets(p) == p);
}

BOOST_AUTO_TEST_SUITE_END()
