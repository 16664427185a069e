#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "policy/token_hash.hpp"
#include "store/meta_store.hpp"

namespace sluice {

/// A superuser just made: the only time its secret exists outside the caller.
struct new_superuser {
  std::uint64_t user_id = 0;
  std::uint64_t token_id = 0;
  std::string secret; ///< "alu_…"
};

/// Creates a platform superuser (no tenant) and a personal token for it, in
/// one durable transaction. Throws std::system_error when the write fails.
/// Used at first start and by `sluiced create-superuser`.
new_superuser create_superuser(store::meta_store& meta, const pepper& p, std::string_view name);

/// Writes `secret` and a newline to `path`, created with mode 0600 (an
/// existing file is replaced). Throws std::system_error on failure.
void write_secret_file(const std::string& path, std::string_view secret);

} // namespace sluice
