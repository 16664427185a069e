#include <boost/test/unit_test.hpp>

#include <cerrno>

#include "store/disk_space.hpp"
#include "store/lmdb.hpp"
#include "temp_dir.hpp"

using namespace sluice::store;
using sluice::store::test::temp_dir;

BOOST_AUTO_TEST_SUITE(disk_space)

BOOST_AUTO_TEST_CASE(statvfs_tells_the_room_of_a_directory) {
  temp_dir dir;
  auto space = disk_space_of(dir.path);
  BOOST_REQUIRE(space.has_value());
  BOOST_TEST(space->total_bytes > 0u);
  BOOST_TEST(space->free_bytes <= space->total_bytes);
  BOOST_TEST(!disk_space_of(dir.path / "no-such-dir").has_value());
}

BOOST_AUTO_TEST_CASE(eio_with_room_left_stays_a_device_error_and_other_codes_pass_through) {
  temp_dir dir;
  auto space = disk_space_of(dir.path);
  BOOST_REQUIRE(space.has_value());
  if (space->free_bytes >= full_disk_slack_bytes)
    BOOST_TEST(write_error(lmdb_error(EIO), dir.path) == lmdb_error(EIO));
  else
    BOOST_TEST(write_error(lmdb_error(EIO), dir.path) == lmdb_error(ENOSPC));
  BOOST_TEST(write_error(lmdb_error(MDB_MAP_FULL), dir.path) == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(write_error(lmdb_error(ENOSPC), dir.path) == lmdb_error(ENOSPC));
  BOOST_TEST(!write_error({}, dir.path));
  // A directory statvfs cannot look at: no room to tell, so EIO stays EIO.
  BOOST_TEST(write_error(lmdb_error(EIO), dir.path / "gone") == lmdb_error(EIO));
}

BOOST_AUTO_TEST_SUITE_END()
