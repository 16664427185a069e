#pragma once

#include <filesystem>

#include "policy/token_hash.hpp"

namespace sluice::store {

/// Loads `<data_dir>/pepper`, creating it (32 random bytes, mode 0600, synced)
/// on first start. Throws std::runtime_error when the file exists with the
/// wrong size or mode wider than 0600, or cannot be read or written: running
/// with a different pepper would make every stored hash unmatchable.
pepper load_or_create_pepper(const std::filesystem::path& data_dir);

/// Loads `<data_dir>/pepper`, which must exist: a data directory that holds
/// tokens without its pepper is refused (std::runtime_error saying so), never
/// given a new one that would silently make every token unusable.
pepper load_pepper(const std::filesystem::path& data_dir);

} // namespace sluice::store
