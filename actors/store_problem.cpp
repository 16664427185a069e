#include "actors/store_problem.hpp"

#include <lmdb.h>

#include <cerrno>
#include <string>
#include <string_view>

#include "store/lmdb.hpp"

namespace sluice {

bool is_storage_full(const std::error_code& ec) noexcept {
  const bool no_room = ec.value() == ENOSPC || ec.value() == EDQUOT;
  if (ec.category() == store::lmdb_category())
    return no_room || ec.value() == MDB_MAP_FULL;
  // The write-ahead log's own writes report errno as it is.
  return no_room
         && (ec.category() == std::system_category() || ec.category() == std::generic_category());
}

namespace {

problem refusal(const std::error_code& ec, std::string_view outcome) {
  if (is_storage_full(ec)) {
    auto p = make_problem(errc::storage_full, "storage is full; " + std::string{outcome});
    p.retry_after_s = storage_full_retry_after_s;
    return p;
  }
  return make_problem(errc::internal,
                      "storage failed (" + ec.message() + "); " + std::string{outcome});
}

} // namespace

problem store_problem(const std::error_code& ec) {
  return refusal(ec, "nothing of this request was stored");
}

problem ingest_store_problem(const std::error_code& ec) {
  return refusal(ec, "this request was not acknowledged; retry it (messages with an id are "
                     "stored once)");
}

} // namespace sluice
