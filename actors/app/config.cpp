#include "actors/app/config.hpp"

#include <caf/config.hpp>
#include <caf/config_value.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string_view>
#include <vector>

#include "actors/turn_scheduler.hpp"
#include "store/wal.hpp"

namespace sluice {

namespace {

/// The line of config file `path` that CAF's parser stopped at (`err`
/// carries its number), with its section and text: "line 2 cannot be read:
/// [ingest] threads=abc (…)". CAF says only where; the person needs to see
/// which key. Empty when `err` holds no line or the file cannot be read.
std::string unreadable_line(const caf::error& err, const std::string& path) {
  const auto& ctx = err.context();
  if (!ctx.match_elements<caf::settings>())
    return {};
  auto wanted = caf::get_or(ctx.get_as<caf::settings>(0), "line", std::int64_t{0});
  std::ifstream in{path};
  std::string text;
  std::string section = "global";
  for (std::int64_t n = 1; wanted > 0 && std::getline(in, text); ++n) {
    auto start = text.find_first_not_of(" \t");
    if (n < wanted) {
      if (start != std::string::npos && text[start] == '[') {
        auto end = text.find(']', start);
        if (end != std::string::npos)
          section = text.substr(start + 1, end - start - 1);
      }
      continue;
    }
    if (start != std::string::npos)
      text.erase(0, start);
    return "line " + std::to_string(n) + " cannot be read: [" + section + "] " + text
           + " (a string value is written in double quotes, e.g. level=\"debug\"; numbers, "
             "durations with their unit and true or false without)";
  }
  return {};
}

std::chrono::milliseconds to_ms(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t);
}

/// The config sections that are Sluice's, in the order configs/sluice.conf
/// lists them. The actor library's own options live in other sections.
constexpr std::string_view sluice_sections[] = {
  "global", "ingest", "admin",     "tls",      "storage",
  "tokens", "log",    "tier-free", "tier-pro", "tier-enterprise",
};

/// The one option of the actor library that Sluice documents and sets.
constexpr std::string_view scheduler_threads_key = "max-threads";

/// A value as the config file writes it: durations with a unit, strings
/// double-quoted (CAF's own rendering).
std::string render_value(const caf::config_value& v) {
  if (auto t = caf::get_if<caf::timespan>(&v)) {
    // CAF renders durations in its largest unit that divides them ("0d");
    // the config file reads "60s" or "250ms" better.
    auto ns = t->count();
    constexpr std::int64_t s = 1'000'000'000;
    if (ns != 0 && ns % (3600 * s) == 0)
      return std::to_string(ns / (3600 * s)) + "h";
    if (ns != 0 && ns % (60 * s) == 0)
      return std::to_string(ns / (60 * s)) + "min";
    if (ns % s == 0)
      return std::to_string(ns / s) + "s";
    if (ns % 1'000'000 == 0)
      return std::to_string(ns / 1'000'000) + "ms";
    return std::to_string(ns / 1'000) + "us";
  }
  return caf::to_string(v);
}

std::string_view sv(caf::string_view s) { return {s.data(), s.size()}; }

/// Calls `f(section, option)` for each of Sluice's options, section by
/// section, writing a "[section]" heading to `out` before each section's first
/// option (what --help and --dump-config both print).
template <class F>
void write_sluice_options(const caf::config_option_set& opts, std::string& out, F&& f) {
  // CAF's own command-line switches share the global section; sluiced
  // handles those itself (and --config-file has no value to dump).
  auto cafs_own = [](const caf::config_option& opt) {
    auto name = sv(opt.long_name());
    return sv(opt.category()) == "global"
           && (name == "help" || name == "long-help" || name == "dump-config"
               || name == "config-file");
  };
  for (auto section : sluice_sections) {
    bool heading = false;
    for (auto& opt : opts)
      if (sv(opt.category()) == section && !cafs_own(opt)) {
        if (!heading) {
          heading = true;
          out += "\n[";
          out += section;
          out += "]\n";
        }
        f(section, opt);
      }
  }
}

} // namespace

sluice_config::sluice_config() {
  // Read a config file only when --config-file names one: CAF would read
  // ./caf-application.ini silently otherwise.
  config_file_path.clear();
  // The CAF scheduler runs the token, system and admin actors; the storage
  // and admin actors have threads of their own. On two cores one scheduler
  // thread beside the I/O thread measured best (see README, Benchmarks).
  set("scheduler.max-threads", defaults::scheduler_threads);
  // Work sharing: an idle scheduler thread sleeps on a condition variable
  // until a message comes. Work stealing (CAF's default) polls instead,
  // sleeping 50 us, then 10 ms, between polls: with one thread there is
  // nothing to steal, and the polling cost more CPU per request than the
  // token and system actors' own work, and added its sleeps to latency.
  set("scheduler.policy", caf::atom("sharing"));
  // That scheduler, or CAF's work stealing when scheduler.policy says so;
  // unless ingest.actors-on-scheduler, the ingest I/O threads run the actors
  // they wake at the end of a turn themselves (actors/turn_scheduler.hpp).
  // Read when the actor system is made, after the options were parsed (this
  // object is never moved: the options hold its members' addresses too).
  module_factories.push_back([this](caf::actor_system& sys) {
    return turn_scheduler::make(sys, !ingest_actors_on_scheduler);
  });

  opt_group{custom_options_, "global"}
    .add(ingest_host, "ingest-host", "address the ingest port binds to")
    .add(ingest_port, "ingest-port", "ingest port (0 picks a free one)")
    .add(admin_host, "admin-host", "address the admin port binds to (keep it private)")
    .add(admin_port, "admin-port", "admin port (0 picks a free one)")
    .add(data_dir, "data-dir", "directory holding the LMDB environments and the pepper")
    .add(bootstrap_token_file, "bootstrap-token-file",
         "file (mode 0600) receiving the first superuser token at first start")
    .add(trusted_proxies_text, "trusted-proxies",
         "proxies (IP addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names "
         "the client; empty: none, the socket's peer is the client");
  opt_group{custom_options_, "ingest"}
    .add(ingest_threads, "threads", "I/O threads of the ingest port")
    .add(ingest_actors_on_scheduler, "actors-on-scheduler",
         "the scheduler threads run the token and system actors of ingest requests (off: the I/O "
         "thread that read the requests runs them at the end of each turn of its loop)")
    .add(ingest_max_request_bytes, "max-request-bytes",
         "largest request body in bytes (413 beyond)")
    .add(ingest_max_header_bytes, "max-header-bytes", "largest request header block in bytes")
    .add(ingest_max_connections, "max-connections", "open connections at most")
    .add(ingest_idle_timeout, "idle-timeout", "close a keep-alive connection idle this long")
    .add(ingest_request_timeout, "request-timeout",
         "longest time to receive one request (from its first byte) or send one response")
    .add(ingest_tls, "tls", "HTTPS on the ingest port (tls.cert-file, tls.key-file)")
    .add(max_batch_messages, "max-batch-messages", "messages in one POST /messages at most")
    .add(max_otlp_records, "max-records",
         "records (OTLP log records or spans, Langfuse events, webhook events) in one request "
         "at most");
  opt_group{custom_options_, "admin"}
    .add(admin_max_request_bytes, "max-request-bytes", "largest admin request body in bytes")
    .add(admin_max_connections, "max-connections", "open admin connections at most")
    .add(admin_idle_timeout, "idle-timeout", "close an idle admin connection after this")
    .add(admin_request_timeout, "request-timeout", "longest time for one admin request")
    .add(admin_tls, "tls", "HTTPS on the admin port (tls.cert-file, tls.key-file)")
    .add(admin_max_streams, "max-streams",
         "live tails (GET /systems/{id}/messages/stream) open at once at most; more get 503")
    .add(admin_stream_poll_interval, "stream-poll-interval",
         "how often a live tail looks for newly committed messages")
    .add(admin_stream_keepalive, "stream-keepalive",
         "a live tail with nothing to send writes a keep-alive comment after this")
    .add(admin_stream_max_backlog, "stream-max-backlog",
         "bytes of a live tail not yet taken by its client beyond which it is disconnected");
  opt_group{custom_options_, "tls"}
    .add(tls_cert_file, "cert-file",
         "PEM file: the certificate (then any intermediates) of the ports with TLS on; "
         "read again on SIGHUP")
    .add(tls_key_file, "key-file", "PEM file: the certificate's private key, unencrypted");
  opt_group{custom_options_, "storage"}
    .add(batch_latency, "batch-latency",
         "longest a group commit waits for more writes (0: commit once the queue is drained)")
    .add(batch_max_messages, "batch-max-messages", "messages that close a group commit at once")
    .add(max_pending_bytes, "max-pending-bytes",
         "bytes of ingest requests waiting to be committed beyond which new ones get 503 "
         "storage_busy with Retry-After")
    .add(map_size, "map-size", "initial LMDB map size of each message environment, bytes")
    .add(meta_map_size, "meta-map-size", "initial LMDB map size of the metadata environment")
    .add(max_map_size, "max-map-size", "maps grow (doubling) up to this many bytes, then 507")
    .add(expiry_interval, "expiry-interval", "how often expired day buckets are dropped")
    .add(dedup_window, "dedup-window", "a message id seen within this window is a duplicate")
    .add(wal_size, "write-ahead-log-size",
         "bytes of the write-ahead log that makes each group commit durable with one write "
         "(0: no log; every group commit flushes the message environments)")
    .add(checkpoint_interval, "checkpoint-interval",
         "with the write-ahead log: longest time between two checkpoints while writes come in")
    .add(deferred_apply_bytes, "deferred-apply-bytes",
         "with the write-ahead log: acknowledged groups wait in one open transaction per "
         "environment up to this many bytes, committed together (0: each group commits)")
    .add(log_writes_in_flight, "log-writes-in-flight",
         "with the write-ahead log: groups whose log writes may be under way at once, 1 to 16 "
         "(1: each group's write ends before the next group's starts)")
    .add(log_write_overlap_bytes, "log-write-overlap-bytes",
         "with log writes in flight: a group starts its write while another is under way only "
         "when its messages hold at most this many bytes; a larger one waits for that write")
    .add(ready_min_free_disk_bytes, "ready-min-free-disk-bytes",
         "GET /readyz answers 503 when the data directory's file system has fewer free bytes")
    .add(ready_max_map_percent, "ready-max-map-percent",
         "GET /readyz answers 503 when an environment uses more than this percentage of "
         "max-map-size")
    .add(ready_check_interval, "ready-check-interval",
         "how often readiness looks at disk and maps again, and a failed storage probes "
         "whether it takes writes again");
  // The tier table (docs/data-model.md): one section per tier, one option
  // per cap of policy/tiers.hpp's cap_fields ("steady_rate" -> steady-rate).
  for (auto t : {tier::free, tier::pro, tier::enterprise}) {
    auto& row = tier_rows[t];
    // The adder keeps a view of its category: the string must outlive it.
    std::string section = "tier-" + std::string{to_string(t)};
    opt_group group{custom_options_, section};
    for_each_cap([&](const auto& c) {
      std::string name{c.key};
      std::replace(name.begin(), name.end(), '_', '-');
      group.add(row.*c.cap, name, c.help); // copied into the option
    });
  }
  opt_group{custom_options_, "tokens"}
    .add(token_idle_timeout, "idle-timeout",
         "a token actor unused this long is passivated (respawned on next use)")
    .add(usage_flush_interval, "usage-flush-interval",
         "how often live token usage is written to the metadata store");
  opt_group{custom_options_, "log"}
    .add(log_level, "level", "lines written at least this severe: error, warn, info or debug")
    .add(log_format, "format", "text (key=value lines) or json (one object per line)")
    .add(log_access, "access",
         "one line per answered request (method, path, status, bytes, "
         "duration, token id, client)");
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
  o.tls = {ingest_tls, tls_cert_file, tls_key_file};
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
  o.tls = {admin_tls, tls_cert_file, tls_key_file};
  return o;
}

net::stream_settings sluice_config::admin_streams() const {
  net::stream_settings s;
  s.poll_interval = to_ms(admin_stream_poll_interval);
  s.keepalive = to_ms(admin_stream_keepalive);
  s.max_backlog_bytes = admin_stream_max_backlog;
  return s;
}

std::string sluice_config::help(bool long_help) const {
  std::string out =
    "Options. Each is also a key of the config file (--config-file=FILE, see\n"
    "configs/sluice.conf): a key of [global] is --<key>=VALUE on the command line,\n"
    "any other --<section>.<key>=VALUE. Durations take a unit (ms, s, min, h);\n"
    "sizes are bytes. Defaults in brackets.\n\n"
    "  --config-file=FILE                        read options from FILE first (the command\n"
    "                                            line wins); configs/sluice.conf documents each\n";
  write_sluice_options(custom_options_, out,
                       [&](std::string_view section, const caf::config_option& opt) {
                         std::string flag = "  --";
                         if (section != "global") {
                           flag += section;
                           flag += '.';
                         }
                         flag += sv(opt.long_name());
                         flag += '=';
                         flag += sv(opt.type_name());
                         if (flag.size() < 44)
                           flag.resize(44, ' ');
                         else
                           flag += "\n" + std::string(44, ' ');
                         out += flag;
                         out += sv(opt.description());
                         if (auto v = opt.get())
                           out += " [" + render_value(*v) + "]";
                         out += '\n';
                       });
  out += "\n[scheduler]\n";
  std::string flag = "  --scheduler.max-threads=uint";
  flag.resize(44, ' ');
  out +=
    flag + "threads running the token and system actors ["
    + std::to_string(caf::get_or(content, "scheduler.max-threads", defaults::scheduler_threads))
    + "]\n";
  flag = "  --scheduler.policy=atom";
  flag.resize(44, ' ');
  out += flag + "how idle threads wait: 'sharing' (sleep until work comes) or 'stealing' (poll) ["
         + to_string(caf::get_or(content, "scheduler.policy", caf::atom("sharing"))) + "]\n";
  out +=
    "\nOther commands:\n"
    "  --help, -h                                this list\n"
    "  --long-help                               this list and the actor library's own options\n"
    "  --version                                 the version of sluiced\n"
    "  --dump-config                             the effective configuration in the config-file\n"
    "                                            format, then exit (touches nothing)\n";
  if (long_help)
    out += "\nThe actor library's own options (CAF " + std::to_string(CAF_VERSION / 10000) + "."
           + std::to_string(CAF_VERSION / 100 % 100) + "." + std::to_string(CAF_VERSION % 100)
           + "); Sluice sets only scheduler.max-threads:\n\n" + custom_options_.help_text(false);
  return out;
}

std::vector<const caf::config_option*>
sluice_config::take_bool_values(std::vector<std::string>& options) const {
  std::vector<const caf::config_option*> to_false;
  std::vector<std::string> kept;
  kept.reserve(options.size());
  for (auto& o : options) {
    const auto eq = o.find('=');
    if (o.starts_with("--") && eq != std::string::npos) {
      const std::string_view name = std::string_view{o}.substr(2, eq - 2);
      const std::string_view value = std::string_view{o}.substr(eq + 1);
      if (auto opt = custom_options_.cli_long_name_lookup(name); opt && opt->is_flag()) {
        if (value == "true") {
          kept.push_back(o.substr(0, eq));
          continue;
        }
        if (value == "false") {
          to_false.push_back(opt);
          continue;
        }
      }
    }
    kept.push_back(std::move(o));
  }
  options = std::move(kept);
  return to_false;
}

void sluice_config::set_false(const std::vector<const caf::config_option*>& flags) {
  for (auto* opt : flags) {
    opt->store(caf::config_value{false}); // an option of Sluice's: its member
    // The actor library reads its own options from `content`, where an option
    // of [global] is a top-level key.
    if (opt->category() == "global")
      caf::put(content, opt->long_name(), false);
    else
      caf::put(content, opt->full_name(), false);
  }
}

std::string sluice_config::check_file(const std::string& path) const {
  auto parsed = parse_config_file(path.c_str());
  if (!parsed) {
    if (auto place = unreadable_line(parsed.error(), path); !place.empty())
      return "config file " + path + ": " + place;
    return "config file " + path + ": " + render(parsed.error());
  }
  // Sluice's sections and the actor library's own ([scheduler], [logger],
  // …): every option either knows is in custom_options_, by its section.
  auto is_section = [&](std::string_view name) {
    return std::any_of(custom_options_.begin(), custom_options_.end(),
                       [&](const caf::config_option& opt) { return sv(opt.category()) == name; });
  };
  auto check_one = [&](std::string_view section, const std::string& key,
                       const caf::config_value& value) -> std::string {
    auto where = "config file " + path + ": [" + std::string{section} + "] " + key;
    auto opt = custom_options_.qualified_name_lookup(
      caf::string_view{section.data(), section.size()}, caf::string_view{key.data(), key.size()});
    if (!opt)
      return where + " is not an option of this section";
    if (opt->check(value))
      return where + " = " + caf::to_string(value) + " is not a valid "
             + std::string{sv(opt->type_name())};
    return {};
  };
  for (auto& [name, value] : *parsed) {
    std::string problem;
    // CAF reads the keys of [global] (and any before the first header) as
    // top-level keys; every other section is a dictionary.
    if (auto section = caf::get_if<caf::settings>(&value)) {
      if (!is_section(name))
        return "config file " + path + ": [" + name + "] is not a section of the configuration";
      for (auto& [key, v] : *section)
        if (problem = check_one(name, key, v); !problem.empty())
          break;
    } else {
      problem = check_one("global", name, value);
    }
    if (!problem.empty())
      return problem;
  }
  return {};
}

std::string sluice_config::validate(std::string& option) {
  auto fail = [&](std::string o, std::string what) {
    option = "--" + std::move(o) + "=…";
    return what;
  };
  {
    std::vector<std::string> entries;
    std::string_view rest = trusted_proxies_text;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
        item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
        item.remove_suffix(1);
      if (!item.empty())
        entries.emplace_back(item);
    }
    std::string bad;
    constexpr std::size_t max_proxies = 1000;
    auto parsed = ip_allowlist::parse(entries, bad, max_proxies);
    if (!parsed)
      return fail("trusted-proxies",
                  "trusted-proxies " + ip_allowlist::problem(entries, bad, max_proxies));
    trusted_proxies = std::move(*parsed);
  }
  if (auto policy = caf::get_or(content, "scheduler.policy", caf::atom("sharing"));
      policy != caf::atom("sharing") && policy != caf::atom("stealing"))
    return fail("scheduler.policy",
                "scheduler.policy is 'sharing' or 'stealing', not '" + to_string(policy) + "'");
  if (caf::get_or(content, "scheduler.max-threads", defaults::scheduler_threads) < 1)
    return fail("scheduler.max-threads", "scheduler.max-threads must be at least 1, not 0");
  if (ingest_threads < 1 || ingest_threads > 64)
    return fail("ingest.threads",
                "ingest.threads must be 1 to 64, not " + std::to_string(ingest_threads));
  for (auto [name, value] :
       {std::pair{"ingest.max-request-bytes", ingest_max_request_bytes},
        std::pair{"ingest.max-header-bytes", ingest_max_header_bytes},
        std::pair{"ingest.max-connections", ingest_max_connections},
        std::pair{"ingest.max-batch-messages", max_batch_messages},
        std::pair{"ingest.max-records", max_otlp_records},
        std::pair{"admin.max-request-bytes", admin_max_request_bytes},
        std::pair{"admin.max-connections", admin_max_connections},
        std::pair{"admin.max-streams", admin_max_streams},
        std::pair{"admin.stream-max-backlog", admin_stream_max_backlog},
        std::pair{"storage.batch-max-messages", batch_max_messages},
        std::pair{"storage.max-pending-bytes", max_pending_bytes},
        std::pair{"storage.map-size", map_size}, std::pair{"storage.meta-map-size", meta_map_size},
        std::pair{"storage.max-map-size", max_map_size}})
    if (value == 0)
      return fail(name, std::string{name} + " must be at least 1, not 0");
  for (auto [name, value] : {std::pair{"ingest.idle-timeout", ingest_idle_timeout},
                             std::pair{"ingest.request-timeout", ingest_request_timeout},
                             std::pair{"admin.idle-timeout", admin_idle_timeout},
                             std::pair{"admin.request-timeout", admin_request_timeout},
                             std::pair{"admin.stream-poll-interval", admin_stream_poll_interval},
                             std::pair{"admin.stream-keepalive", admin_stream_keepalive},
                             std::pair{"storage.expiry-interval", expiry_interval},
                             std::pair{"storage.dedup-window", dedup_window},
                             std::pair{"storage.checkpoint-interval", checkpoint_interval},
                             std::pair{"storage.ready-check-interval", ready_check_interval},
                             std::pair{"tokens.idle-timeout", token_idle_timeout},
                             std::pair{"tokens.usage-flush-interval", usage_flush_interval}})
    if (value.count() <= 0)
      return fail(name, std::string{name} + " must be longer than 0");
  if (auto l = log::parse_level(log_level))
    log_options.threshold = *l;
  else
    return fail("log.level",
                "log.level must be error, warn, info or debug, not \"" + log_level + "\"");
  if (auto f = log::parse_format(log_format))
    log_options.format = *f;
  else
    return fail("log.format", "log.format must be text or json, not \"" + log_format + "\"");
  log_options.access = log_access;
  if ((ingest_tls || admin_tls) && (tls_cert_file.empty() || tls_key_file.empty()))
    return fail(tls_cert_file.empty() ? "tls.cert-file" : "tls.key-file",
                std::string{ingest_tls ? "ingest.tls" : "admin.tls"}
                  + " needs tls.cert-file and tls.key-file");
  if (log_writes_in_flight < 1 || log_writes_in_flight > store::write_ahead_log::max_in_flight)
    return fail("storage.log-writes-in-flight",
                "storage.log-writes-in-flight must be 1 to "
                  + std::to_string(store::write_ahead_log::max_in_flight) + ", not "
                  + std::to_string(log_writes_in_flight));
  if (wal_size != 0 && wal_size < (1u << 20))
    return fail("storage.write-ahead-log-size",
                "storage.write-ahead-log-size must be 0 (no log) or at least 1048576 (1 MiB), not "
                  + std::to_string(wal_size));
  if (batch_latency.count() < 0)
    return fail("storage.batch-latency", "storage.batch-latency must not be negative");
  if (ready_max_map_percent < 1 || ready_max_map_percent > 100)
    return fail("storage.ready-max-map-percent",
                "storage.ready-max-map-percent must be 1 to 100, not "
                  + std::to_string(ready_max_map_percent));
  if (map_size > max_map_size)
    return fail("storage.map-size", "storage.map-size is larger than storage.max-map-size");
  if (meta_map_size > max_map_size)
    return fail("storage.meta-map-size",
                "storage.meta-map-size is larger than storage.max-map-size");
  return {};
}

std::string sluice_config::dump() const {
  std::string out = "; sluiced " + std::string{version} + ": the effective configuration\n";
  write_sluice_options(custom_options_, out,
                       [&](std::string_view section, const caf::config_option& opt) {
                         out += sv(opt.long_name());
                         out += '=';
                         if (auto v = opt.get())
                           out += render_value(*v);
                         out += '\n';
                       });
  out +=
    "\n[scheduler]\n" + std::string{scheduler_threads_key} + "="
    + std::to_string(caf::get_or(content, "scheduler.max-threads", defaults::scheduler_threads))
    + "\npolicy='" + to_string(caf::get_or(content, "scheduler.policy", caf::atom("sharing")))
    + "'\n";
  return out;
}

} // namespace sluice
