#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

// Readiness (GET /readyz): whether storage accepts writes now and has the
// room to go on doing so, so a load balancer stops sending before requests
// are refused with 507. Pure rules over figures the runtime gathers.

/// The thresholds (config keys storage.ready-min-free-disk-bytes and
/// storage.ready-max-map-percent).
struct readiness_limits {
  /// Fewer free bytes than this on the data directory's file system: not ready.
  std::uint64_t min_free_disk_bytes = 0;
  /// An environment using more than this share (percent) of the largest map
  /// it may grow to (storage.max-map-size): not ready.
  unsigned max_map_percent = 100;
};

/// One LMDB environment's use of its map.
struct env_use {
  std::string name;             ///< "r7", …, "rnever", "meta"
  std::uint64_t used_bytes = 0; ///< up to the highest page in use
};

/// What readiness looks at.
struct storage_figures {
  bool last_commit_failed = false;              ///< the last group commit failed
  std::vector<env_use> envs;                    ///< every environment
  std::uint64_t max_map_bytes = 0;              ///< storage.max-map-size
  std::optional<std::uint64_t> free_disk_bytes; ///< nullopt: the file system cannot tell
};

/// A check that fails: its name ("commit", "map", "disk") and why, in a
/// sentence naming the figures and the config key of the threshold.
struct readiness_failure {
  std::string_view check;
  std::string message;
};

/// The verdict: ready when no check fails.
struct readiness {
  std::vector<readiness_failure> failures;
  bool ready() const noexcept { return failures.empty(); }
};

/// Applies the three checks: the last commit succeeded; every environment
/// uses at most max_map_percent of max_map_bytes; the file system has at
/// least min_free_disk_bytes free (not checked when it cannot tell).
readiness assess_readiness(const storage_figures& f, const readiness_limits& limits);

} // namespace sluice
