#include "bench/sluice_bench/options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>

namespace sluice::bench {

namespace {

constexpr const char* usage_text = R"(usage: sluice-bench [flags]

Load generator and correctness checker for a running sluiced.

Endpoints and authentication
  --ingest=HOST:PORT            ingest port (127.0.0.1:8080)
  --admin=HOST:PORT             admin port (127.0.0.1:8081)
  --superuser-token=TOKEN       alu_... token for the admin API (not needed with
                                --token-file and --no-check, outside revoke)
  --superuser-token-file=FILE   read it from FILE (first line)

Setup (through the admin API; skipped with --token-file)
  --tenants=T --systems=S --tokens=K   T tenants x S systems each x K tokens each (1 1 1)
  --tier=free|pro|enterprise    tier of the tenants (enterprise)
  --unlimited                   tenant overrides lift the tier's rate limits
  --retention-days=D            retention of the minted tokens (tier default)
  --setup-connections=N         parallel admin connections for setup (4)
  --token-file=F                load tokens instead: "tok_id secret system_id [class]" per line
  --save-tokens=F               write the tokens of this setup to F
  --setup-only                  stop after the setup

Load
  --scenario=single|batch|mixed|revoke|otlp-json|otlp-proto   (single)
                                otlp-json, otlp-proto: POST /otlp/v1/logs, one
                                ExportLogsServiceRequest of --batch log records, each
                                with its bseq in the string attribute "bseq"
  --connections=C               keep-alive connections, one request in flight each (64)
  --threads=N                   client I/O threads (1)
  --duration=SECONDS            how long to send (10)
  --requests=N                  stop after N requests instead
  --rate=R                      open loop: R requests/s in total (latency from the
                                intended send time, and the client's own send lag
                                beside it); 0 = closed loop (0)
  --batch=B                     messages per request in the batch scenario (1000);
                                log records per request in otlp-* (100)
  --message-bytes=M             size of each message object (200); in otlp-*, the
                                length of each record's body text (150)
  --invalid-share=X             mixed: share of requests with unknown tokens (0.05)
  --revoked-share=X             mixed: share of tokens revoked at setup (0.05)
  --limited-share=X             mixed: share of tokens minted with --limited-rate (0.05)
  --limited-rate=N/unit         (5/second)
  --drain-timeout=SECONDS       wait this long for answers in flight at the end (30)

Report
  --no-check                    skip reading the messages back
  --json                        one JSON object on stdout instead of tables
  --quiet                       no progress bars on stderr
  --timeline=FILE               write a CSV line per 10 ms of the load: its start (ms
                                after the first send), the answers that came in it and
                                the longest latency among them (ms); shows when a tail
                                happened, to line it up with the server's and the
                                disk's own records
  --arrival-times               also time each answer's arrival at the client's
                                socket (the kernel's receive timestamp,
                                SO_TIMESTAMPNS): from the intended send time to
                                there is the latency without the client's own
                                delay in reading the answer

Exit status: 0 when the check and the revoke invariant hold, 1 when either
fails, 2 on a usage or setup error.
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "sluice-bench: %s (see --help)\n", what.c_str());
  std::exit(2);
}

template <class T>
T number(std::string_view flag, std::string_view v) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size())
    usage_error("bad value for --" + std::string{flag} + ": \"" + std::string{v} + "\"");
  return out;
}

double real(std::string_view flag, std::string_view v) {
  // std::from_chars for double is in libstdc++ 11+, but strtod reads "1e5" as well.
  std::string s{v};
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || d < 0)
    usage_error("bad value for --" + std::string{flag} + ": \"" + s + "\"");
  return d;
}

double share(std::string_view flag, std::string_view v) {
  double d = real(flag, v);
  if (d > 1)
    usage_error("--" + std::string{flag} + " is a share between 0 and 1");
  return d;
}

endpoint_spec parse_endpoint(std::string_view flag, std::string_view v) {
  auto colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    usage_error("--" + std::string{flag} + " wants HOST:PORT");
  return {std::string{v.substr(0, colon)}, number<std::uint16_t>(flag, v.substr(colon + 1))};
}

std::string first_line(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  if (!in || !std::getline(in, line))
    usage_error("cannot read " + path);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  return line;
}

} // namespace

std::string_view to_string(scenario s) noexcept {
  switch (s) {
    case scenario::single: return "single";
    case scenario::batch: return "batch";
    case scenario::mixed: return "mixed";
    case scenario::revoke: return "revoke";
    case scenario::otlp_json: return "otlp-json";
    case scenario::otlp_proto: return "otlp-proto";
  }
  return "?";
}

bench_options parse_options(int argc, char** argv) {
  bench_options o;
  bool have_duration = false;
  bool have_batch = false, have_message_bytes = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
    if (arg.substr(0, 2) != "--")
      usage_error("unexpected argument \"" + std::string{arg} + "\"");
    arg.remove_prefix(2);
    std::string_view name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    // Flags without a value.
    auto flag = [&](std::string_view n, bool& field) {
      if (name != n)
        return false;
      if (has_value)
        usage_error("--" + std::string{n} + " takes no value");
      field = true;
      return true;
    };
    bool no_check = false;
    if (flag("json", o.json) || flag("unlimited", o.unlimited) || flag("setup-only", o.setup_only)
        || flag("quiet", o.quiet) || flag("arrival-times", o.arrival_times))
      continue;
    if (flag("no-check", no_check)) {
      o.check = false;
      continue;
    }
    // Flags with a value: "--name=value" or "--name value".
    if (!has_value) {
      if (i + 1 >= argc)
        usage_error("--" + std::string{name} + " needs a value");
      value = argv[++i];
    }
    if (name == "ingest")
      o.ingest = parse_endpoint(name, value);
    else if (name == "admin")
      o.admin = parse_endpoint(name, value);
    else if (name == "superuser-token")
      o.superuser_token = value;
    else if (name == "superuser-token-file")
      o.superuser_token = first_line(std::string{value});
    else if (name == "tenants")
      o.tenants = number<unsigned>(name, value);
    else if (name == "systems")
      o.systems = number<unsigned>(name, value);
    else if (name == "tokens")
      o.tokens = number<unsigned>(name, value);
    else if (name == "tier")
      o.tier = value;
    else if (name == "retention-days")
      o.retention_days = number<int>(name, value);
    else if (name == "setup-connections")
      o.setup_connections = number<unsigned>(name, value);
    else if (name == "token-file")
      o.token_file = value;
    else if (name == "save-tokens")
      o.save_tokens = value;
    else if (name == "scenario") {
      if (value == "single")
        o.scen = scenario::single;
      else if (value == "batch")
        o.scen = scenario::batch;
      else if (value == "mixed")
        o.scen = scenario::mixed;
      else if (value == "revoke")
        o.scen = scenario::revoke;
      else if (value == "otlp-json")
        o.scen = scenario::otlp_json;
      else if (value == "otlp-proto")
        o.scen = scenario::otlp_proto;
      else
        usage_error("--scenario is one of single, batch, mixed, revoke, otlp-json, otlp-proto");
    } else if (name == "connections")
      o.connections = number<unsigned>(name, value);
    else if (name == "threads")
      o.threads = number<unsigned>(name, value);
    else if (name == "duration") {
      o.duration_s = real(name, value);
      have_duration = true;
    } else if (name == "requests")
      o.requests = number<std::uint64_t>(name, value);
    else if (name == "rate")
      o.rate = real(name, value);
    else if (name == "batch") {
      o.batch = number<unsigned>(name, value);
      have_batch = true;
    } else if (name == "message-bytes") {
      o.message_bytes = number<unsigned>(name, value);
      have_message_bytes = true;
    } else if (name == "invalid-share")
      o.invalid_share = share(name, value);
    else if (name == "revoked-share")
      o.revoked_share = share(name, value);
    else if (name == "limited-share")
      o.limited_share = share(name, value);
    else if (name == "limited-rate")
      o.limited_rate = value;
    else if (name == "drain-timeout")
      o.drain_timeout_s = real(name, value);
    else if (name == "timeline")
      o.timeline = value;
    else
      usage_error("unknown flag --" + std::string{name});
  }

  // The admin API serves the setup, the read-back check and the revoke
  // scenario's revocations; a run with none of them (--token-file --no-check,
  // as bench/compare drives nginx at Sluice's half-peak rate) needs no token.
  if (o.superuser_token.empty() && (o.token_file.empty() || o.check || o.scen == scenario::revoke))
    usage_error("the admin API (the setup, the read-back check, the revoke scenario) needs "
                "--superuser-token or --superuser-token-file");
  if (o.tenants == 0 || o.systems == 0 || o.tokens == 0)
    usage_error("--tenants, --systems and --tokens must be at least 1");
  if (o.connections == 0 || o.connections >= (1u << 18))
    usage_error("--connections must be between 1 and 262143");
  if (o.threads == 0 || o.threads > o.connections)
    usage_error("--threads must be between 1 and --connections");
  if (o.setup_connections == 0)
    usage_error("--setup-connections must be at least 1");
  if (o.batch == 0 || o.batch >= (1u << 14))
    usage_error("--batch must be between 1 and 16383");
  // An SDK's batch processor exports at most 512 records at a time by
  // default, and a log line is short: the OTLP scenarios default to 100
  // records with a 150-byte text each, the size of the native single message.
  if (is_otlp(o.scen) && !have_batch)
    o.batch = 100;
  if (is_otlp(o.scen) && !have_message_bytes)
    o.message_bytes = 150;
  if (o.scen != scenario::batch && !is_otlp(o.scen))
    o.batch = 1; // single, mixed and revoke send one message per POST
  if (o.requests > 0 && have_duration)
    usage_error("--duration and --requests exclude each other");
  if (o.requests == 0 && o.duration_s <= 0)
    usage_error("--duration must be positive");
  if (o.scen == scenario::revoke && !o.token_file.empty())
    usage_error("the revoke scenario revokes its tokens: it mints its own, not --token-file");
  if (o.scen == scenario::revoke && o.requests > 0)
    usage_error("the revoke scenario paces its revocations over --duration");
  return o;
}

} // namespace sluice::bench
