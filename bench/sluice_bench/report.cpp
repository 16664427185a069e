#include "bench/sluice_bench/report.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace sluice::bench {

namespace {

double ms(std::uint64_t ns) { return static_cast<double>(ns) / 1e6; }

/// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t v) {
  auto digits = std::to_string(v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0)
      out += ',';
    out += digits[i];
  }
  return out;
}

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string fixed(double v, int digits = 3) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// Appends `item` to a JSON list or object opened with "[" or "{".
void list_item(std::string& list, const std::string& item) {
  if (list.size() > 1)
    list += ',';
  list += item;
}

double per_second(std::uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

/// `"p50":…[,"p90":…],"p99":…,"p99_9":…,"max":…` of `h`, in milliseconds:
/// the percentile fields of the JSON report's latency objects.
std::string percentile_fields(const latency_histogram& h, bool with_p90) {
  std::string out = "\"p50\":" + fixed(ms(h.percentile(50)));
  if (with_p90)
    out += ",\"p90\":" + fixed(ms(h.percentile(90)));
  return out + ",\"p99\":" + fixed(ms(h.percentile(99)))
         + ",\"p99_9\":" + fixed(ms(h.percentile(99.9))) + ",\"max\":" + fixed(ms(h.max()));
}

/// `p50 …  [p90 …  ]p99 …  p99.9 …  max …` of `h`, in milliseconds: the
/// percentiles of the table's latency lines.
std::string percentile_text(const latency_histogram& h, bool with_p90) {
  std::string out = "p50 " + fixed(ms(h.percentile(50)));
  if (with_p90)
    out += "  p90 " + fixed(ms(h.percentile(90)));
  return out + "  p99 " + fixed(ms(h.percentile(99))) + "  p99.9 " + fixed(ms(h.percentile(99.9)))
         + "  max " + fixed(ms(h.max()));
}

} // namespace

void print_table(const run_report& r) {
  const auto& o = *r.opt;
  const auto& l = *r.load;
  std::printf("sluice-bench  scenario=%s  connections=%u  threads=%u  run=%s\n",
              std::string{to_string(o.scen)}.c_str(), o.connections, o.threads, r.run_id.c_str());
  std::printf("%-12s %zu system(s), %zu token(s)%s, %.2f s\n", "setup", r.systems, r.tokens,
              o.token_file.empty()
                ? (" (" + o.tier + (o.unlimited ? ", unlimited" : "") + ")").c_str()
                : (" from " + o.token_file).c_str(),
              r.setup_s);
  const bool otlp = is_otlp(o.scen);
  // An OTLP log record is stored as one message: records/s is messages/s.
  const char* unit = otlp ? "record" : "message";
  std::string what =
    otlp
      ? std::string{"OTLP/HTTP "} + (o.scen == scenario::otlp_proto ? "protobuf" : "JSON")
          + " export, " + std::to_string(o.batch) + " log record(s) of "
          + std::to_string(l.message_bytes) + " B (text " + std::to_string(o.message_bytes) + " B)"
      : std::to_string(o.batch) + " message(s) of " + std::to_string(l.message_bytes) + " B";
  std::printf(
    "%-12s %s, body %zu B, %zu B per request%s\n", "request", what.c_str(), l.body_bytes,
    l.request_bytes,
    o.rate > 0
      ? (", open loop at " + grouped(static_cast<std::uint64_t>(o.rate)) + " req/s target").c_str()
      : ", closed loop");
  std::printf(
    "%-12s %s requests/s  %s %ss/s  (%s answers in %.2f s)\n", "throughput",
    grouped(static_cast<std::uint64_t>(per_second(l.responses, l.elapsed_s))).c_str(),
    grouped(static_cast<std::uint64_t>(per_second(l.messages_acked, l.elapsed_s))).c_str(), unit,
    grouped(l.responses).c_str(), l.elapsed_s);
  const auto& h = l.latency;
  std::printf("%-12s %s  mean %.3f ms%s\n", "latency", percentile_text(h, true).c_str(),
              h.mean() / 1e6, o.rate > 0 ? " (from the intended send time)" : "");
  if (o.rate > 0 && l.send_lag.count() > 0)
    std::printf("%-12s %s ms (the client's own delay in sending requests due while their "
                "connection was free)\n",
                "send lag", percentile_text(l.send_lag, false).c_str());
  if (o.arrival_times)
    std::printf("%-12s %s ms (the answers' arrival at the client's socket, kernel receive time; "
                "%s without a timestamp, %s misstamped)\n",
                "arrival", percentile_text(l.arrival, true).c_str(), grouped(l.unstamped).c_str(),
                grouped(l.misstamped).c_str());
  std::string statuses;
  for (std::size_t s = 1; s < l.statuses.size(); ++s)
    if (l.statuses[s])
      statuses += std::to_string(s) + ": " + grouped(l.statuses[s]) + "  ";
  if (l.statuses[0])
    statuses += "no answer: " + grouped(l.statuses[0]);
  std::printf("%-12s %s\n", "statuses", statuses.empty() ? "none" : statuses.c_str());
  if (l.reconnects || l.sampled || l.partial_acks)
    std::printf("%-12s reconnects %s, sampled %ss %s, partial %ss %s\n", "notes",
                grouped(l.reconnects).c_str(), otlp ? "200" : "202", grouped(l.sampled).c_str(),
                otlp ? "200" : "202", grouped(l.partial_acks).c_str());
  if (l.otlp_partial)
    std::printf(
      "%-12s %s export(s) answered with a partialSuccess, %s record(s) rejected; first: %s\n",
      "partial", grouped(l.otlp_partial).c_str(), grouped(l.otlp_rejected).c_str(),
      l.otlp_first_error.c_str());
  for (const auto& [name, n] : l.errors)
    std::printf("%-12s %s x %s\n", "error", name.c_str(), grouped(n).c_str());

  if (o.scen == scenario::mixed) {
    std::printf("%-12s %10s %10s %10s %10s %10s   expected\n", "token class", "requests", "202",
                "401", "429", "other");
    static constexpr const char* expect[] = {"202", "202 or 429", "401", "401"};
    for (std::size_t c = 0; c < token_class_count; ++c) {
      const auto& cc = l.by_class[c];
      std::printf("  %-10s %10s %10s %10s %10s %10s   %s\n",
                  std::string{to_string(static_cast<token_class>(c))}.c_str(),
                  grouped(cc.requests).c_str(), grouped(cc.accepted).c_str(),
                  grouped(cc.unauthorized).c_str(), grouped(cc.rate_limited).c_str(),
                  grouped(cc.other).c_str(), expect[c]);
    }
  }
  if (r.revoke) {
    const auto& rv = *r.revoke;
    std::printf(
      "%-12s %s token(s) revoked during the run; revoke call p50 %.3f  p99 %.3f  max %.3f ms\n",
      "revoke", grouped(rv.revoked).c_str(), ms(rv.latency.percentile(50)),
      ms(rv.latency.percentile(99)), ms(rv.latency.max()));
    std::printf("%-12s sent after revoke %s, accepted after revoke %s  %s\n", "",
                grouped(l.sent_after_revoke).c_str(), grouped(l.accepted_after_revoke).c_str(),
                l.accepted_after_revoke == 0 ? "OK" : "FAILED");
    for (const auto& e : rv.errors)
      std::printf("%-12s %s\n", "revoke error", e.c_str());
  }
  if (r.check && !r.check->error.empty()) {
    std::printf("%-12s FAILED: %s\n", "check", r.check->error.c_str());
  } else if (r.check) {
    const auto& c = *r.check;
    std::printf("%-12s %s: %s of %s acknowledged messages read back, %s missing, %s extra, %s "
                "twice (%zu system(s), %s pages, %.2f s)\n",
                "check", c.ok ? "OK" : "FAILED", grouped(c.found).c_str(),
                grouped(c.expected).c_str(), grouped(c.missing).c_str(), grouped(c.extra).c_str(),
                grouped(c.duplicated).c_str(), static_cast<std::size_t>(c.systems),
                grouped(c.pages).c_str(), c.seconds);
    if (c.ambiguous || c.other)
      std::printf("%-12s %s unanswered/sampled/partly accepted message(s), %s of them stored; %s "
                  "message(s) of "
                  "other runs ignored\n",
                  "", grouped(c.ambiguous).c_str(), grouped(c.ambiguous_stored).c_str(),
                  grouped(c.other).c_str());
    for (const auto& e : c.examples)
      std::printf("%-12s %s\n", "", e.c_str());
  } else {
    std::printf("%-12s skipped (--no-check)\n", "check");
  }
  if (r.failures.empty())
    std::printf("%-12s PASS\n", "result");
  for (const auto& f : r.failures)
    std::printf("%-12s FAIL: %s\n", "result", f.c_str());
  std::fflush(stdout);
}

void print_json(const run_report& r) {
  const auto& o = *r.opt;
  const auto& l = *r.load;
  const auto& h = l.latency;
  std::string j = "{";
  auto field = [&](std::string_view k, const std::string& v) {
    if (j.size() > 1)
      j += ',';
    j += json_string(k) + ":" + v;
  };
  field("scenario", json_string(to_string(o.scen)));
  field("run_id", json_string(r.run_id));
  field("connections", std::to_string(o.connections));
  field("threads", std::to_string(o.threads));
  field("rate_target", fixed(o.rate, 1));
  field("batch", std::to_string(o.batch));
  field("message_bytes", std::to_string(l.message_bytes));
  field("request_bytes", std::to_string(l.request_bytes));
  field("systems", std::to_string(r.systems));
  field("tokens", std::to_string(r.tokens));
  field("setup_s", fixed(r.setup_s));
  field("elapsed_s", fixed(l.elapsed_s));
  field("requests_sent", std::to_string(l.requests_sent));
  field("responses", std::to_string(l.responses));
  field("messages_acked", std::to_string(l.messages_acked));
  field("requests_per_s", fixed(per_second(l.responses, l.elapsed_s), 1));
  field("messages_per_s", fixed(per_second(l.messages_acked, l.elapsed_s), 1));
  if (is_otlp(o.scen)) {
    // The same figure under the name OTLP uses: one stored message per record.
    field("records_per_s", fixed(per_second(l.messages_acked, l.elapsed_s), 1));
    field("text_bytes", std::to_string(o.message_bytes));
    field("otlp_partial",
          "{\"exports\":" + std::to_string(l.otlp_partial)
            + ",\"rejected_records\":" + std::to_string(l.otlp_rejected) + ",\"first_error\":"
            + (l.otlp_partial ? json_string(l.otlp_first_error) : std::string{"null"}) + "}");
  }
  field("latency_ms",
        "{" + percentile_fields(h, true) + ",\"mean\":" + fixed(h.mean() / 1e6) + "}");
  if (o.rate > 0) {
    const auto& g = l.send_lag;
    field("send_lag_ms", "{\"sends\":" + std::to_string(g.count()) + ",\"late_sends\":"
                           + std::to_string(l.sent_late) + "," + percentile_fields(g, false) + "}");
  }
  if (o.arrival_times) {
    const auto& a = l.arrival;
    field("arrival_ms", "{\"answers\":" + std::to_string(a.count())
                          + ",\"unstamped\":" + std::to_string(l.unstamped) + ",\"misstamped\":"
                          + std::to_string(l.misstamped) + "," + percentile_fields(a, true) + "}");
  }
  std::string statuses = "{";
  for (std::size_t s = 0; s < l.statuses.size(); ++s)
    if (l.statuses[s])
      list_item(statuses,
                json_string(s ? std::to_string(s) : "none") + ":" + std::to_string(l.statuses[s]));
  field("statuses", statuses + "}");
  std::string errors = "{";
  for (const auto& [what, n] : l.errors)
    list_item(errors, json_string(what) + ":" + std::to_string(n));
  field("errors", errors + "}");
  field("reconnects", std::to_string(l.reconnects));
  field("sampled", std::to_string(l.sampled));
  field("partial_acks", std::to_string(l.partial_acks));
  if (o.scen == scenario::mixed) {
    std::string classes = "{";
    for (std::size_t c = 0; c < token_class_count; ++c) {
      const auto& cc = l.by_class[c];
      list_item(classes, json_string(to_string(static_cast<token_class>(c))) + ":{"
                           + "\"requests\":" + std::to_string(cc.requests)
                           + ",\"202\":" + std::to_string(cc.accepted)
                           + ",\"401\":" + std::to_string(cc.unauthorized)
                           + ",\"429\":" + std::to_string(cc.rate_limited)
                           + ",\"other\":" + std::to_string(cc.other) + "}");
    }
    field("classes", classes + "}");
  }
  if (r.revoke) {
    const auto& rv = *r.revoke;
    std::string errs = "[";
    for (const auto& e : rv.errors)
      list_item(errs, json_string(e));
    field("revoke", "{\"revoked\":" + std::to_string(rv.revoked)
                      + ",\"call_ms\":{\"p50\":" + fixed(ms(rv.latency.percentile(50)))
                      + ",\"p99\":" + fixed(ms(rv.latency.percentile(99)))
                      + ",\"max\":" + fixed(ms(rv.latency.max())) + "},\"sent_after_revoke\":"
                      + std::to_string(l.sent_after_revoke) + ",\"accepted_after_revoke\":"
                      + std::to_string(l.accepted_after_revoke) + ",\"errors\":" + errs + "]}");
  }
  if (r.check) {
    const auto& c = *r.check;
    std::string ex = "[";
    for (const auto& e : c.examples)
      list_item(ex, json_string(e));
    field("check",
          std::string{"{\"ok\":"} + (c.ok ? "true" : "false") + ",\"expected\":"
            + std::to_string(c.expected) + ",\"found\":" + std::to_string(c.found)
            + ",\"missing\":" + std::to_string(c.missing) + ",\"extra\":" + std::to_string(c.extra)
            + ",\"duplicated\":" + std::to_string(c.duplicated)
            + ",\"ambiguous\":" + std::to_string(c.ambiguous) + ",\"ambiguous_stored\":"
            + std::to_string(c.ambiguous_stored) + ",\"other_runs\":" + std::to_string(c.other)
            + ",\"pages\":" + std::to_string(c.pages) + ",\"seconds\":" + fixed(c.seconds)
            + ",\"error\":" + (c.error.empty() ? std::string{"null"} : json_string(c.error))
            + ",\"examples\":" + ex + "]}");
  } else {
    field("check", "null");
  }
  std::string failures = "[";
  for (const auto& f : r.failures)
    list_item(failures, json_string(f));
  field("failures", failures + "]");
  field("ok", r.failures.empty() ? "true" : "false");
  j += "}\n";
  std::fputs(j.c_str(), stdout);
  std::fflush(stdout);
}

bool write_timeline(const std::string& path, const load_result& load,
                    std::chrono::system_clock::time_point started) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "sluice-bench: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return false;
  }
  const auto width_ms = static_cast<std::uint64_t>(timeline_slot_width.count());
  const auto start_ms = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count());
  std::fprintf(f, "ms,unix_ms,answers,max_ms\n");
  for (std::size_t k = 0; k < load.timeline.size(); ++k) {
    const auto& slot = load.timeline[k];
    std::fprintf(f, "%llu,%llu,%llu,%.3f\n", static_cast<unsigned long long>(k * width_ms),
                 static_cast<unsigned long long>(start_ms + k * width_ms),
                 static_cast<unsigned long long>(slot.answers), ms(slot.max_ns));
  }
  bool ok = std::fflush(f) == 0 && !std::ferror(f);
  ok = std::fclose(f) == 0 && ok;
  if (!ok)
    std::fprintf(stderr, "sluice-bench: writing %s failed\n", path.c_str());
  return ok;
}

} // namespace sluice::bench
