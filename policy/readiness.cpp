#include "policy/readiness.hpp"

namespace sluice {

readiness assess_readiness(const storage_figures& f, const readiness_limits& limits) {
  readiness out;
  if (f.last_commit_failed)
    out.failures.push_back({"commit", "the last group commit failed; ready again once a "
                                      "write succeeds"});
  if (f.max_map_bytes > 0) {
    for (auto& e : f.envs) {
      // used / max > percent / 100 (long double: exact for any map size
      // a file system holds, and no product can overflow).
      if (static_cast<long double>(e.used_bytes) * 100
          <= static_cast<long double>(f.max_map_bytes) * limits.max_map_percent)
        continue;
      out.failures.push_back(
        {"map", "environment " + e.name + " uses " + std::to_string(e.used_bytes) + " bytes of the "
                  + std::to_string(f.max_map_bytes)
                  + " its map may grow to (storage.max-map-size); ready up to "
                  + std::to_string(limits.max_map_percent) + " % (storage.ready-max-map-percent)"});
    }
  }
  if (f.free_disk_bytes && *f.free_disk_bytes < limits.min_free_disk_bytes)
    out.failures.push_back(
      {"disk", std::to_string(*f.free_disk_bytes)
                 + " bytes free on the data directory's file system; ready from "
                 + std::to_string(limits.min_free_disk_bytes)
                 + " (storage.ready-min-free-disk-bytes)"});
  return out;
}

} // namespace sluice
