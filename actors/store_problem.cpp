#include "actors/store_problem.hpp"

#include <lmdb.h>

#include <cerrno>

#include "store/lmdb.hpp"

namespace sluice {

problem store_problem(const std::error_code& ec) {
  if (ec.category() == store::lmdb_category() && (ec.value() == ENOSPC || ec.value() == MDB_MAP_FULL))
    return make_problem(errc::storage_full, "storage is full; nothing of this request was stored");
  return make_problem(errc::internal,
                      "storage failed (" + ec.message() + "); nothing of this request was stored");
}

} // namespace sluice
