#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "store/data_dir_lock.hpp"
#include "temp_dir.hpp"

using namespace sluice::store;
using sluice::store::test::temp_dir;

BOOST_AUTO_TEST_SUITE(data_dir_lock_suite)

BOOST_FIXTURE_TEST_CASE(a_second_holder_is_refused_until_the_first_lets_go, temp_dir) {
  std::optional<data_dir_lock> first;
  first.emplace(path);
  BOOST_TEST(std::filesystem::exists(path / "lock"));
  // flock is per open file: a second open in the same process conflicts just
  // as a second process would.
  try {
    data_dir_lock second(path);
    BOOST_FAIL("two holders of one data directory");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string{e.what()}
                 == "data directory " + path.string() + " is in use by another sluiced (it holds "
                      + (path / "lock").string()
                      + "); stop that one first, or give this one a data directory of its own",
               e.what());
  }
  first.reset(); // the lock goes with the descriptor; the file stays
  BOOST_TEST(std::filesystem::exists(path / "lock"));
  data_dir_lock again(path);
}

BOOST_FIXTURE_TEST_CASE(a_lock_file_that_cannot_be_opened_is_named, temp_dir) {
  std::filesystem::create_directory(path / "lock"); // a directory where the file goes
  try {
    data_dir_lock l(path);
    BOOST_FAIL("locked a directory");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string{e.what()}.find("lock file " + (path / "lock").string() + ": ") == 0,
               e.what());
  }
}

BOOST_AUTO_TEST_SUITE_END()
