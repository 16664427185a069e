#include <boost/test/unit_test.hpp>

#include <sys/statvfs.h>

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

BOOST_AUTO_TEST_CASE(the_free_room_leaves_out_the_file_systems_reserve_also_for_root) {
  // Where the file system keeps blocks in reserve (ext4: 5 % by default),
  // they are not free room for Sluice, whoever runs it: root may lack the
  // capability or the resuid to use them.
  temp_dir dir;
  struct statvfs st {};
  BOOST_REQUIRE(::statvfs(dir.path.c_str(), &st) == 0);
  auto space = disk_space_of(dir.path);
  BOOST_REQUIRE(space.has_value());
  const std::uint64_t unit = st.f_frsize != 0 ? st.f_frsize : st.f_bsize;
  const auto available = static_cast<std::uint64_t>(st.f_bavail) * unit;
  const auto with_reserve = static_cast<std::uint64_t>(st.f_bfree) * unit;
  // The two reads are moments apart: allow for other writers meanwhile.
  const std::uint64_t drift = 64ull << 20;
  BOOST_TEST(space->free_bytes <= available + drift);
  if (with_reserve > available + 2 * drift)
    BOOST_TEST(space->free_bytes < with_reserve - drift);
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
