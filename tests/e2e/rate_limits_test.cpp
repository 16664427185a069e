// Tier limits and token limits as clients see them: 429 with Retry-After,
// the rate-limit headers, sampling, shadow mode, and the bucket formula under
// 64 concurrent connections.

#include <boost/test/unit_test.hpp>

#include <thread>

#include "tests/e2e/fixture.hpp"
#include "tests/e2e/load.hpp"

using namespace sluice::e2e;

namespace {

std::string batch_of(int n) {
  std::string b = "[";
  for (int i = 0; i < n; ++i)
    b += std::string{i ? "," : ""} + R"({"message":"m"})";
  return b + "]";
}

/// A system of a tenant with these overrides, and an ingest token on it.
sluice_fixture::minted limited(sluice_fixture& f, const std::string& tier,
                               const std::string& overrides,
                               const std::string& token_body = R"({"name":"app"})") {
  return f.tenant_token(
    R"({"name":"limited","tier":")" + tier + R"(","overrides":)" + overrides + "}", token_body);
}

std::uint64_t header_number(const http_result& r, const std::string& name) {
  auto v = r.header(name);
  BOOST_REQUIRE_MESSAGE(!v.empty(), "no " << name << " header");
  return std::stoull(v);
}

/// The limits of /systems/me: (burst remaining, token remaining or -1).
std::pair<std::int64_t, std::int64_t> remaining(sluice_fixture& f, const std::string& secret) {
  auto c = f.ingest();
  json me{c.get("/systems/me", bearer(secret)).body};
  return {me.num("/limits/burst_remaining"),
          me.is_null("/limits/token") ? -1 : me.num("/limits/token/remaining")};
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limits)

BOOST_AUTO_TEST_CASE(every_authenticated_answer_carries_consistent_rate_headers) {
  sluice_fixture f;
  // 20 messages of burst capacity (burst 2/s x 10 s), refilling 1/s.
  auto tok = limited(f, "pro", R"({"steady_rate":1,"burst_rate":2})");
  auto c = f.ingest();
  auto ok = post_messages(c, tok.secret, batch_of(15));
  BOOST_REQUIRE_EQUAL(ok.status, 202u);
  BOOST_TEST(header_number(ok, "x-ratelimit-limit") == 20u);
  BOOST_TEST(header_number(ok, "x-ratelimit-remaining") == 5u);
  BOOST_TEST(header_number(ok, "x-ratelimit-reset") >= 14u); // 15 messages at 1/s
  BOOST_TEST(ok.header("ratelimit-policy") == R"("burst";q=20;w=10)");
  BOOST_TEST(ok.header("ratelimit") == R"("burst";r=5;t=)" + ok.header("x-ratelimit-reset"));
  BOOST_TEST(ok.header("x-al-sampled").empty());

  auto refused = post_messages(c, tok.secret, batch_of(10));
  BOOST_REQUIRE_EQUAL(refused.status, 429u);
  BOOST_TEST(json{refused.body}.str("/error/code") == "rate_limited");
  // 5 more messages at 1/s: this request fits in 5 s.
  auto retry = header_number(refused, "retry-after");
  BOOST_TEST(retry >= 4u);
  BOOST_TEST(retry <= 5u);
  BOOST_TEST(header_number(refused, "x-ratelimit-remaining") <= 5u);
  BOOST_TEST(!refused.header("ratelimit").empty());

  // Also a 400 of an authenticated client carries them; a 401 does not.
  auto invalid = post_messages(c, tok.secret, R"({"level":"info"})");
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST(!invalid.header("x-ratelimit-remaining").empty());
  auto unauthenticated = c.post("/messages", R"({"message":"x"})");
  BOOST_TEST(unauthenticated.status == 401u);
  BOOST_TEST(unauthenticated.header("x-ratelimit-remaining").empty());
}

BOOST_AUTO_TEST_CASE(the_token_limit_is_named_when_it_is_the_tighter_one) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","security":{"rate_limit":"3/minute"}})");
  auto c = f.ingest();
  for (int i = 0; i < 3; ++i) {
    auto r = post_messages(c, tok.secret, R"({"message":"x"})");
    BOOST_REQUIRE_EQUAL(r.status, 202u);
    BOOST_TEST(r.header("ratelimit-policy") == R"("burst";q=500000;w=10, "token";q=3;w=60)");
    BOOST_TEST(r.header("ratelimit").rfind(R"("token";r=)" + std::to_string(2 - i) + ";", 0) == 0u);
    BOOST_TEST(header_number(r, "x-ratelimit-limit") == 3u);
  }
  auto refused = post_messages(c, tok.secret, R"({"message":"x"})");
  BOOST_REQUIRE_EQUAL(refused.status, 429u);
  // One request flows back every 20 s.
  BOOST_TEST(header_number(refused, "retry-after") >= 19u);
  BOOST_TEST(header_number(refused, "retry-after") <= 20u);
  BOOST_TEST(json{refused.body}.str("/error/message").find("3/minute") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_request_refused_by_the_system_keeps_the_tokens_room) {
  sluice_fixture f;
  auto tok = limited(f, "pro", R"({"steady_rate":1,"burst_rate":2})",
                     R"({"name":"app","security":{"rate_limit":"5/hour"}})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(18)).status, 202u);
  auto before = remaining(f, tok.secret);
  BOOST_TEST(before.second == 4);
  // Refused by the system's bucket: the token's reservation is given back.
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(10)).status, 429u);
  auto after = remaining(f, tok.secret);
  BOOST_TEST(after.second == 4);
  BOOST_TEST(after.first <= before.first + 1); // took nothing; refilled a little at most
}

BOOST_AUTO_TEST_CASE(a_request_refused_by_the_token_keeps_the_systems_room) {
  sluice_fixture f;
  auto tok = limited(f, "pro", R"({"steady_rate":1,"burst_rate":10})",
                     R"({"name":"app","security":{"rate_limit":"2/hour"}})");
  auto c = f.ingest();
  for (int i = 0; i < 2; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  auto before = remaining(f, tok.secret);
  BOOST_TEST(before.first == 98);
  BOOST_TEST(before.second == 0);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(5)).status, 429u);
  auto after = remaining(f, tok.secret);
  BOOST_TEST(after.first >= 98); // the 5 messages were not taken
  BOOST_TEST(after.second == 0);
}

BOOST_AUTO_TEST_CASE(sixty_four_connections_get_exactly_what_the_system_bucket_allows) {
  sluice_fixture f;
  // Capacity 300 messages, refilling 200/s.
  auto tok = limited(f, "pro", R"({"steady_rate":200,"burst_rate":30})");
  auto result =
    hammer(f.server(), tok.secret, R"({"message":"load"})", 64, std::chrono::milliseconds(2000));
  auto accepted = static_cast<double>(result.accepted_messages);
  BOOST_TEST_MESSAGE("accepted " << accepted << " in " << result.elapsed_s
                                 << " s; 429s: " << result.statuses[429]);
  // Nothing over the limit: at most a full bucket plus the refill while any
  // request could still be admitted (one message of rounding at the edge).
  BOOST_TEST(accepted <= 300 + 200 * result.elapsed_s + 1);
  // And the limit is used, not undercut: the clients drained it throughout.
  BOOST_TEST(accepted >= 300 + 200 * (result.sending_s - 0.3) - 1);
  BOOST_TEST(result.statuses[429] > 0u);
  for (auto& [status, n] : result.statuses)
    BOOST_TEST((status == 202 || status == 429), "status " << status << " x" << n);
  BOOST_TEST(f.read_messages(f.last_system()).size() == result.accepted_messages);
}

BOOST_AUTO_TEST_CASE(sixty_four_connections_get_exactly_what_the_token_bucket_allows) {
  sluice_fixture f;
  auto tok =
    f.ingest_token("enterprise", R"({"name":"app","security":{"rate_limit":"100/second"}})");
  auto result =
    hammer(f.server(), tok.secret, R"({"message":"load"})", 64, std::chrono::milliseconds(2000));
  auto accepted = static_cast<double>(result.statuses[202]);
  BOOST_TEST_MESSAGE("accepted " << accepted << " requests in " << result.elapsed_s << " s");
  BOOST_TEST(accepted <= 100 + 100 * result.elapsed_s + 1);
  BOOST_TEST(accepted >= 100 + 100 * (result.sending_s - 0.3) - 1);
  BOOST_TEST(result.statuses[429] > 0u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == result.accepted_messages);
}

BOOST_AUTO_TEST_CASE(free_tier_samples_one_in_n_for_a_minute_after_the_cap) {
  sluice_fixture f;
  auto tok = limited(f, "free", R"({"steady_rate":1,"burst_rate":1,"sample_one_in":2})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(10)).status, 202u);
  auto capped = post_messages(c, tok.secret, R"({"message":"over"})");
  BOOST_REQUIRE_EQUAL(capped.status, 429u);
  BOOST_TEST(capped.header("x-al-sampled").empty()); // refusals are not "sampled"
  int acknowledged = 0;
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    auto r = post_messages(c, tok.secret, R"({"message":"while sampling"})");
    BOOST_REQUIRE_EQUAL(r.status, 202u);
    BOOST_TEST(r.header("x-al-sampled") == "true");
    BOOST_TEST(r.body == R"({"accepted":1,"duplicates":0})");
    ++acknowledged;
  }
  // One in two of the acknowledged ones was not stored, and usage says so.
  BOOST_TEST(f.read_messages(f.last_system()).size() == 10u + 2u);
  json usage{
    f.admin().get("/api/v1/systems/" + f.last_system() + "/usage", bearer(f.superuser())).body};
  BOOST_TEST(usage.num("/totals/sampled_requests") == 2);
  BOOST_TEST(usage.num("/totals/sampled_messages") == 2);
  BOOST_TEST(usage.num("/totals/rejected/rate_limited") == 1);
  // The token counted every request as stored when it let it on; what the
  // system decided instead (429, sampled) was settled before the answer.
  for (const std::string& who :
       {"/api/v1/systems/" + f.last_system(), "/api/v1/tokens/" + tok.id}) {
    json u{f.admin().get(who + "/usage", bearer(f.superuser())).body};
    BOOST_TEST(u.num("/totals/requests") == 5, who); // sampled ones are acknowledged
    BOOST_TEST(u.num("/totals/messages") == 12, who);
    BOOST_TEST(u.num("/totals/sampled_requests") == 2, who);
    BOOST_TEST(u.num("/totals/rejected/rate_limited") == 1, who);
    BOOST_TEST(u.num("/series/59/requests") + u.num("/series/58/requests") == 5, who);
  }
}

BOOST_AUTO_TEST_CASE(pro_tier_never_samples) {
  sluice_fixture f;
  auto tok = limited(f, "pro", R"({"steady_rate":1,"burst_rate":1})");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(10)).status, 202u);
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"over"})").status, 429u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto r = post_messages(c, tok.secret, R"({"message":"x"})");
  BOOST_TEST(r.status == 202u);
  BOOST_TEST(r.header("x-al-sampled").empty());
}

BOOST_AUTO_TEST_CASE(shadow_limits_are_counted_never_enforced) {
  sluice_fixture f;
  auto tok =
    limited(f, "free", R"({"steady_rate":1,"burst_rate":1,"shadow":true})",
            R"({"name":"app","security":{"rate_limit":"2/hour","rate_limit_shadow":true}})");
  auto c = f.ingest();
  for (int i = 0; i < 15; ++i)
    BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  BOOST_TEST(f.read_messages(f.last_system()).size() == 15u); // no sampling in shadow
  auto a = f.admin();
  json sys{a.get("/api/v1/systems/" + f.last_system() + "/usage", bearer(f.superuser())).body};
  // Capacity 10 refilling 1/s: 5 of the 15 are over (4 if they took more
  // than a second).
  BOOST_TEST(sys.num("/totals/shadow_limited") >= 4);
  BOOST_TEST(sys.num("/totals/shadow_limited") <= 5);
  BOOST_TEST(sys.num("/totals/rejected/rate_limited") == 0);
  json token{a.get("/api/v1/tokens/" + tok.id + "/usage", bearer(f.superuser())).body};
  BOOST_TEST(token.num("/totals/shadow_limited") == 13);
}

BOOST_AUTO_TEST_CASE(a_batch_larger_than_the_bucket_is_413_not_429) {
  sluice_fixture f;
  auto tok = limited(f, "pro", R"({"steady_rate":1,"burst_rate":1})");
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, batch_of(11));
  BOOST_TEST(r.status == 413u);
  BOOST_TEST(json{r.body}.str("/error/code") == "batch_too_large");
  BOOST_TEST(post_messages(c, tok.secret, batch_of(10)).status == 202u);
}

BOOST_AUTO_TEST_SUITE_END()
