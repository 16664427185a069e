#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sluice::bench {

/// What the load phase does (see --help).
enum class scenario : std::uint8_t { single, batch, mixed, revoke, otlp_json, otlp_proto };

/// The OTLP/HTTP logs scenarios: one ExportLogsServiceRequest of --batch
/// log records per POST /otlp/v1/logs.
constexpr bool is_otlp(scenario s) noexcept {
  return s == scenario::otlp_json || s == scenario::otlp_proto;
}

/// A host and port as given on the command line ("127.0.0.1:8080").
struct endpoint_spec {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
};

/// Every command-line flag of sluice-bench, with its default.
struct bench_options {
  endpoint_spec ingest{"127.0.0.1", 8080};
  endpoint_spec admin{"127.0.0.1", 8081};
  std::string superuser_token;

  // Setup.
  unsigned tenants = 1;
  unsigned systems = 1; ///< per tenant
  unsigned tokens = 1;  ///< per system
  std::string tier = "enterprise";
  bool unlimited = false; ///< tenant overrides lift the tier's rate limits
  std::optional<int> retention_days;
  unsigned setup_connections = 4;
  std::string token_file;
  std::string save_tokens;
  bool setup_only = false;

  // Load.
  scenario scen = scenario::single;
  unsigned connections = 64;
  unsigned threads = 1;
  double duration_s = 10;
  std::uint64_t requests = 0;   ///< when set, stop after this many instead of duration_s
  double rate = 0;              ///< requests/s over all connections; 0 = closed loop
  unsigned batch = 1000;        ///< otlp-*: records per request, 100 unless given
  unsigned message_bytes = 200; ///< otlp-*: length of a record's body text, 150 unless given
  double invalid_share = 0.05;
  double revoked_share = 0.05;
  double limited_share = 0.05;
  std::string limited_rate = "5/second";
  double drain_timeout_s = 30;

  // Report.
  bool check = true;
  bool json = false;
  bool quiet = false;   ///< no progress bars
  std::string timeline; ///< --timeline=FILE: answers and worst latency per 10 ms, as CSV
  /// --arrival-times: also time each answer's arrival at the client's
  /// socket (the kernel's receive timestamp), so the report can tell the
  /// client's own delay in reading answers from the rest of the latency.
  bool arrival_times = false;
};

/// Parses argv; prints usage and exits on --help or on a bad flag.
bench_options parse_options(int argc, char** argv);

std::string_view to_string(scenario s) noexcept;

} // namespace sluice::bench
