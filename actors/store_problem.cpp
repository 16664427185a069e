#include "actors/store_problem.hpp"

#include <lmdb.h>

#include <cerrno>

#include "store/lmdb.hpp"

namespace sluice {

bool is_storage_full(const std::error_code& ec) noexcept {
  if (ec.category() != store::lmdb_category())
    return false;
  return ec.value() == ENOSPC || ec.value() == EDQUOT || ec.value() == MDB_MAP_FULL;
}

problem store_problem(const std::error_code& ec) {
  if (is_storage_full(ec)) {
    auto p =
      make_problem(errc::storage_full, "storage is full; nothing of this request was stored");
    p.retry_after_s = storage_full_retry_after_s;
    return p;
  }
  return make_problem(errc::internal,
                      "storage failed (" + ec.message() + "); nothing of this request was stored");
}

} // namespace sluice
