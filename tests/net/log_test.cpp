// The logger (net/log.hpp): formats, levels, JSON escaping, redaction of
// token secrets, the access log, and whole lines under concurrency.

#include "net/log.hpp"

#include <boost/test/unit_test.hpp>

#include <simdjson.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "policy/ids.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

using namespace sluice;
namespace lg = sluice::log;

namespace {

/// Sends the logger's lines to a temporary file for the test's lifetime, with
/// the given options; restores stderr and the defaults afterwards.
class capture {
public:
  explicit capture(lg::options o = {}) : file_(std::tmpfile()) {
    BOOST_REQUIRE(file_);
    previous_ = lg::set_output(::fileno(file_));
    lg::configure(o);
  }
  ~capture() {
    lg::set_output(previous_);
    lg::configure({});
    std::fclose(file_);
  }
  capture(const capture&) = delete;
  capture& operator=(const capture&) = delete;

  /// Everything written so far.
  std::string text() const {
    std::string out;
    char buf[4096];
    ::lseek(::fileno(file_), 0, SEEK_SET);
    for (;;) {
      auto n = ::read(::fileno(file_), buf, sizeof buf);
      if (n <= 0)
        break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    auto t = text();
    std::size_t from = 0;
    while (from < t.size()) {
      auto nl = t.find('\n', from);
      BOOST_REQUIRE_MESSAGE(nl != std::string::npos,
                            "a line without its newline: " << t.substr(from));
      out.push_back(t.substr(from, nl - from));
      from = nl + 1;
    }
    return out;
  }

private:
  std::FILE* file_;
  int previous_ = 2;
};

lg::options json_options(lg::level threshold = lg::level::info, bool access = false) {
  lg::options o;
  o.format = lg::format::json;
  o.threshold = threshold;
  o.access = access;
  return o;
}

/// A string member of a parsed JSON line; fails the test when absent.
std::string str(simdjson::dom::element obj, const char* key) {
  std::string_view v;
  auto err = obj[key].get(v);
  BOOST_REQUIRE_MESSAGE(!err, "no string \"" << key << "\"");
  return std::string{v};
}

} // namespace

BOOST_AUTO_TEST_SUITE(logger)

BOOST_AUTO_TEST_CASE(a_json_line_is_one_object_with_ts_level_msg_and_typed_fields) {
  capture c{json_options()};
  auto before = now_us();
  lg::info("storage expiry", {{"buckets", 3u},
                              {"delta", -2},
                              {"ratio", 0.5},
                              {"full", true},
                              {"class", "standard"},
                              {"empty", ""}});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element obj;
  BOOST_REQUIRE_MESSAGE(!parser.parse(lines[0]).get(obj), "not JSON: " << lines[0]);
  auto ts = parse_rfc3339_us(str(obj, "ts"));
  BOOST_REQUIRE(ts.has_value());
  BOOST_TEST(*ts >= before);
  BOOST_TEST(str(obj, "level") == "info");
  BOOST_TEST(str(obj, "msg") == "storage expiry");
  BOOST_TEST(obj["buckets"].get_uint64().value() == 3u);
  BOOST_TEST(obj["delta"].get_int64().value() == -2);
  BOOST_TEST(obj["ratio"].get_double().value() == 0.5);
  BOOST_TEST(obj["full"].get_bool().value() == true);
  BOOST_TEST(str(obj, "class") == "standard");
  BOOST_TEST(str(obj, "empty") == "");
  // Fields keep their order, after the line's own three.
  BOOST_TEST(lines[0].find("\"level\":\"info\",\"msg\":\"storage expiry\",\"buckets\":3,")
               != std::string::npos,
             lines[0]);
}

BOOST_AUTO_TEST_CASE(a_text_line_is_time_level_message_and_key_values) {
  capture c;
  lg::warn("shutdown: requests still in flight",
           {{"after_s", 30}, {"server", "ingest"}, {"why", "two words"}, {"quote", "a\"b"}});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  auto& l = lines[0];
  auto space = l.find(' ');
  BOOST_REQUIRE(space != std::string::npos);
  BOOST_TEST(parse_rfc3339_us(l.substr(0, space)).has_value(), l);
  BOOST_TEST(l.substr(space)
             == " warn  shutdown: requests still in flight after_s=30 server=ingest "
                "why=\"two words\" quote=\"a\\\"b\"");
}

BOOST_AUTO_TEST_CASE(lines_below_the_threshold_are_not_written) {
  capture c{json_options(lg::level::warn)};
  BOOST_TEST(lg::enabled(lg::level::error));
  BOOST_TEST(lg::enabled(lg::level::warn));
  BOOST_TEST(!lg::enabled(lg::level::info));
  BOOST_TEST(!lg::enabled(lg::level::debug));
  lg::debug("d");
  lg::info("i");
  lg::warn("w");
  lg::error("e");
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_TEST(lines[0].find("\"level\":\"warn\",\"msg\":\"w\"") != std::string::npos, lines[0]);
  BOOST_TEST(lines[1].find("\"level\":\"error\",\"msg\":\"e\"") != std::string::npos, lines[1]);

  lg::configure(json_options(lg::level::debug));
  lg::debug("d");
  BOOST_TEST(c.lines().size() == 3u);
}

BOOST_AUTO_TEST_CASE(levels_and_formats_parse_from_their_config_words) {
  for (auto l : {lg::level::error, lg::level::warn, lg::level::info, lg::level::debug})
    BOOST_TEST((lg::parse_level(lg::to_string(l)) == l));
  for (auto f : {lg::format::text, lg::format::json})
    BOOST_TEST((lg::parse_format(lg::to_string(f)) == f));
  BOOST_TEST(!lg::parse_level("verbose").has_value());
  BOOST_TEST(!lg::parse_level("INFO").has_value());
  BOOST_TEST(!lg::parse_format("yaml").has_value());
  // The defaults the config keys document.
  lg::options o;
  BOOST_TEST((o.threshold == lg::level::info));
  BOOST_TEST((o.format == lg::format::text));
  BOOST_TEST(o.access == false);
}

BOOST_AUTO_TEST_CASE(json_lines_stay_valid_json_whatever_the_text_holds) {
  capture c{json_options()};
  std::string nasty =
    "quote\" backslash\\ newline\n cr\r tab\t bell\x07 del\x7f e\xc3\xa9 bad\xff\xfe"
    " overlong\xc0\xaf cut\xe2\x82";
  lg::error(nasty, {{nasty, nasty}});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u); // the newline inside did not split the line
  simdjson::dom::parser parser;
  simdjson::dom::element obj;
  BOOST_REQUIRE_MESSAGE(!parser.parse(lines[0]).get(obj), "not JSON: " << lines[0]);
  std::string expected = "quote\" backslash\\ newline\n cr\r tab\t bell\x07 del\x7f e\xc3\xa9 bad"
                         "\xef\xbf\xbd\xef\xbf\xbd overlong\xef\xbf\xbd\xef\xbf\xbd cut\xef\xbf\xbd"
                         "\xef\xbf\xbd";
  BOOST_TEST(str(obj, "msg") == expected);
  simdjson::dom::object o;
  BOOST_REQUIRE(!obj.get(o));
  std::size_t n = 0;
  for (auto [key, value] : o) {
    if (++n == 4) {
      BOOST_TEST(std::string{key} == expected);
      BOOST_TEST(std::string{value.get_string().value()} == expected);
    }
  }
  BOOST_TEST(n == 4u);
}

BOOST_AUTO_TEST_CASE(a_text_line_stays_one_line) {
  capture c;
  lg::error("first\nsecond", {{"v", "a\nb"}});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  BOOST_TEST(lines[0].find("first\\nsecond v=\"a\\nb\"") != std::string::npos, lines[0]);
}

BOOST_AUTO_TEST_CASE(a_long_value_is_cut) {
  capture c{json_options()};
  std::string big(lg::max_value_bytes * 3, 'x');
  lg::info("big", {{"v", big}});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element obj;
  BOOST_REQUIRE(!parser.parse(lines[0]).get(obj));
  BOOST_TEST(str(obj, "v") == std::string(lg::max_value_bytes, 'x') + "\u2026");
}

BOOST_AUTO_TEST_CASE(no_secret_reaches_a_line_in_the_message_or_a_field) {
  for (auto fmt : {lg::format::text, lg::format::json}) {
    lg::options o;
    o.format = fmt;
    capture c{o};
    std::vector<std::string> secrets;
    for (auto k : {token_kind::ingest, token_kind::webhook, token_kind::service, token_kind::user})
      secrets.push_back(generate_secret(k));
    for (auto& s : secrets) {
      lg::error("refused " + s + " at once", {{"path", "/webhooks/" + s + "/x"},
                                              {"query", "a=1&api_key=" + s},
                                              {"header", "Bearer " + s},
                                              {"encoded", "/webhooks%2F" + s},
                                              {"piece", s.substr(0, 24)},
                                              {s, "as a name"}});
    }
    auto text = c.text();
    BOOST_TEST(c.lines().size() == secrets.size());
    for (auto& s : secrets) {
      auto body = s.substr(s.find('_') + 1);
      BOOST_TEST(text.find(body.substr(0, 12)) == std::string::npos, text);
      BOOST_TEST(text.find(body.substr(body.size() - 12)) == std::string::npos, text);
    }
    BOOST_TEST(text.find("refused {token} at once") != std::string::npos, text);
    BOOST_TEST(text.find("/webhooks/{token}/x") != std::string::npos, text);
    BOOST_TEST(text.find("api_key={token}") != std::string::npos, text);
    BOOST_TEST(text.find("Bearer {token}") != std::string::npos, text);
    BOOST_TEST(text.find("/webhooks%2F{token}") != std::string::npos, text);
  }
}

BOOST_AUTO_TEST_CASE(the_access_log_writes_one_line_per_request_with_its_fields) {
  capture c{json_options(lg::level::error, true)}; // on whatever the level
  auto hook = generate_secret(token_kind::webhook);
  lg::access({"ingest", "POST", "/webhooks/" + hook, 202, 187, std::chrono::microseconds{1234}, 0,
              "127.0.0.1"});
  lg::access(
    {"admin", "GET", "/api/v1/tenants", 200, 512, std::chrono::microseconds{77}, 42, "::1"});
  auto lines = c.lines();
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element a;
  BOOST_REQUIRE(!parser.parse(lines[0]).get(a));
  BOOST_TEST(str(a, "level") == "info");
  BOOST_TEST(str(a, "msg") == "request");
  BOOST_TEST(str(a, "server") == "ingest");
  BOOST_TEST(str(a, "method") == "POST");
  BOOST_TEST(str(a, "path") == "/webhooks/{token}");
  BOOST_TEST(a["status"].get_uint64().value() == 202u);
  BOOST_TEST(a["bytes"].get_uint64().value() == 187u);
  BOOST_TEST(a["duration_us"].get_int64().value() == 1234);
  BOOST_TEST(str(a, "client") == "127.0.0.1");
  BOOST_TEST(a["token"].error() == simdjson::NO_SUCH_FIELD); // not authenticated
  BOOST_TEST(lines[0].find(hook.substr(4, 12)) == std::string::npos);

  simdjson::dom::parser parser2;
  simdjson::dom::element b;
  BOOST_REQUIRE(!parser2.parse(lines[1]).get(b));
  BOOST_TEST(str(b, "token") == format_id(id_kind::token, 42));
  BOOST_TEST(str(b, "server") == "admin");
  BOOST_TEST(str(b, "client") == "::1");

  // Off: nothing.
  lg::configure(json_options(lg::level::debug, false));
  BOOST_TEST(!lg::access_enabled());
  lg::access({"admin", "GET", "/healthz", 200, 10, std::chrono::microseconds{1}, 0, "::1"});
  BOOST_TEST(c.lines().size() == 2u);
}

BOOST_AUTO_TEST_CASE(lines_of_many_threads_arrive_whole) {
  // Through a pipe, with lines longer than the pipe's atomic write size: each
  // line must still come out whole, never interleaved with another.
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  auto previous = lg::set_output(fds[1]);
  lg::configure(json_options());
  std::string received;
  std::thread reader{[&] {
    char buf[8192];
    for (;;) {
      auto n = ::read(fds[0], buf, sizeof buf);
      if (n <= 0)
        return;
      received.append(buf, static_cast<std::size_t>(n));
    }
  }};
  constexpr int threads = 4, per_thread = 200;
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t)
    writers.emplace_back([t] {
      std::string pad(3000, static_cast<char>('a' + t));
      for (int i = 0; i < per_thread; ++i)
        lg::info("line", {{"thread", t}, {"i", i}, {"pad1", pad}, {"pad2", pad}});
    });
  for (auto& w : writers)
    w.join();
  lg::set_output(previous);
  lg::configure({});
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);

  simdjson::dom::parser parser;
  std::size_t count = 0, from = 0;
  while (from < received.size()) {
    auto nl = received.find('\n', from);
    BOOST_REQUIRE(nl != std::string::npos);
    auto line = received.substr(from, nl - from);
    from = nl + 1;
    simdjson::dom::element obj;
    BOOST_REQUIRE_MESSAGE(!parser.parse(line).get(obj), "line " << count << " is not whole");
    auto t = obj["thread"].get_int64().value();
    BOOST_TEST(str(obj, "pad1") == std::string(3000, static_cast<char>('a' + t)));
    ++count;
  }
  BOOST_TEST(count == static_cast<std::size_t>(threads * per_thread));
}

BOOST_AUTO_TEST_SUITE_END()
