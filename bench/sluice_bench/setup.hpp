#pragma once

#include <string>

#include "bench/sluice_bench/options.hpp"
#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

/// The tokens of a run: minted through the admin API (tenants x systems x
/// tokens, with the classes of the mixed scenario) or read from --token-file;
/// for the mixed scenario, never-minted but well-formed secrets are appended.
/// Throws std::runtime_error (admin_error) when the server refuses a step.
token_set prepare_tokens(const bench_options& o);

/// Writes the minted tokens as "tok_id secret system_id class" lines.
void save_tokens(const token_set& set, const std::string& path);

} // namespace sluice::bench
