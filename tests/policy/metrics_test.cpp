#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "policy/metrics.hpp"

using namespace sluice;

namespace {

/// A strict reader of the text exposition format 0.0.4, as much of it as
/// Sluice writes: # HELP and # TYPE before each family's samples, samples
/// `name{label="value",…} value` without timestamps, histograms whose
/// buckets ascend and end in +Inf == _count. Fails the test on anything
/// else; returns every sample by its series ("name{…}" as written, labels
/// unescaped).
struct scrape {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types; ///< family -> type
  std::map<std::string, std::string> help;  ///< family -> help, unescaped

  double at(const std::string& series) const {
    auto i = samples.find(series);
    BOOST_REQUIRE_MESSAGE(i != samples.end(), "no sample " << series);
    return i->second;
  }
  bool has(const std::string& series) const { return samples.count(series) != 0; }
};

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':'
         || (!first && c >= '0' && c <= '9');
}

std::string read_name(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && name_char(s[n], n == 0))
    ++n;
  BOOST_REQUIRE_MESSAGE(n > 0, "expected a name at: " << s);
  auto out = std::string{s.substr(0, n)};
  s.remove_prefix(n);
  return out;
}

double read_value(std::string_view s) {
  if (s == "+Inf")
    return std::numeric_limits<double>::infinity();
  if (s == "-Inf")
    return -std::numeric_limits<double>::infinity();
  if (s == "NaN")
    return std::numeric_limits<double>::quiet_NaN();
  std::string text{s};
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  BOOST_REQUIRE_MESSAGE(!text.empty() && end == text.c_str() + text.size(),
                        "not a number: '" << text << "'");
  return v;
}

scrape parse(const std::string& text) {
  scrape out;
  BOOST_REQUIRE(!text.empty());
  BOOST_REQUIRE_EQUAL(text.back(), '\n');
  std::string family, type;
  std::set<std::string> seen_families;
  std::vector<double> buckets;
  double last_le = -std::numeric_limits<double>::infinity();
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    std::string_view line{text.data() + pos, nl - pos};
    pos = nl + 1;
    BOOST_REQUIRE_MESSAGE(!line.empty(), "an empty line");
    if (line.starts_with("# HELP ")) {
      line.remove_prefix(7);
      family = read_name(line);
      BOOST_REQUIRE_MESSAGE(seen_families.insert(family).second, family << " twice");
      BOOST_REQUIRE(line.starts_with(" "));
      std::string h;
      for (std::size_t i = 1; i < line.size(); ++i) {
        if (line[i] == '\\') {
          BOOST_REQUIRE(i + 1 < line.size());
          char e = line[++i];
          BOOST_REQUIRE_MESSAGE(e == '\\' || e == 'n', "bad escape in HELP");
          h += e == 'n' ? '\n' : '\\';
        } else {
          h += line[i];
        }
      }
      out.help[family] = h;
      type.clear();
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      line.remove_prefix(7);
      BOOST_REQUIRE_EQUAL(read_name(line), family); // HELP first, then TYPE
      BOOST_REQUIRE(line.starts_with(" "));
      type = std::string{line.substr(1)};
      BOOST_REQUIRE_MESSAGE(type == "counter" || type == "gauge" || type == "histogram",
                            "type " << type);
      out.types[family] = type;
      buckets.clear();
      last_le = -std::numeric_limits<double>::infinity();
      continue;
    }
    BOOST_REQUIRE_MESSAGE(line[0] != '#', "unknown comment: " << line);
    BOOST_REQUIRE_MESSAGE(!type.empty(), "a sample before its # TYPE: " << line);
    auto name = read_name(line);
    std::string series = name;
    std::map<std::string, std::string> labels;
    if (line.starts_with("{")) {
      line.remove_prefix(1);
      series += '{';
      bool first = true;
      while (!line.starts_with("}")) {
        if (!first) {
          BOOST_REQUIRE_MESSAGE(line.starts_with(","), "expected , in " << line);
          line.remove_prefix(1);
        }
        first = false;
        auto key = read_name(line);
        BOOST_REQUIRE_MESSAGE(line.starts_with("=\""), "expected =\" after " << key);
        line.remove_prefix(2);
        std::string value;
        for (;;) {
          BOOST_REQUIRE_MESSAGE(!line.empty(), "unterminated label value");
          char c = line[0];
          line.remove_prefix(1);
          if (c == '"')
            break;
          BOOST_REQUIRE_MESSAGE(c != '\n', "raw line feed in a label value");
          if (c == '\\') {
            BOOST_REQUIRE(!line.empty());
            char e = line[0];
            line.remove_prefix(1);
            BOOST_REQUIRE_MESSAGE(e == '\\' || e == '"' || e == 'n', "bad escape");
            value += e == 'n' ? '\n' : e;
          } else {
            value += c;
          }
        }
        BOOST_REQUIRE_MESSAGE(labels.emplace(key, value).second, "label " << key << " twice");
        series += (labels.size() > 1 ? "," : "") + key + "=\"" + value + "\"";
      }
      line.remove_prefix(1);
      series += '}';
    }
    BOOST_REQUIRE_MESSAGE(line.starts_with(" ") && line.size() > 1, "no value: " << series);
    line.remove_prefix(1);
    BOOST_REQUIRE_MESSAGE(line.find(' ') == std::string_view::npos, "a timestamp or junk");
    auto v = read_value(line);

    if (type == "histogram") {
      if (name == family + "_bucket") {
        BOOST_REQUIRE_MESSAGE(labels.count("le"), "a bucket without le");
        auto le = read_value(labels["le"]);
        BOOST_REQUIRE_MESSAGE(le > last_le, "buckets out of order in " << family);
        last_le = le;
        BOOST_REQUIRE_MESSAGE(buckets.empty() || v >= buckets.back(), "buckets not cumulative");
        buckets.push_back(v);
      } else if (name == family + "_count") {
        BOOST_REQUIRE_MESSAGE(std::isinf(last_le), family << ": no +Inf bucket");
        BOOST_REQUIRE_EQUAL(v, buckets.back());
      } else {
        BOOST_REQUIRE_EQUAL(name, family + "_sum");
      }
    } else {
      BOOST_REQUIRE_EQUAL(name, family);
    }
    BOOST_REQUIRE_MESSAGE(out.samples.emplace(series, v).second, "series twice: " << series);
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(prometheus_metrics)

BOOST_AUTO_TEST_CASE(a_counter_renders_help_type_and_its_value) {
  metric_registry r;
  auto& c = r.add_counter("app_jobs_total", "Jobs done.");
  c.inc();
  c.inc(41);
  BOOST_TEST(r.render()
             == "# HELP app_jobs_total Jobs done.\n"
                "# TYPE app_jobs_total counter\n"
                "app_jobs_total 42\n");
}

BOOST_AUTO_TEST_CASE(labels_are_cells_of_fixed_values_in_declaration_order) {
  metric_registry r;
  auto& c = r.add_counter("app_requests_total", "Requests.",
                          {{"door", {"a", "b"}}, {"code", {"200", "404", "other"}}});
  BOOST_TEST(c.cells() == 6u);
  BOOST_TEST(c.cell_of({1, 2}) == 5u);
  c.add(c.cell_of({1, 0}), 3);
  c.add(c.cell_of({0, 2}));
  // Out of range, or the wrong number of labels: ignored.
  c.add(c.cell_of({2, 0}));
  c.add(c.cell_of({0}));
  c.add(99);
  auto s = parse(r.render());
  BOOST_TEST(s.at(R"(app_requests_total{door="b",code="200"})") == 3);
  BOOST_TEST(s.at(R"(app_requests_total{door="a",code="other"})") == 1);
  BOOST_TEST(s.at(R"(app_requests_total{door="a",code="200"})") == 0); // zeros shown
  BOOST_TEST(s.samples.size() == 6u);
}

BOOST_AUTO_TEST_CASE(a_counter_may_leave_out_cells_still_at_zero) {
  metric_registry r;
  auto& c = r.add_counter("app_requests_total", "Requests.", {{"code", {"200", "500"}}}, true);
  auto s = parse(r.render());
  BOOST_TEST(s.samples.empty()); // the family is still declared
  BOOST_TEST(s.types.at("app_requests_total") == "counter");
  c.add(1);
  s = parse(r.render());
  BOOST_TEST(s.samples.size() == 1u);
  BOOST_TEST(s.at(R"(app_requests_total{code="500"})") == 1);
}

BOOST_AUTO_TEST_CASE(a_gauge_goes_up_and_down) {
  metric_registry r;
  auto& g = r.add_gauge("app_open_connections", "Open.", {{"port", {"in", "out"}}});
  g.set(0, 5);
  g.add(0, -7);
  g.add(1, 3);
  auto s = parse(r.render());
  BOOST_TEST(s.types.at("app_open_connections") == "gauge");
  BOOST_TEST(s.at(R"(app_open_connections{port="in"})") == -2);
  BOOST_TEST(s.at(R"(app_open_connections{port="out"})") == 3);
}

BOOST_AUTO_TEST_CASE(a_histogram_renders_cumulative_buckets_sum_and_count) {
  metric_registry r;
  auto& h = r.add_histogram("app_latency_seconds", "Latency.", {0.005, 0.5, 1});
  h.observe(0.001);
  h.observe(0.005); // on a bound: counted in that bucket (le = less or equal)
  h.observe(0.25);
  h.observe(30);
  h.observe(std::numeric_limits<double>::quiet_NaN()); // ignored
  BOOST_TEST(r.render()
             == "# HELP app_latency_seconds Latency.\n"
                "# TYPE app_latency_seconds histogram\n"
                "app_latency_seconds_bucket{le=\"0.005\"} 2\n"
                "app_latency_seconds_bucket{le=\"0.5\"} 3\n"
                "app_latency_seconds_bucket{le=\"1\"} 3\n"
                "app_latency_seconds_bucket{le=\"+Inf\"} 4\n"
                "app_latency_seconds_sum 30.256\n"
                "app_latency_seconds_count 4\n");
  auto reading = h.read();
  BOOST_TEST(reading.count() == 4u);
  BOOST_TEST(parse(r.render()).at("app_latency_seconds_count") == 4);
}

BOOST_AUTO_TEST_CASE(histogram_bounds_must_be_finite_and_ascending) {
  BOOST_CHECK_THROW(histogram("h", "", {1, 1}), std::invalid_argument);
  BOOST_CHECK_THROW(histogram("h", "", {2, 1}), std::invalid_argument);
  BOOST_CHECK_THROW(histogram("h", "", {1, std::numeric_limits<double>::infinity()}),
                    std::invalid_argument);
  histogram only_inf("h", "", {});
  only_inf.observe(3);
  BOOST_TEST(only_inf.read().count() == 1u);
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
  BOOST_TEST(escape_label_value(R"(a\b"c)"
                                "\n"
                                "d")
             == R"(a\\b\"c\nd)");
  BOOST_TEST(escape_help("x\\y\n\"z\"") == R"(x\\y\n"z")");
  metric_registry r;
  auto& c = r.add_counter("app_odd_total", "Help with \\ and\na line feed.",
                          {{"what", {"quote \" here", "back\\slash", "line\nfeed"}}});
  c.add(0);
  c.add(1, 2);
  c.add(2, 3);
  auto text = r.render();
  BOOST_TEST(text.find(R"(app_odd_total{what="quote \" here"} 1)") != std::string::npos);
  BOOST_TEST(text.find(R"(app_odd_total{what="back\\slash"} 2)") != std::string::npos);
  BOOST_TEST(text.find(R"(app_odd_total{what="line\nfeed"} 3)") != std::string::npos);
  BOOST_TEST(text.find("# HELP app_odd_total Help with \\\\ and\\na line feed.\n")
             != std::string::npos);
  auto s = parse(text); // and reads back to the same values
  BOOST_TEST(s.help.at("app_odd_total") == "Help with \\ and\na line feed.");
  BOOST_TEST(s.at("app_odd_total{what=\"line\nfeed\"}") == 3);
  BOOST_TEST(s.at("app_odd_total{what=\"quote \" here\"}") == 1);
}

BOOST_AUTO_TEST_CASE(values_are_written_as_prometheus_reads_them) {
  BOOST_TEST(format_metric_value(1) == "1");
  BOOST_TEST(format_metric_value(0.25) == "0.25");
  BOOST_TEST(format_metric_value(0.0001) == "0.0001");
  BOOST_TEST(format_metric_value(std::numeric_limits<double>::infinity()) == "+Inf");
  BOOST_TEST(format_metric_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  BOOST_TEST(format_metric_value(std::nan("")) == "NaN");
}

BOOST_AUTO_TEST_CASE(names_prometheus_does_not_allow_are_refused) {
  metric_registry r;
  BOOST_CHECK_THROW(r.add_counter("1st_total", ""), std::invalid_argument);
  BOOST_CHECK_THROW(r.add_counter("app-dash_total", ""), std::invalid_argument);
  BOOST_CHECK_THROW(r.add_counter("app_total", "", {{"__reserved", {"x"}}}), std::invalid_argument);
  BOOST_CHECK_THROW(r.add_counter("app_total", "", {{"bad-label", {"x"}}}), std::invalid_argument);
  BOOST_CHECK_THROW(r.add_counter("app_total", "", {{"empty", {}}}), std::invalid_argument);
  BOOST_CHECK_THROW(r.add_counter("app_total", "", {{"a", {"x"}}, {"a", {"y"}}}),
                    std::invalid_argument);
  r.add_counter("app_total", "");
  BOOST_CHECK_THROW(r.add_gauge("app_total", ""), std::invalid_argument);
  // A histogram's series names are taken too, both ways.
  r.add_histogram("app_size", "", {1});
  BOOST_CHECK_THROW(r.add_gauge("app_size_count", ""), std::invalid_argument);
  r.add_gauge("app_other_sum", "");
  BOOST_CHECK_THROW(r.add_histogram("app_other", "", {1}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(refreshers_run_before_each_render) {
  metric_registry r;
  auto& g = r.add_gauge("app_things", "Things.");
  int calls = 0;
  r.on_scrape([&] { g.set(++calls * 10); });
  BOOST_TEST(parse(r.render()).at("app_things") == 10);
  BOOST_TEST(parse(r.render()).at("app_things") == 20);
}

BOOST_AUTO_TEST_CASE(counting_from_many_threads_loses_nothing) {
  metric_registry r;
  auto& c = r.add_counter("app_hits_total", "Hits.", {{"t", {"a", "b"}}});
  auto& h = r.add_histogram("app_size", "Size.", {1, 10});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10'000; ++i) {
        c.add(static_cast<std::size_t>(t % 2));
        h.observe(i % 20);
      }
    });
  for (auto& t : threads)
    t.join();
  BOOST_TEST(c.value(0) + c.value(1) == 40'000u);
  BOOST_TEST(h.read().count() == 40'000u);
}

BOOST_AUTO_TEST_CASE(sluice_metrics_count_requests_by_port_door_and_status) {
  gateway_metrics m{1'700'000'000};
  m.request(http_port::ingest, http_door::native, 202);
  m.request(http_port::ingest, http_door::native, 202);
  m.request(http_port::ingest, http_door::webhook, 401);
  m.request(http_port::ingest, http_door::other, 418); // not in the fixed set
  m.request(http_port::admin, http_door::health, 200);
  BOOST_TEST(m.requests(http_port::ingest, http_door::native, 202) == 2u);
  BOOST_TEST(m.requests(http_port::ingest, http_door::other, 999) == 1u); // both "other"
  BOOST_TEST(m.requests(http_port::ingest, http_door::health, 200) == 0u);
  auto s = parse(m.render());
  BOOST_TEST(s.at(R"(sluice_http_requests_total{port="ingest",door="native",code="202"})") == 2);
  BOOST_TEST(s.at(R"(sluice_http_requests_total{port="ingest",door="webhook",code="401"})") == 1);
  BOOST_TEST(s.at(R"(sluice_http_requests_total{port="ingest",door="other",code="other"})") == 1);
  BOOST_TEST(s.at(R"(sluice_http_requests_total{port="admin",door="health",code="200"})") == 1);
  BOOST_TEST(!s.has(R"(sluice_http_requests_total{port="admin",door="health",code="500"})"));
}

BOOST_AUTO_TEST_CASE(ingest_request_durations_split_at_the_two_millisecond_bound) {
  gateway_metrics m{1'700'000'000};
  m.ingest_answered(0.0003);
  m.ingest_answered(0.002); // on the bound: within it
  m.ingest_answered(0.0021);
  m.ingest_answered(30); // past the last bound
  auto s = parse(m.render());
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="0.00025"})") == 0);
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="0.0005"})") == 1);
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="0.002"})") == 2);
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="0.005"})") == 3);
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="10"})") == 3);
  BOOST_TEST(s.at(R"(sluice_ingest_request_duration_seconds_bucket{le="+Inf"})") == 4);
  BOOST_TEST(s.at("sluice_ingest_request_duration_seconds_count") == 4);
  BOOST_TEST(s.at("sluice_ingest_request_duration_seconds_sum") == 30.0044,
             boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(sluice_metrics_render_a_scrape_that_parses) {
  gateway_metrics m{1'700'000'000};
  m.accepted(message_source::otlp_logs, 3, 1, 120);
  m.accepted(message_source::native, 1, 0, 20);
  m.rejected(rejection::unauthorized);
  m.rejected(rejection::rate_limited, 2);
  m.sampled(5);
  m.shadow_limited(shadow_limit::system);
  m.group_committed(4, 0.002);
  m.set_live_actors(3, 2);
  m.set_open_connections(http_port::admin, 1);
  m.set_storage(storage_env_index(30), 1 << 20, 8192);
  m.set_storage(meta_env_index, 2 << 20, 4096);
  auto s = parse(m.render());
  BOOST_TEST(s.at(R"(sluice_accepted_messages_total{door="otlp_logs"})") == 3);
  BOOST_TEST(s.at(R"(sluice_duplicate_messages_total{door="otlp_logs"})") == 1);
  BOOST_TEST(s.at(R"(sluice_accepted_bytes_total{door="otlp_logs"})") == 120);
  BOOST_TEST(s.at(R"(sluice_accepted_requests_total{door="native"})") == 1);
  BOOST_TEST(s.at(R"(sluice_accepted_messages_total{door="webhook"})") == 0);
  BOOST_TEST(!s.has(R"(sluice_accepted_messages_total{door="admin"})")); // ingest doors only
  BOOST_TEST(s.at(R"(sluice_rejected_requests_total{reason="unauthorized"})") == 1);
  BOOST_TEST(s.at(R"(sluice_rejected_requests_total{reason="rate_limited"})") == 2);
  BOOST_TEST(s.at(R"(sluice_rejected_requests_total{reason="storage_error"})") == 0);
  BOOST_TEST(s.at("sluice_sampled_requests_total") == 1);
  BOOST_TEST(s.at("sluice_sampled_messages_total") == 5);
  BOOST_TEST(s.at(R"(sluice_shadow_limited_requests_total{limit="system"})") == 1);
  BOOST_TEST(s.at(R"(sluice_commit_group_messages_bucket{le="5"})") == 1);
  BOOST_TEST(s.at(R"(sluice_commit_group_messages_bucket{le="2"})") == 0);
  BOOST_TEST(s.at("sluice_commit_duration_seconds_count") == 1);
  BOOST_TEST(s.at("sluice_live_token_actors") == 3);
  BOOST_TEST(s.at("sluice_live_system_actors") == 2);
  BOOST_TEST(s.at(R"(sluice_open_connections{port="admin"})") == 1);
  BOOST_TEST(s.at(R"(sluice_storage_map_size_bytes{env="r30"})") == 1 << 20);
  BOOST_TEST(s.at(R"(sluice_storage_used_bytes{env="r30"})") == 8192);
  BOOST_TEST(s.at(R"(sluice_storage_map_size_bytes{env="meta"})") == 2 << 20);
  BOOST_TEST(s.has(R"(sluice_storage_used_bytes{env="rnever"})"));
  BOOST_TEST(s.at("sluice_process_start_time_seconds") == 1'700'000'000);
  // Counters end in _total, and every family says what it is.
  for (auto& [family, type] : s.types) {
    BOOST_TEST(family.starts_with("sluice_"));
    BOOST_TEST((type == "counter") == family.ends_with("_total"), family);
    BOOST_TEST(!s.help.at(family).empty(), family);
  }
}

BOOST_AUTO_TEST_CASE(ingest_doors_follow_the_message_sources) {
  for (auto src : {message_source::native, message_source::otlp_logs, message_source::otlp_traces,
                   message_source::langfuse, message_source::webhook})
    BOOST_TEST(to_string(door_of(src)) == to_string(src));
  BOOST_TEST(status_index(200) == 0u);
  BOOST_TEST(status_index(507) == counted_statuses.size() - 1);
  BOOST_TEST(status_index(302) == counted_statuses.size());
  BOOST_TEST(storage_env_name(storage_env_index(7)) == "r7");
  BOOST_TEST(storage_env_name(storage_env_index(retention::never)) == "rnever");
  BOOST_TEST(storage_env_name(meta_env_index) == "meta");
}

BOOST_AUTO_TEST_SUITE_END()
