#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/sluice_bench/load.hpp"
#include "bench/sluice_bench/options.hpp"
#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

/// The outcome of reading every system's messages back.
struct check_result {
  bool ran = false;
  bool ok = true;
  std::uint64_t systems = 0;
  std::uint64_t pages = 0;
  std::uint64_t expected = 0;         ///< messages of 202 answers
  std::uint64_t found = 0;            ///< of those, read back
  std::uint64_t missing = 0;          ///< acknowledged, not read back
  std::uint64_t extra = 0;            ///< read back, never acknowledged (nor ambiguous)
  std::uint64_t duplicated = 0;       ///< read back more than once
  std::uint64_t ambiguous = 0;        ///< messages whose outcome the client cannot know
  std::uint64_t ambiguous_stored = 0; ///< of those, read back
  std::uint64_t other = 0;            ///< messages of other runs (or without bseq)
  std::vector<std::string> examples;  ///< the first few problems, for a human
  std::string error;                  ///< why the check could not run; empty when it did
  double seconds = 0;
};

/// Reads back every system of `set` through the admin API and compares the
/// bseq values of this run with the acknowledged ones, per system: the same
/// set, none missing, none extra, none twice. Ambiguous requests (no answer,
/// sampled, partly rejected) may be either way. An OTLP log record is one
/// stored message whose bseq is an attribute (see read_messages_page).
check_result check_messages(const bench_options& o, const token_set& set, const std::string& run_id,
                            const load_result& load);

} // namespace sluice::bench
