// Boost.Test entry point of the store tests; the test cases live in the other
// files of this directory.
#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>
