#pragma once

#include <cstdint>
#include <string>

#include "store/lmdb.hpp"

namespace sluice::store::test {

/// `x` as an owned 8-byte big-endian key (be_key's bytes, as a string).
inline std::string be(std::uint64_t x) { return std::string{view(be_key(x))}; }

} // namespace sluice::store::test
