#include <boost/test/unit_test.hpp>

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "store/pepper_file.hpp"
#include "temp_dir.hpp"

using namespace sluice::store;
using sluice::store::test::temp_dir;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(pepper_file)

BOOST_FIXTURE_TEST_CASE(first_start_creates_a_private_32_byte_pepper, temp_dir) {
  auto data = path / "data"; // does not exist yet
  auto p = load_or_create_pepper(data);
  auto file = data / "pepper";
  BOOST_REQUIRE(fs::exists(file));
  BOOST_TEST(fs::file_size(file) == 32u);
  struct stat st {};
  BOOST_REQUIRE_EQUAL(::stat(file.c_str(), &st), 0);
  BOOST_TEST((st.st_mode & 07777) == 0600u);
  BOOST_TEST(!fs::exists(data / "pepper.tmp"));
  sluice::pepper zero;
  BOOST_TEST(p.key != zero.key); // random, not the default
}

BOOST_FIXTURE_TEST_CASE(a_restart_loads_the_same_pepper, temp_dir) {
  auto first = load_or_create_pepper(path);
  auto second = load_or_create_pepper(path);
  BOOST_TEST(first.key == second.key);
}

BOOST_FIXTURE_TEST_CASE(a_pepper_file_of_the_wrong_size_is_refused, temp_dir) {
  {
    std::ofstream out(path / "pepper", std::ios::binary);
    out << "too short";
  }
  fs::permissions(path / "pepper", fs::perms::owner_read | fs::perms::owner_write);
  BOOST_CHECK_THROW(load_or_create_pepper(path), std::runtime_error);
  // Not silently replaced either.
  BOOST_TEST(fs::file_size(path / "pepper") == 9u);
}

BOOST_FIXTURE_TEST_CASE(a_pepper_file_readable_by_others_is_refused, temp_dir) {
  load_or_create_pepper(path);
  fs::permissions(path / "pepper", fs::perms::owner_read | fs::perms::owner_write
                                     | fs::perms::group_read | fs::perms::others_read);
  BOOST_CHECK_THROW(load_or_create_pepper(path), std::runtime_error);
  // A narrower mode (read-only for the owner) is fine.
  fs::permissions(path / "pepper", fs::perms::owner_read);
  BOOST_CHECK_NO_THROW(load_or_create_pepper(path));
}

BOOST_AUTO_TEST_SUITE_END()
