#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/lmdb.hpp"
#include "temp_dir.hpp"
#include "test_keys.hpp"

using namespace sluice::store;
using sluice::store::test::be;
using sluice::store::test::temp_dir;

namespace {

/// The main (unnamed) database of an environment, opened in `t`.
MDB_dbi main_dbi(const txn& t) {
  MDB_dbi dbi = 0;
  BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), nullptr, 0, &dbi), 0);
  return dbi;
}

/// Reader slots of `e` held by a transaction, open or kept for reuse
/// (mdb_reader_list prints one line per claimed slot, after a header).
int claimed_reader_slots(const env& e) {
  int lines = 0;
  mdb_reader_list(
    e.get(),
    [](const char*, void* n) {
      ++*static_cast<int*>(n);
      return 0;
    },
    &lines);
  return lines > 0 ? lines - 1 : 0;
}

/// Puts key = value into the main database of `e` and commits.
void put_committed(const env& e, std::string_view key, std::string_view value) {
  auto [t, ec] = txn::begin(e, false);
  BOOST_REQUIRE(!ec);
  BOOST_REQUIRE(!t.put(main_dbi(t), key, value));
  BOOST_REQUIRE(!t.commit());
}

} // namespace

BOOST_AUTO_TEST_SUITE(lmdb)

BOOST_FIXTURE_TEST_CASE(a_write_transaction_not_committed_leaves_nothing_behind, temp_dir) {
  env e(path / "env", 1 << 20, 4);
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    BOOST_REQUIRE(!t.put(main_dbi(t), "key", "value"));
  } // destroyed without commit: aborted
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  std::string_view v;
  BOOST_TEST(!r.get(main_dbi(r), "key", v));
}

BOOST_FIXTURE_TEST_CASE(a_committed_write_is_visible_to_later_readers_and_after_reopen, temp_dir) {
  {
    env e(path / "env", 1 << 20, 4);
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    BOOST_REQUIRE(!t.put(main_dbi(t), "key", "value"));
    BOOST_REQUIRE(!t.commit());
    BOOST_TEST(!t); // ended

    auto [r, rec] = txn::begin(e, true);
    BOOST_REQUIRE(!rec);
    std::string_view v;
    BOOST_REQUIRE(r.get(main_dbi(r), "key", v));
    BOOST_TEST(v == "value");
  }
  env e(path / "env", 1 << 20, 4);
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  std::string_view v;
  BOOST_REQUIRE(r.get(main_dbi(r), "key", v));
  BOOST_TEST(v == "value");
}

BOOST_FIXTURE_TEST_CASE(a_reused_read_transaction_sees_the_newest_commit_and_keeps_its_snapshot,
                        temp_dir) {
  env e(path / "env", 1 << 20, 4);
  auto write = [&](std::string_view value) { put_committed(e, "key", value); };
  auto read = [](const txn& r) {
    std::string_view v;
    BOOST_REQUIRE(r.get(main_dbi(r), "key", v));
    return std::string{v};
  };
  write("v1");
  BOOST_TEST(claimed_reader_slots(e) == 0);
  {
    auto [r, ec] = txn::begin(e, true);
    BOOST_REQUIRE(!ec);
    BOOST_TEST(read(r) == "v1");
  }
  // Ended, but kept for reuse: its slot stays claimed (LMDB itself would
  // have released it) ...
  BOOST_TEST(claimed_reader_slots(e) == 1);
  write("v2");
  auto [r2, ec2] = txn::begin(e, true);
  BOOST_REQUIRE(!ec2);
  // ... and the next reader takes it rather than a second one.
  BOOST_TEST(claimed_reader_slots(e) == 1);
  BOOST_TEST(read(r2) == "v2"); // on the newest snapshot, not its old one

  write("v3");
  auto [r3, ec3] = txn::begin(e, true);
  BOOST_REQUIRE(!ec3);
  BOOST_TEST(read(r3) == "v3");
  BOOST_TEST(read(r2) == "v2"); // an open reader keeps its snapshot
  BOOST_TEST(mdb_txn_id(r3.get()) > mdb_txn_id(r2.get()));
}

BOOST_FIXTURE_TEST_CASE(many_readers_at_once_and_a_map_resize_between_them_work, temp_dir) {
  env e(path / "env", 1 << 20, 4);
  put_committed(e, "key", "value");
  // More at once than are kept: the rest end as LMDB ends them.
  for (int round = 0; round < 3; ++round) {
    std::vector<txn> readers;
    for (int i = 0; i < 40; ++i) {
      auto [r, ec] = txn::begin(e, true);
      BOOST_REQUIRE(!ec);
      std::string_view v;
      BOOST_REQUIRE(r.get(main_dbi(r), "key", v));
      BOOST_TEST(v == "value");
      readers.push_back(std::move(r));
    }
    BOOST_TEST(!readers.back().commit()); // a read-only commit just ends it
    BOOST_TEST(!readers.back());
    // Kept (reset) handles do not stand in the way of a resize.
    readers.clear();
    BOOST_REQUIRE(!e.set_map_size(std::size_t{2 << 20} << round));
  }
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  std::string_view v;
  BOOST_REQUIRE(r.get(main_dbi(r), "key", v));
  BOOST_TEST(v == "value");
  BOOST_TEST(e.map_size() >= std::size_t{8} << 20);
}

BOOST_FIXTURE_TEST_CASE(big_endian_keys_come_back_in_numeric_order, temp_dir) {
  env e(path / "env", 1 << 20, 4);
  std::vector<std::uint64_t> ids = {65536, 2, 256, 1, 0xffffffffffffULL, 255, 257};
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    for (auto id : ids)
      BOOST_REQUIRE(!t.put(main_dbi(t), be(id), "x"));
    BOOST_REQUIRE(!t.commit());
  }
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  std::vector<std::uint64_t> seen;
  {
    cursor c(r, main_dbi(r));
    std::string_view k, v;
    for (bool ok = c.first(k, v); ok; ok = c.next(k, v))
      seen.push_back(get_be64(k.data()));
  }
  std::vector<std::uint64_t> expected = {1, 2, 255, 256, 257, 65536, 0xffffffffffffULL};
  BOOST_TEST(seen == expected, boost::test_tools::per_element());
  BOOST_TEST(get_be64(be(0x0102030405060708ULL).data()) == 0x0102030405060708ULL);
}

BOOST_FIXTURE_TEST_CASE(cursor_seek_lands_on_the_first_key_not_below, temp_dir) {
  env e(path / "env", 1 << 20, 4);
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    for (std::uint64_t id : {10, 20, 30})
      BOOST_REQUIRE(!t.put(main_dbi(t), be(id), "x"));
    BOOST_REQUIRE(!t.commit());
  }
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  cursor c(r, main_dbi(r));
  std::string_view k, v;
  BOOST_REQUIRE(c.seek(be(11), k, v));
  BOOST_TEST(get_be64(k.data()) == 20u);
  BOOST_REQUIRE(c.last(k, v));
  BOOST_TEST(get_be64(k.data()) == 30u);
  BOOST_TEST(!c.seek(be(31), k, v));
}

BOOST_AUTO_TEST_CASE(lmdb_errors_have_readable_messages_and_disk_full_is_recognisable) {
  auto full = lmdb_error(MDB_MAP_FULL);
  BOOST_TEST(full.message().find("MDB_MAP_FULL") != std::string::npos);
  BOOST_TEST(std::string(full.category().name()) == "lmdb");
  auto nospace = lmdb_error(ENOSPC);
  BOOST_TEST((nospace == std::errc::no_space_on_device));
  BOOST_TEST((full != std::errc::no_space_on_device));
}

BOOST_FIXTURE_TEST_CASE(a_data_file_cut_short_is_refused_by_name_instead_of_read_past_its_end,
                        temp_dir) {
  const auto dir = path / "env";
  {
    env e(dir, 16 << 20, 4);
    for (int i = 0; i < 200; ++i) // a few hundred pages
      put_committed(e, "key-" + std::to_string(i), std::string(4000, 'x'));
  }
  const auto file = dir / "data.mdb";
  const auto size = std::filesystem::file_size(file);
  BOOST_REQUIRE_GT(size, 100u * 4096);
  std::filesystem::copy_file(file, path / "backup.mdb");
  // Cut to 16 pages: the meta pages survive, the data pages do not. Read
  // through the map, the missing pages would kill the process with SIGBUS.
  std::filesystem::resize_file(file, 16 * 4096);
  try {
    env e(dir, 16 << 20, 4);
    BOOST_FAIL("a cut-short data file was opened");
  } catch (const std::runtime_error& ex) {
    const std::string what = ex.what();
    BOOST_TEST(what.find(file.string() + " is 65536 bytes, but its pages reach") == 0, what);
    BOOST_TEST(what.find("restore this environment from a backup") != std::string::npos, what);
  }
  // Restored from the copy, it opens and reads.
  std::filesystem::copy_file(path / "backup.mdb", file,
                             std::filesystem::copy_options::overwrite_existing);
  env e(dir, 16 << 20, 4);
  auto [r, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  std::string_view v;
  BOOST_TEST(r.get(main_dbi(r), "key-199", v));
  BOOST_TEST(v.size() == 4000u);
}

BOOST_AUTO_TEST_SUITE_END()
