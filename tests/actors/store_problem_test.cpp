// What a client is told when a store write fails (actors/store_problem.hpp):
// 507 with Retry-After for a full disk or map, from LMDB or from the
// write-ahead log's own writes, 500 otherwise; an ingest request is told it
// was not acknowledged, not that nothing of it was stored.

#include "actors/store_problem.hpp"

#include <boost/test/unit_test.hpp>

#include <lmdb.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "store/lmdb.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(store_problem_tests)

BOOST_AUTO_TEST_CASE(a_full_disk_is_507_whether_lmdb_or_the_log_reports_it) {
  for (auto ec : {store::lmdb_error(ENOSPC), store::lmdb_error(EDQUOT),
                  store::lmdb_error(MDB_MAP_FULL), std::error_code(ENOSPC, std::system_category()),
                  std::error_code(EDQUOT, std::generic_category())}) {
    BOOST_TEST(is_storage_full(ec), ec.message());
    auto p = ingest_store_problem(ec);
    BOOST_TEST((p.code == errc::storage_full));
    BOOST_TEST(p.retry_after_s == storage_full_retry_after_s);
  }
  for (auto ec : {store::lmdb_error(EIO), std::error_code(EIO, std::system_category()),
                  store::lmdb_error(MDB_CORRUPTED)}) {
    BOOST_TEST(!is_storage_full(ec), ec.message());
    BOOST_TEST((ingest_store_problem(ec).code == errc::internal));
  }
}

// Found in review: with the write-ahead log, a group whose log write failed
// is staged already and the next checkpoint may store it, so an ingest
// refusal cannot say that nothing was stored.
BOOST_AUTO_TEST_CASE(an_ingest_refusal_says_not_acknowledged_and_an_admin_one_nothing_stored) {
  const auto ec = std::error_code(EIO, std::system_category());
  auto ingest = ingest_store_problem(ec).message;
  BOOST_TEST(ingest.find("not acknowledged") != std::string::npos, ingest);
  BOOST_TEST(ingest.find("nothing") == std::string::npos, ingest);
  auto admin = store_problem(ec).message;
  BOOST_TEST(admin.find("nothing of this request was stored") != std::string::npos, admin);
}

BOOST_AUTO_TEST_SUITE_END()
