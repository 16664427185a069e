#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <string>
#include <vector>

#include "store/lmdb.hpp"
#include "temp_dir.hpp"

using namespace sluice::store;
using sluice::store::test::temp_dir;

namespace {

/// The main (unnamed) database of an environment, opened in `t`.
MDB_dbi main_dbi(const txn& t) {
  MDB_dbi dbi = 0;
  BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), nullptr, 0, &dbi), 0);
  return dbi;
}

std::string be(std::uint64_t x) {
  std::string s(8, '\0');
  put_be64(s.data(), x);
  return s;
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

BOOST_AUTO_TEST_SUITE_END()
