// A tenant's contract: overrides and tier changes apply to its systems at
// once, and the tier table comes from the configuration.

#include <boost/test/unit_test.hpp>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

std::string batch_of(int n) {
  std::string b = "[";
  for (int i = 0; i < n; ++i)
    b += std::string{i ? "," : ""} + R"({"message":"m"})";
  return b + "]";
}

http_result patch_tenant(sluice_fixture& f, const std::string& tenant, const std::string& body) {
  auto a = f.admin();
  return a.request("PATCH", "/api/v1/tenants/" + tenant, body, bearer(f.superuser()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(tenant_overrides)

BOOST_AUTO_TEST_CASE(overrides_change_a_live_systems_limit_at_once_and_null_removes_them) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto tok = f.mint(system);
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, batch_of(30)).status, 202u);

  auto r = patch_tenant(f, tenant, R"({"overrides":{"steady_rate":1,"burst_rate":2}})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  json t{r.body};
  BOOST_TEST(t.num("/overrides/burst_rate") == 2);
  BOOST_TEST(t.num("/limits/burst_capacity") == 20);
  BOOST_TEST(t.num("/limits/inline_cap_bytes") == 256 * 1024); // untouched
  // The bucket keeps its level but is now 20 deep.
  auto limited = post_messages(c, tok.secret, batch_of(15));
  BOOST_TEST(limited.status == 202u);
  BOOST_TEST(limited.header("x-ratelimit-limit") == "20");
  BOOST_TEST(post_messages(c, tok.secret, batch_of(10)).status == 429u);

  r = patch_tenant(f, tenant, R"({"overrides":{"steady_rate":null,"burst_rate":null}})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.size("/overrides") == 0u);
  BOOST_TEST(post_messages(c, tok.secret, batch_of(10)).header("x-ratelimit-limit") == "500000");
}

BOOST_AUTO_TEST_CASE(a_retention_override_allows_longer_retention_than_the_tier) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_TEST(
    a.post("/api/v1/systems/" + system + "/tokens", R"({"name":"a","retention_days":365})", su)
      .status
    == 400u);
  BOOST_REQUIRE_EQUAL(patch_tenant(f, tenant, R"({"overrides":{"max_retention_days":365}})").status,
                      200u);
  auto r =
    a.post("/api/v1/systems/" + system + "/tokens", R"({"name":"a","retention_days":365})", su);
  BOOST_TEST(r.status == 201u);
  // The allowed list follows, and is what a refusal names.
  r = a.post("/api/v1/systems/" + system + "/tokens", R"({"name":"b","retention_days":730})", su);
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(json{r.body}.raw("/error/details/allowed") == "[7,30,90,180,365]");
}

BOOST_AUTO_TEST_CASE(a_tier_change_applies_to_caps_and_limits) {
  sluice_fixture f;
  auto tenant = f.create_tenant("free");
  auto system = f.create_system(tenant);
  auto tok = f.mint(system);
  auto c = f.ingest();
  std::string big = R"({"message":")" + std::string(20'000, 'x') + R"("})";
  BOOST_TEST(post_messages(c, tok.secret, big).status == 413u);
  auto r = patch_tenant(f, tenant, R"({"tier":"pro"})");
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/tier") == "pro");
  BOOST_TEST(post_messages(c, tok.secret, big).status == 202u);
  json me{c.get("/systems/me", bearer(tok.secret)).body};
  BOOST_TEST(me.str("/tier") == "pro");
  BOOST_TEST(me.num("/limits/steady_rate") == 5000);
  // The tokens-per-system cap follows too: free allowed 2, pro allows 50.
  for (int i = 0; i < 3; ++i)
    f.mint(system, R"({"name":"more"})");
}

BOOST_AUTO_TEST_CASE(bad_overrides_are_400_naming_the_field) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  for (auto body :
       {R"({"overrides":{"steady_rate":0}})", R"({"overrides":{"max_retention_days":45}})",
        R"({"overrides":{"sample_one_in":1}})", R"({"overrides":{"speed":9}})",
        R"({"overrides":{"sampling":"yes"}})", R"({"overrides":[]})"}) {
    auto r = patch_tenant(f, tenant, body);
    BOOST_TEST(r.status == 400u, body);
    BOOST_TEST(json{r.body}.str("/error/message").find("overrides") != std::string::npos, r.body);
  }
  json unchanged{f.admin().get("/api/v1/tenants/" + tenant, bearer(f.superuser())).body};
  BOOST_TEST(unchanged.size("/overrides") == 0u);
}

BOOST_AUTO_TEST_CASE(overrides_survive_a_restart) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto tok = f.mint(system);
  BOOST_REQUIRE_EQUAL(
    patch_tenant(f, tenant, R"({"overrides":{"burst_rate":1,"steady_rate":1}})").status, 200u);
  f.restart();
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, tok.secret, batch_of(11)).status == 413u); // never fits 10
  BOOST_TEST(post_messages(c, tok.secret, batch_of(10)).header("x-ratelimit-limit") == "10");
}

BOOST_AUTO_TEST_CASE(the_tier_table_comes_from_the_configuration) {
  sluice_fixture f{{"--tier-free.inline-cap-bytes=100", "--tier-free.steady-rate=7"}};
  auto tok = f.ingest_token("free");
  auto c = f.ingest();
  BOOST_TEST(
    post_messages(c, tok.secret, R"({"message":")" + std::string(100, 'x') + R"("})").status
    == 413u);
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"short"})").status == 202u);
  json me{c.get("/systems/me", bearer(tok.secret)).body};
  BOOST_TEST(me.num("/limits/inline_cap_bytes") == 100);
  BOOST_TEST(me.num("/limits/steady_rate") == 7);
}

BOOST_AUTO_TEST_CASE(a_tier_table_that_makes_no_sense_stops_the_server) {
  temp_dir dir;
  BOOST_CHECK_THROW(sluiced_process(dir.path() / "var", {"--tier-pro.max-retention-days=45"}),
                    std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
