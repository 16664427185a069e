#pragma once

#include <cstdint>
#include <system_error>

#include "policy/errors.hpp"

namespace sluice {

/// Seconds a client is told to wait (Retry-After) after a 507: room comes
/// back only when an operator acts or expiry drops old buckets, so a client
/// retrying sooner would only be refused again.
inline constexpr std::uint32_t storage_full_retry_after_s = 30;

/// True for the codes of a full store: no room on the disk (ENOSPC, which
/// the store also reports for LMDB's EIO of a short write on a full file
/// system), the user's disk quota (EDQUOT), from LMDB or from the
/// write-ahead log, or a map at storage.max-map-size (MDB_MAP_FULL).
bool is_storage_full(const std::error_code& ec) noexcept;

/// What a client is told when a metadata write fails: 507 with Retry-After
/// when the disk or the largest allowed map is full, 500 otherwise. Nothing
/// of the request was stored in either case (every write is one
/// transaction).
problem store_problem(const std::error_code& ec);

/// The same for an ingest request whose group was not acknowledged. Its
/// messages may be stored all the same: with the write-ahead log, a group
/// whose log write failed is staged in the environments already, and the
/// next checkpoint stores it (docs/operations.md); a retry with the same
/// message ids counts those as duplicates.
problem ingest_store_problem(const std::error_code& ec);

} // namespace sluice
