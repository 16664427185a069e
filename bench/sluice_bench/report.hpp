#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/sluice_bench/check.hpp"
#include "bench/sluice_bench/histogram.hpp"
#include "bench/sluice_bench/load.hpp"
#include "bench/sluice_bench/options.hpp"
#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

/// What the revoke scenario's revoker saw.
struct revoke_stats {
  std::uint64_t revoked = 0;
  latency_histogram latency; ///< of the revoke calls
  std::vector<std::string> errors;
};

/// Everything one run produced, for the table or the JSON object.
struct run_report {
  const bench_options* opt = nullptr;
  std::string run_id;
  std::size_t systems = 0;
  std::size_t tokens = 0; ///< minted or loaded
  double setup_s = 0;
  const load_result* load = nullptr;
  const revoke_stats* revoke = nullptr; ///< revoke scenario only
  const check_result* check = nullptr;  ///< when the check ran
  std::vector<std::string> failures;    ///< why the run fails; empty = pass
};

/// The human-readable report on stdout.
void print_table(const run_report& r);
/// One JSON object on stdout.
void print_json(const run_report& r);
/// --timeline: the load's timeline as CSV (ms, unix_ms, answers, max_ms),
/// one line per slot; `started` is the wall-clock time of the first send, so
/// unix_ms lines up with other records of the same machine. False, after a
/// message on stderr, when the file cannot be written.
bool write_timeline(const std::string& path, const load_result& load,
                    std::chrono::system_clock::time_point started);

} // namespace sluice::bench
