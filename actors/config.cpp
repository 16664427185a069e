#include "actors/config.hpp"

#include <chrono>

namespace sluice {

namespace {

std::chrono::milliseconds to_ms(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t);
}

} // namespace

sluice_config::sluice_config() {
  // The CAF scheduler runs the token, system and admin actors; the storage
  // and admin actors have threads of their own. On two cores one scheduler
  // thread beside the I/O thread measured best (see README, Benchmarks).
  set("scheduler.max-threads", defaults::scheduler_threads);

  opt_group{custom_options_, "global"}
    .add(ingest_host, "ingest-host", "address the ingest port binds to")
    .add(ingest_port, "ingest-port", "ingest port (0 picks a free one)")
    .add(admin_host, "admin-host", "address the admin port binds to (keep it private)")
    .add(admin_port, "admin-port", "admin port (0 picks a free one)")
    .add(data_dir, "data-dir", "directory holding the LMDB environments and the pepper")
    .add(bootstrap_token_file, "bootstrap-token-file",
         "file (mode 0600) receiving the first superuser token at first start");
  opt_group{custom_options_, "ingest"}
    .add(ingest_threads, "threads", "I/O threads of the ingest port")
    .add(ingest_max_request_bytes, "max-request-bytes",
         "largest request body in bytes (413 beyond)")
    .add(ingest_max_header_bytes, "max-header-bytes", "largest request header block in bytes")
    .add(ingest_max_connections, "max-connections", "open connections at most")
    .add(ingest_idle_timeout, "idle-timeout", "close a keep-alive connection idle this long")
    .add(ingest_request_timeout, "request-timeout",
         "longest time to receive one request or send one response")
    .add(max_batch_messages, "max-batch-messages", "messages in one POST /messages at most");
  opt_group{custom_options_, "admin"}
    .add(admin_max_request_bytes, "max-request-bytes", "largest admin request body in bytes")
    .add(admin_max_connections, "max-connections", "open admin connections at most")
    .add(admin_idle_timeout, "idle-timeout", "close an idle admin connection after this")
    .add(admin_request_timeout, "request-timeout", "longest time for one admin request");
  opt_group{custom_options_, "storage"}
    .add(batch_latency, "batch-latency",
         "longest a group commit waits for more writes (0: commit once the queue is drained)")
    .add(batch_max_messages, "batch-max-messages",
         "messages that close a group commit at once")
    .add(map_size, "map-size", "initial LMDB map size of each message environment, bytes")
    .add(meta_map_size, "meta-map-size", "initial LMDB map size of the metadata environment")
    .add(max_map_size, "max-map-size", "maps grow (doubling) up to this many bytes, then 507")
    .add(expiry_interval, "expiry-interval", "how often expired day buckets are dropped")
    .add(dedup_window, "dedup-window", "a message id seen within this window is a duplicate");
  // The tier table (SPEC section 2): one section per tier.
  for (auto t : {tier::free, tier::pro, tier::enterprise}) {
    auto& row = tier_rows[t];
    opt_group{custom_options_, "tier-" + std::string{to_string(t)}}
      .add(row.tokens_per_system, "tokens-per-system",
           "tokens per system, not counting revoked ones (0 = unlimited)")
      .add(row.max_retention_days, "max-retention-days",
           "largest retention a token may have (-1 = every value, including never)")
      .add(row.default_retention_days, "default-retention-days",
           "retention of a token minted without one")
      .add(row.steady_rate, "steady-rate", "messages per second a system sustains")
      .add(row.burst_rate, "burst-rate",
           "messages per second a system may burst for 10 s (bucket = 10 x this)")
      .add(row.sampling, "sampling", "after the burst cap is hit, sample for 60 s")
      .add(row.sample_one_in, "sample-one-in",
           "while sampling, 1 in this many accepted requests is not stored")
      .add(row.inline_cap_bytes, "inline-cap-bytes", "largest single message, in bytes")
      .add(row.shadow, "shadow", "count the rate limit but never enforce it");
  }
  opt_group{custom_options_, "tokens"}
    .add(token_idle_timeout, "idle-timeout",
         "a token actor unused this long is passivated (respawned on next use)")
    .add(usage_flush_interval, "usage-flush-interval",
         "how often live token usage is written to the metadata store");
}

net::server_options sluice_config::ingest_server() const {
  net::server_options o;
  o.name = "ingest";
  o.host = ingest_host;
  o.port = ingest_port;
  o.threads = ingest_threads;
  o.max_request_bytes = ingest_max_request_bytes;
  o.max_header_bytes = ingest_max_header_bytes;
  o.max_connections = ingest_max_connections;
  o.idle_timeout = to_ms(ingest_idle_timeout);
  o.request_timeout = to_ms(ingest_request_timeout);
  return o;
}

net::server_options sluice_config::admin_server() const {
  net::server_options o;
  o.name = "admin";
  o.host = admin_host;
  o.port = admin_port;
  o.threads = 1;
  o.max_request_bytes = admin_max_request_bytes;
  o.max_connections = admin_max_connections;
  o.idle_timeout = to_ms(admin_idle_timeout);
  o.request_timeout = to_ms(admin_request_timeout);
  return o;
}

std::string sluice_config::help() const {
  return custom_options_.help_text(false);
}

} // namespace sluice
