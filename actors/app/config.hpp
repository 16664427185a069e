#pragma once

#include <caf/actor_system_config.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "net/event_stream.hpp"
#include "net/http_server.hpp"
#include "net/log.hpp"
#include "policy/cidr.hpp"
#include "policy/tiers.hpp"

namespace sluice {

/// The version sluiced reports (--version), from the project's CMake version.
inline constexpr const char* version = SLUICE_VERSION;

// Every limit of sluiced: its named default here, its config key in
// configs/sluice.conf (same name), overridable as --<group>.<key>=… on the
// command line (the options of the "global" group have no prefix).
namespace defaults {
inline constexpr std::uint16_t ingest_port = 8080;
inline constexpr std::uint16_t admin_port = 8081;
inline const char* const ingest_host = "0.0.0.0";
inline const char* const admin_host = "127.0.0.1";
inline const char* const data_dir = "./var";

inline constexpr unsigned ingest_threads = 1;
/// Off: the ingest I/O threads run the token and system actors of their
/// requests themselves (actors/turn_scheduler.hpp). A switch that is on
/// when given, as the command line can only turn booleans on.
inline constexpr bool actors_on_scheduler = false;
inline constexpr std::size_t max_batch_messages = 1000;
/// Records (log records, spans, Langfuse events, webhook events) one request
/// of a decoding door may hold: OpenTelemetry exporters batch up to 512 by
/// default and a collector up to 8192.
inline constexpr std::size_t max_otlp_records = 10'000;
inline constexpr std::size_t admin_max_request_bytes = 1ull << 20;
inline constexpr std::size_t admin_max_connections = 256;

inline constexpr std::chrono::milliseconds batch_latency{0};
inline constexpr std::size_t batch_max_messages = 20'000;
/// Bytes of ingest requests let in and not yet answered (waiting for their
/// turn or their commit) beyond which new ones get 503 with Retry-After: a
/// disk that falls behind slows clients down instead of filling memory.
inline constexpr std::size_t max_pending_bytes = 256ull << 20;
inline constexpr std::size_t map_size = 64ull << 20;
inline constexpr std::size_t meta_map_size = 64ull << 20;
inline constexpr std::size_t max_map_size = 1ull << 40;
inline constexpr std::chrono::seconds expiry_interval{3600};
inline constexpr std::chrono::hours dedup_window{24};
/// The write-ahead log's ring: a group is durable with one O_DSYNC append to
/// it (0: no log, every group flushes the environments). It must hold what
/// is committed between two checkpoints; a group that does not fit is made
/// durable by a checkpoint of its own instead.
inline constexpr std::size_t wal_size = 64ull << 20;
/// With the log: the longest between two checkpoints while writes come in.
/// Each checkpoint also commits the groups applied behind the log, so this
/// sets how many groups share a commit's page copies: 50 ms against 5 ms
/// gave 1.19 x the requests per second over 10,000 tokens at the same p99
/// (docs/operations.md, checkpoint-interval).
inline constexpr std::chrono::milliseconds checkpoint_interval{50};
/// With the log: acknowledged groups wait in an open write transaction of
/// their environment, to be committed together, up to this many bytes of
/// log entries (store/message_store.cpp, "Applying behind the log"). Bounds
/// the memory kept to apply them again if that transaction is lost.
inline constexpr std::size_t deferred_apply_bytes = 4ull << 20;
/// With the log: groups whose log writes may be under way at once. Two let
/// a group start its write while the one before is still being written,
/// instead of waiting for it: a shorter tail at moderate load, but smaller
/// groups under full load (mixed over 10,000 tokens: 0.81–0.94 × the
/// requests per second, 1.13–1.28 × the CPU per request). So one, unless
/// configured (docs/operations.md, log-writes-in-flight).
inline constexpr std::size_t log_writes_in_flight = 1;
/// With writes in flight: only a group of at most this many message bytes
/// starts its write while another is under way. Batches of 1,000 × 200 B
/// split into more, smaller groups when every group could: 0.73–0.89 × the
/// requests per second, 1.04–1.25 × the CPU per request.
inline constexpr std::size_t log_write_overlap_bytes = 64u << 10;
/// Readiness (GET /readyz): fewer free bytes than this on the data
/// directory's file system is not ready. Twice max_pending_bytes, so that
/// what was let in before a load balancer reacts still fits.
inline constexpr std::size_t ready_min_free_disk_bytes = 512ull << 20;
/// Readiness: an environment using more than this percentage of
/// max_map_size is not ready.
inline constexpr unsigned ready_max_map_percent = 90;
/// How often readiness looks at the disk and the maps again, and how often
/// a failed storage probes whether it takes writes again.
inline constexpr std::chrono::seconds ready_check_interval{1};

inline constexpr std::chrono::minutes token_idle_timeout{10};
inline constexpr std::chrono::seconds usage_flush_interval{10};
inline constexpr unsigned scheduler_threads = 1;
} // namespace defaults

/// sluiced's configuration: CAF's own options plus Sluice's, read from
/// --config-file (CAF's INI-like format) and the command line.
class sluice_config : public caf::actor_system_config {
public:
  sluice_config();

  // global
  std::string ingest_host = defaults::ingest_host;
  std::uint16_t ingest_port = defaults::ingest_port;
  std::string admin_host = defaults::admin_host;
  std::uint16_t admin_port = defaults::admin_port;
  std::string data_dir = defaults::data_dir;
  std::string bootstrap_token_file;
  /// Proxies whose X-Forwarded-For is believed: CIDRs, comma-separated.
  std::string trusted_proxies_text;

  /// trusted_proxies_text parsed (by validate()).
  ip_allowlist trusted_proxies;

  // ingest
  unsigned ingest_threads = defaults::ingest_threads;
  bool ingest_actors_on_scheduler = defaults::actors_on_scheduler;
  std::size_t ingest_max_request_bytes = net::default_max_request_bytes;
  std::size_t ingest_max_header_bytes = net::default_max_header_bytes;
  std::size_t ingest_max_connections = net::default_max_connections;
  caf::timespan ingest_idle_timeout = net::default_idle_timeout;
  caf::timespan ingest_request_timeout = net::default_request_timeout;
  bool ingest_tls = false;
  std::size_t max_batch_messages = defaults::max_batch_messages;
  std::size_t max_otlp_records = defaults::max_otlp_records;

  // admin
  std::size_t admin_max_request_bytes = defaults::admin_max_request_bytes;
  std::size_t admin_max_connections = defaults::admin_max_connections;
  caf::timespan admin_idle_timeout = net::default_idle_timeout;
  caf::timespan admin_request_timeout = net::default_request_timeout;
  bool admin_tls = false;
  /// The live tail (GET /systems/{id}/messages/stream); defaults in
  /// net/event_stream.hpp.
  std::size_t admin_max_streams = net::default_max_streams;
  caf::timespan admin_stream_poll_interval = net::default_stream_poll_interval;
  caf::timespan admin_stream_keepalive = net::default_stream_keepalive;
  std::size_t admin_stream_max_backlog = net::default_stream_max_backlog_bytes;

  // tls: one certificate and key for every port that has TLS on
  std::string tls_cert_file;
  std::string tls_key_file;

  // storage
  caf::timespan batch_latency = defaults::batch_latency;
  std::size_t batch_max_messages = defaults::batch_max_messages;
  std::size_t max_pending_bytes = defaults::max_pending_bytes;
  std::size_t map_size = defaults::map_size;
  std::size_t meta_map_size = defaults::meta_map_size;
  std::size_t max_map_size = defaults::max_map_size;
  caf::timespan expiry_interval = defaults::expiry_interval;
  caf::timespan dedup_window = defaults::dedup_window;
  std::size_t wal_size = defaults::wal_size;
  std::size_t deferred_apply_bytes = defaults::deferred_apply_bytes;
  std::size_t log_writes_in_flight = defaults::log_writes_in_flight;
  std::size_t log_write_overlap_bytes = defaults::log_write_overlap_bytes;
  caf::timespan checkpoint_interval = defaults::checkpoint_interval;
  std::size_t ready_min_free_disk_bytes = defaults::ready_min_free_disk_bytes;
  unsigned ready_max_map_percent = defaults::ready_max_map_percent;
  caf::timespan ready_check_interval = defaults::ready_check_interval;

  // tokens
  caf::timespan token_idle_timeout = defaults::token_idle_timeout;
  caf::timespan usage_flush_interval = defaults::usage_flush_interval;

  // log (defaults in net/log.hpp)
  std::string log_level{log::to_string(log::default_level)};
  std::string log_format{log::to_string(log::default_format)};
  bool log_access = log::default_access;

  /// log_level, log_format and log_access parsed (by validate()); main hands
  /// them to the logger.
  log::options log_options;

  // tier-free, tier-pro, tier-enterprise: the tier table, from the built-in
  // defaults of policy/tiers.cpp. Read it through tiers().
  sluice::tier_table tier_rows;

  /// The tier table as configured (retention and rates checked at parse).
  const sluice::tier_table& tiers() const noexcept { return tier_rows; }

  /// The server options of each port, from the values above.
  net::server_options ingest_server() const;
  net::server_options admin_server() const;
  /// How the admin port's live tails behave (admin.stream-*).
  net::stream_settings admin_streams() const;

  /// Sluice's options grouped by config section, each with its description and
  /// its value in this config (the defaults, before parsing), for --help. With
  /// `long_help`, the actor library's own options follow.
  std::string help(bool long_help) const;

  /// Checks a config file the way the command line is checked: every key in a
  /// section of Sluice's must be an option of that section with a value of
  /// its type (CAF alone ignores unknown keys and mistyped values silently).
  /// Sections of the actor library's own (scheduler, logger, …) are left to
  /// it. Returns what is wrong, in one line; empty when nothing is.
  std::string check_file(const std::string& path) const;

  /// CAF 0.17 takes a boolean option on the command line only as a bare
  /// flag (`--log.access`). Rewrites `--key=true` in `options` to the flag,
  /// and takes `--key=false` out of it; returns the options taken out, for
  /// set_false() once the rest is parsed (over a config file's value). Other
  /// options, and other values of a boolean one, are left to CAF's parser.
  std::vector<const caf::config_option*> take_bool_values(std::vector<std::string>& options) const;
  /// Sets each of `flags` (from take_bool_values()) to false.
  void set_false(const std::vector<const caf::config_option*>& flags);

  /// Checks the values that type-check but make no sense (no I/O thread, a
  /// zero timeout, an initial map larger than the maximum). Returns what is
  /// wrong and sets `option` to the option that fixes it; empty when nothing.
  std::string validate(std::string& option);

  /// The effective configuration of Sluice's options in the config-file
  /// format (a valid --config-file), for --dump-config.
  std::string dump() const;
};

} // namespace sluice
