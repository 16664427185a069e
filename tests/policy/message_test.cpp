#include <boost/test/unit_test.hpp>

#include "policy/message.hpp"
#include "policy/time.hpp"

using namespace sluice;

namespace {

struct parsed {
  problem result;
  message_batch batch;
};

parsed parse(std::string_view body, std::size_t max_batch = 1000) {
  static message_parser parser; // reused across tests, as a thread would
  parsed p;
  p.result = parser.parse(body, max_batch, p.batch);
  return p;
}

int code(const problem& p) { return static_cast<int>(p.code); }

} // namespace

BOOST_AUTO_TEST_SUITE(message_validation)

BOOST_AUTO_TEST_CASE(a_single_message_is_accepted_and_stored_minified) {
  auto p = parse(R"({ "message" : "user logged in", "level": "info",
                      "timestamp": "2024-05-01T12:00:00Z", "duration_ms": 12.5,
                      "metadata": {"user": "u1"}, "custom": [1, 2] })");
  BOOST_REQUIRE(!p.result);
  BOOST_REQUIRE(p.batch.items.size() == 1u);
  auto& m = p.batch.items[0];
  BOOST_TEST(
    p.batch.body(m)
    == R"({"message":"user logged in","level":"info","timestamp":"2024-05-01T12:00:00Z","duration_ms":12.5,"metadata":{"user":"u1"},"custom":[1,2]})");
  BOOST_TEST(static_cast<int>(m.level) == static_cast<int>(message_level::info));
  BOOST_TEST(m.event_time_us == *parse_rfc3339_us("2024-05-01T12:00:00Z"));
  BOOST_TEST(p.batch.id(m).empty());
}

BOOST_AUTO_TEST_CASE(a_batch_keeps_every_message_in_order) {
  auto p = parse(
    R"([{"message":"a","id":"m-1"},{"message":"b","timestamp":1714564800000},{"message":"c"}])");
  BOOST_REQUIRE(!p.result);
  BOOST_REQUIRE(p.batch.items.size() == 3u);
  BOOST_TEST(p.batch.body(p.batch.items[0]) == R"({"message":"a","id":"m-1"})");
  BOOST_TEST(p.batch.id(p.batch.items[0]) == "m-1");
  BOOST_TEST(p.batch.items[1].event_time_us == 1'714'564'800'000'000LL);
  BOOST_TEST(p.batch.items[2].event_time_us == no_event_time);
}

// Found in review: read through a double, 253402300799999 (the last ms of
// year 9999) was stored as 23:59:59.999008.
BOOST_AUTO_TEST_CASE(unix_milliseconds_are_exact_up_to_year_9999) {
  auto p = parse(R"([{"message":"a","timestamp":253402300799999},
                     {"message":"b","timestamp":1714564800000.5},
                     {"message":"c","timestamp":0}])");
  BOOST_REQUIRE(!p.result);
  BOOST_TEST(p.batch.items[0].event_time_us == 253'402'300'799'999'000LL);
  BOOST_TEST(p.batch.items[1].event_time_us == 1'714'564'800'000'500LL);
  BOOST_TEST(p.batch.items[2].event_time_us == 0);
  for (auto out : {R"({"message":"x","timestamp":253402300800000})",
                   R"({"message":"x","timestamp":-1})", R"({"message":"x","timestamp":-0.5})",
                   R"({"message":"x","timestamp":18446744073709551615})"})
    BOOST_TEST(code(parse(out).result) == static_cast<int>(errc::invalid_message), out);
}

BOOST_AUTO_TEST_CASE(an_empty_array_is_a_batch_of_nothing) {
  auto p = parse("[]");
  BOOST_TEST(!p.result);
  BOOST_TEST(p.batch.items.empty());
}

BOOST_AUTO_TEST_CASE(one_bad_message_refuses_the_batch_and_lists_each_bad_index) {
  auto p = parse(R"([{"message":"ok"},{"level":"info"},{"message":"ok"},{"message":""},
                     {"message":"x","level":"loud"},{"message":"x","duration_ms":-1},
                     {"message":"x","metadata":[1]},{"message":"x","timestamp":"soon"},
                     "just a string", {"message":7}])");
  BOOST_TEST(code(p.result) == static_cast<int>(errc::invalid_message));
  BOOST_TEST(p.batch.items.empty());
  BOOST_TEST(p.result.message == "8 of 10 messages are invalid; nothing was stored");
  auto& d = p.result.details_json;
  for (auto want :
       {R"({"index":1,"error":"\"message\" is required"})",
        R"({"index":3,"error":"\"message\" must be a non-empty string"})",
        R"({"index":4,"error":"\"level\" must be one of debug, info, warn, error, fatal"})",
        R"({"index":5,"error":"\"duration_ms\" must be a number >= 0"})",
        R"({"index":6,"error":"\"metadata\" must be an object"})",
        R"({"index":8,"error":"a message must be a JSON object"})",
        R"({"index":9,"error":"\"message\" must be a non-empty string"})"})
    BOOST_TEST(d.find(want) != std::string::npos, want << " in " << d);
  BOOST_TEST(d.find("\"index\":0") == std::string::npos);
  BOOST_TEST(d.find("\"index\":2") == std::string::npos);
  BOOST_TEST(d.front() == '[');
  BOOST_TEST(d.back() == ']');
}

BOOST_AUTO_TEST_CASE(ids_longer_than_128_bytes_are_refused) {
  std::string ok_id(128, 'i');
  std::string long_id(129, 'i');
  BOOST_TEST(!parse(R"({"message":"x","id":")" + ok_id + "\"}").result);
  auto p = parse(R"({"message":"x","id":")" + long_id + "\"}");
  BOOST_TEST(code(p.result) == static_cast<int>(errc::invalid_message));
  BOOST_TEST(code(parse(R"({"message":"x","id":""})").result)
             == static_cast<int>(errc::invalid_message));
  BOOST_TEST(code(parse(R"({"message":"x","id":5})").result)
             == static_cast<int>(errc::invalid_message));
}

// Found in review: of two "id"s the last was the dedup id, while the stored
// text (kept as sent) read back first-wins in most JSON parsers.
BOOST_AUTO_TEST_CASE(a_field_sluice_reads_given_twice_refuses_the_message) {
  for (auto field : {"message", "id", "timestamp", "level", "duration_ms", "metadata"}) {
    std::string f{field};
    auto value = f == "timestamp"     ? std::string{"0"}
                 : f == "level"       ? std::string{R"("info")"}
                 : f == "duration_ms" ? std::string{"1"}
                 : f == "metadata"    ? std::string{"{}"}
                                      : std::string{R"("x")"};
    auto body = R"({"message":"m",")" + f + "\":" + value + ",\"" + f + "\":" + value + "}";
    if (f == "message")
      body = R"({"message":"a","message":"b"})";
    auto p = parse(body);
    BOOST_TEST(code(p.result) == static_cast<int>(errc::invalid_message), body);
    BOOST_TEST(p.batch.items.empty());
    auto want = R"({"index":0,"error":"\")" + f + R"(\" is given more than once"})";
    BOOST_TEST(p.result.details_json.find(want) != std::string::npos, p.result.details_json);
  }
  // Also when escaped; a field Sluice does not read is kept as sent.
  BOOST_TEST(code(parse(R"({"message":"x","id":"a","\u0069d":"b"})").result)
             == static_cast<int>(errc::invalid_message));
  auto kept = parse(R"({"message":"x","user":"a","user":"b"})");
  BOOST_REQUIRE(!kept.result);
  BOOST_TEST(kept.batch.body(kept.batch.items[0]) == R"({"message":"x","user":"a","user":"b"})");
}

BOOST_AUTO_TEST_CASE(escaped_ids_are_compared_unescaped) {
  auto p = parse(R"({"message":"x","id":"a\u0062c"})");
  BOOST_REQUIRE(!p.result);
  BOOST_TEST(p.batch.id(p.batch.items[0]) == "abc");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_refused_wherever_it_hides) {
  for (auto body :
       {R"({"message":"x")", R"([{"message":"x"})", R"({"message":"x"} {})",
        R"({"message":"x","extra":tru})", R"({"message":"x","n":01})",
        R"({"message":"x","deep":{"a":[1,2,}]}})", "", "nope", "{\"message\":\"\xff\"}"})
    BOOST_TEST(code(parse(body).result) == static_cast<int>(errc::malformed_json), body);
}

// Found in review: valid JSON with a number simdjson cannot hold was refused
// as "the body is not valid JSON: Problem while parsing a number".
BOOST_AUTO_TEST_CASE(a_number_out_of_range_is_named_as_such) {
  for (auto body :
       {R"({"message":"x","n":123456789012345678901234567890})", R"({"message":"x","n":1e309})"}) {
    auto p = parse(body);
    BOOST_TEST(code(p.result) == static_cast<int>(errc::malformed_json), body);
    BOOST_TEST(p.result.message.find("a number Sluice cannot read") != std::string::npos,
               p.result.message);
  }
  auto p = parse(R"({"message":"x","extra":tru})");
  BOOST_TEST(p.result.message.find("not valid JSON") != std::string::npos, p.result.message);
}

BOOST_AUTO_TEST_CASE(malformed_json_after_good_messages_leaves_the_batch_empty) {
  // Good messages before the error, or a whole good value before trailing
  // content: the refused batch still holds nothing (found by the fuzzer).
  for (auto body : {R"([{"message":"a"},{"message":"b"},x])", R"({"message":"a"} {})",
                    R"([{"message":"a"}] [])"}) {
    auto p = parse(body);
    BOOST_TEST(code(p.result) == static_cast<int>(errc::malformed_json), body);
    BOOST_TEST(p.batch.items.empty(), body);
    BOOST_TEST(p.batch.bytes.empty(), body);
  }
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_an_object_or_array_is_invalid) {
  BOOST_TEST(code(parse(R"("hello")").result) == static_cast<int>(errc::invalid_message));
  BOOST_TEST(code(parse("42").result) == static_cast<int>(errc::invalid_message));
}

BOOST_AUTO_TEST_CASE(more_messages_than_allowed_is_too_large) {
  auto p = parse(R"([{"message":"1"},{"message":"2"},{"message":"3"},{"message":"4"}])", 3);
  BOOST_TEST(code(p.result) == static_cast<int>(errc::batch_too_large));
  BOOST_TEST(p.batch.items.empty());
  BOOST_TEST(!parse(R"([{"message":"1"},{"message":"2"},{"message":"3"}])", 3).result);
}

BOOST_AUTO_TEST_CASE(the_largest_message_is_measured_as_sent) {
  std::string big(5000, 'b');
  auto p = parse(R"([{"message":"a"},{"message":")" + big + R"("}])");
  BOOST_REQUIRE(!p.result);
  BOOST_TEST(p.batch.largest_message == big.size() + 14);
}

BOOST_AUTO_TEST_CASE(level_and_source_names_round_trip) {
  for (auto l : {message_level::debug, message_level::info, message_level::warn,
                 message_level::error, message_level::fatal})
    BOOST_TEST(static_cast<int>(*parse_message_level(to_string(l))) == static_cast<int>(l));
  BOOST_TEST(!parse_message_level("none").has_value());
  for (auto s : {message_source::native, message_source::otlp_logs, message_source::otlp_traces,
                 message_source::langfuse, message_source::webhook})
    BOOST_TEST(static_cast<int>(*parse_message_source(to_string(s))) == static_cast<int>(s));
}

BOOST_AUTO_TEST_SUITE_END()
