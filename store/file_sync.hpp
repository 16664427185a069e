#pragma once

#include <filesystem>
#include <system_error>

namespace sluice::store {

/// Flushes a directory (fsync of the directory itself), so that a file
/// created, renamed into or removed from it stays so after a power loss.
/// Returns the error of the open or the flush; none on success.
std::error_code sync_directory(const std::filesystem::path& dir) noexcept;

} // namespace sluice::store
