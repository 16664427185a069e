#pragma once

#include <system_error>

#include "policy/errors.hpp"

namespace sluice {

/// What a client is told when a store write fails: 507 when the disk or the
/// largest allowed map is full, 500 otherwise. Nothing of the request was
/// stored in either case (every write is one transaction).
problem store_problem(const std::error_code& ec);

} // namespace sluice
