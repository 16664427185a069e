// The audit log as an auditor sees it: every state change leaves one event,
// readable through GET /audit and a token's history, chained by hashes that
// `sluiced verify-audit` and GET /audit/verification check; and no secret
// ever appears in it.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;
namespace fs = std::filesystem;

namespace {

shell_result verify_audit(const fs::path& data_dir) {
  return run_shell(std::string{std::getenv("SLUICED")} + " verify-audit --data-dir='"
                   + data_dir.string() + "' 2>&1");
}

/// Every event of the log, oldest first, following the cursor.
std::vector<json> all_events(sluice_fixture& f, const std::string& query = "") {
  std::vector<json> out;
  auto a = f.admin();
  std::string cursor;
  for (;;) {
    auto target = "/api/v1/audit?limit=2" + query + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = a.get(target, bearer(f.superuser()));
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    json page{r.body};
    for (std::size_t i = 0; i < page.size("/items"); ++i)
      out.emplace_back(page.raw("/items/" + std::to_string(i)));
    if (page.is_null("/next_cursor"))
      return out;
    cursor = page.str("/next_cursor");
  }
}

/// GET /api/v1/audit/verification as `caller`.
http_result verification(sluice_fixture& f, const std::string& caller) {
  return f.admin().get("/api/v1/audit/verification", bearer(caller));
}

/// Changes, in place, the byte of every copy of `needle` in the metadata
/// environment of `data_dir` (the server stopped) at `offset` into it, as
/// someone with write access to the data directory could.
std::size_t tamper(const fs::path& data_dir, const std::string& needle, std::size_t offset) {
  auto mdb = data_dir / "meta" / "data.mdb";
  std::string bytes;
  {
    std::ifstream in{mdb, std::ios::binary};
    bytes.assign(std::istreambuf_iterator<char>{in}, {});
  }
  std::size_t changed = 0;
  for (auto at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
    bytes[at + offset] = bytes[at + offset] == 'A' ? 'B' : 'A';
    ++changed;
  }
  std::ofstream out{mdb, std::ios::binary | std::ios::trunc};
  out << bytes;
  return changed;
}

} // namespace

BOOST_AUTO_TEST_SUITE(audit_log)

BOOST_AUTO_TEST_CASE(every_change_leaves_one_chained_event_and_no_secret) {
  sluice_fixture f;
  auto a = f.admin();
  auto su = bearer(f.superuser());
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto user = f.create_user(tenant, "admin");
  auto tok = f.mint(system, R"({"name":"app"})");
  BOOST_REQUIRE_EQUAL(
    a.request("PATCH", "/api/v1/tokens/" + tok.id, R"({"name":"app 2"})", su).status, 200u);
  // An edit that changes nothing leaves nothing (found in review: one event
  // each, with before equal to after).
  for (const std::string body : {R"({"name":"app 2"})", "{}"}) {
    auto same = a.request("PATCH", "/api/v1/tokens/" + tok.id, body, su);
    BOOST_REQUIRE_EQUAL(same.status, 200u);
    BOOST_TEST(json{same.body}.str("/name") == "app 2");
  }
  auto rotated = a.post("/api/v1/tokens/" + tok.id + "/rotate", R"({"reason":"scheduled"})", su);
  BOOST_REQUIRE_EQUAL(rotated.status, 200u);
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"leaked"})", su).status, 200u);
  // Reads change nothing and leave nothing.
  BOOST_REQUIRE_EQUAL(a.get("/api/v1/tokens/" + tok.id, su).status, 200u);

  auto events = all_events(f);
  std::vector<std::string> actions;
  for (auto& e : events)
    actions.push_back(e.str("/action"));
  // create_user also minted the user's personal token.
  BOOST_TEST(actions
               == (std::vector<std::string>{"superuser.create", "tenant.create", "system.create",
                                            "user.create", "token.create", "token.create",
                                            "token.update", "token.rotate", "token.revoke"}),
             boost::test_tools::per_element());
  // Chained: each names the one before it.
  for (std::size_t i = 1; i < events.size(); ++i)
    BOOST_TEST(events[i].str("/prev_hash") == events[i - 1].str("/hash"));
  BOOST_TEST(events[0].str("/prev_hash") == std::string(64, '0'));
  // Who, what, why, before and after.
  auto& revoke = events.back();
  BOOST_TEST(revoke.str("/actor/kind") == "user");
  BOOST_TEST(revoke.str("/token_id") == tok.id);
  BOOST_TEST(revoke.str("/system_id") == system);
  BOOST_TEST(revoke.str("/tenant_id") == tenant);
  BOOST_TEST(revoke.str("/reason") == "leaked");
  BOOST_TEST(revoke.str("/before/status") == "active");
  BOOST_TEST(revoke.str("/after/status") == "revoked");
  BOOST_TEST(events[6].str("/before/name") == "app");
  BOOST_TEST(events[6].str("/after/name") == "app 2");
  // No secret, and no secret's hash, anywhere.
  std::string text;
  for (auto& e : events)
    text += e.raw("");
  for (auto secret : {tok.secret, json{rotated.body}.str("/secret"), user.token, f.superuser()})
    BOOST_TEST(text.find(secret) == std::string::npos);
  for (auto& e : events)
    for (auto side : {"/before", "/after"})
      if (e.has(std::string{side} + "/hint")) { // a token's view
        BOOST_TEST(!e.has(std::string{side} + "/hash"));
        BOOST_TEST(!e.has(std::string{side} + "/previous_hash"));
      }
}

BOOST_AUTO_TEST_CASE(the_log_filters_by_tenant_token_actor_action_and_time) {
  sluice_fixture f;
  auto a = f.admin();
  auto acme = f.create_tenant("pro", "Acme");
  auto beta = f.create_tenant("pro", "Beta");
  auto acme_admin = f.create_user(acme, "admin");
  auto beta_admin = f.create_user(beta, "admin");
  auto system = f.create_system(acme);
  auto tok = f.mint(system, R"({"name":"app"})");
  BOOST_REQUIRE_EQUAL(a.post("/api/v1/tokens/" + tok.id + "/disable", R"({"reason":"pause"})",
                             bearer(acme_admin.token))
                        .status,
                      200u);
  auto count = [&](const std::string& query, const std::string& caller) {
    auto r = a.get("/api/v1/audit?limit=1000" + query, bearer(caller));
    BOOST_REQUIRE_MESSAGE(r.status == 200, query << ": " << r.body);
    return json{r.body}.size("/items");
  };
  auto su = f.superuser();
  BOOST_TEST(count("&token=" + tok.id, su) == 2u); // create, disable
  // token.*: the two admins' personal tokens, the ingest token, its disable.
  BOOST_TEST(count("&action=token.", su) == 4u);
  BOOST_TEST(count("&action=token.disable", su) == 1u);
  BOOST_TEST(count("&actor=" + acme_admin.id, su) == 1u);
  BOOST_TEST(count("&tenant=" + beta, su) == 3u); // tenant, user, the user's token
  BOOST_TEST(count("&since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z", su) == 0u);
  // A tenant admin reads its own tenant's events only; another's is not there.
  BOOST_TEST(count("", acme_admin.token) == count("&tenant=" + acme, su));
  auto r = a.get("/api/v1/audit?tenant=" + acme, bearer(beta_admin.token));
  BOOST_TEST(r.status == 404u);
  // A service token needs audit:read; a member has no such scope.
  auto member = f.create_user(acme, "member");
  BOOST_TEST(a.get("/api/v1/audit", bearer(member.token)).status == 403u);
  // A token's history is its events, in order.
  json history{a.get("/api/v1/tokens/" + tok.id + "/history", bearer(acme_admin.token)).body};
  BOOST_REQUIRE_EQUAL(history.size("/items"), 2u);
  BOOST_TEST(history.str("/items/0/action") == "token.create");
  BOOST_TEST(history.str("/items/1/action") == "token.disable");
  BOOST_TEST(history.str("/items/1/reason") == "pause");
}

BOOST_AUTO_TEST_CASE(verify_audit_finds_the_chain_whole_and_names_the_first_broken_link) {
  sluice_fixture f;
  auto a = f.admin();
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto tok = f.mint(system, R"({"name":"app"})");
  BOOST_REQUIRE_EQUAL(a.post("/api/v1/tokens/" + tok.id + "/revoke",
                             R"({"reason":"an-unmistakable-reason-42"})", bearer(f.superuser()))
                        .status,
                      200u);
  auto events = all_events(f);
  // While the server runs, on its own directory.
  auto ok = verify_audit(f.server().data_dir());
  BOOST_TEST(ok.status == 0, ok.output);
  BOOST_TEST(ok.output.find("audit chain whole: " + std::to_string(events.size()) + " events, head "
                            + events.back().str("/hash"))
               != std::string::npos,
             ok.output);

  // A copy with one byte of an event changed: caught, and named.
  f.server().terminate();
  temp_dir copy;
  fs::copy(f.server().data_dir(), copy.path() / "var", fs::copy_options::recursive);
  auto mdb = copy.path() / "var" / "meta" / "data.mdb";
  std::string bytes;
  {
    std::ifstream in{mdb, std::ios::binary};
    bytes.assign(std::istreambuf_iterator<char>{in}, {});
  }
  // The event's own copy of the reason (the token record has one too), in
  // every page that holds it (LMDB copies pages on write; old copies stay in
  // the file as free pages).
  const std::string needle = "\"reason\":\"an-unmistakable-reason-42\",\"before\"";
  std::size_t changed = 0;
  for (auto at = bytes.find(needle); at != std::string::npos; at = bytes.find(needle, at + 1)) {
    bytes[at + 10] = 'A';
    ++changed;
  }
  BOOST_REQUIRE(changed > 0);
  {
    std::ofstream out{mdb, std::ios::binary | std::ios::trunc};
    out << bytes;
  }
  auto broken = verify_audit(copy.path() / "var");
  BOOST_TEST(broken.status != 0);
  BOOST_TEST(broken.output.find("audit chain broken at " + events.back().str("/id"))
               != std::string::npos,
             broken.output);
  // Nothing there: said so, not reported whole.
  BOOST_TEST(verify_audit(copy.path() / "nothing").status != 0);
}

BOOST_AUTO_TEST_CASE(the_api_verifies_the_whole_chain_and_names_the_first_broken_event) {
  sluice_fixture f;
  auto su = f.superuser();
  // Fresh: the one event sluiced wrote at its first start, whole.
  {
    auto r = verification(f, su);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    json v{r.body};
    auto events = all_events(f);
    BOOST_REQUIRE_EQUAL(events.size(), 1u);
    BOOST_TEST(v.str("/status") == "whole");
    BOOST_TEST(v.num("/events_checked") == 1);
    BOOST_TEST(v.str("/head/id") == events.back().str("/id"));
    BOOST_TEST(v.str("/head/hash") == events.back().str("/hash"));
    BOOST_TEST(v.is_null("/broken_at"));
    BOOST_TEST(v.is_null("/problem"));
    BOOST_TEST(!v.str("/checked_at").empty());
  }

  // Busy: hundreds of changes, and ingest going on while it walks.
  auto a = f.admin();
  auto tenant = f.create_tenant("enterprise");
  auto system = f.create_system(tenant);
  auto admin = f.create_user(tenant, "admin");
  auto member = f.create_user(tenant, "member");
  auto bulk = a.post("/api/v1/systems/" + system + "/tokens/bulk",
                     R"({"count":300,"name":"fleet"})", bearer(su));
  BOOST_REQUIRE_MESSAGE(bulk.status == 201, bulk.body);
  auto tok = f.mint(system, R"({"name":"app"})");
  BOOST_REQUIRE_EQUAL(a.post("/api/v1/tokens/" + tok.id + "/revoke",
                             R"({"reason":"a-reason-only-this-event-has-17"})", bearer(su))
                        .status,
                      200u);
  auto sender = f.ingest_token();
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  std::thread ingest([&] {
    auto c = f.ingest();
    while (!stop)
      if (post_messages(c, sender.secret, R"({"message":"busy"})").status == 202)
        ++accepted;
  });
  std::vector<json> verdicts;
  for (int i = 0; i < 3; ++i) {
    auto r = verification(f, su);
    BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
    verdicts.emplace_back(r.body);
  }
  stop = true;
  ingest.join();
  BOOST_TEST(accepted > 0);
  auto events = all_events(f);
  // superuser, tenant, system, two users with their tokens, 300 + 1 tokens,
  // a revoke, and the tenant, system and token ingest_token() made.
  BOOST_REQUIRE_EQUAL(events.size(), 1u + 2 + 4 + 301 + 1 + 3);
  for (auto& v : verdicts) {
    BOOST_TEST(v.str("/status") == "whole");
    BOOST_TEST(v.num("/events_checked") == static_cast<std::int64_t>(events.size()));
    BOOST_TEST(v.str("/head/hash") == events.back().str("/hash"));
    BOOST_TEST(v.str("/head/id") == events.back().str("/id"));
  }
  BOOST_TEST_MESSAGE("verified " << events.size() << " events in "
                                 << verdicts.back().num("/duration_ms") << " ms");

  // Superusers only: the chain spans every tenant. A tenant admin (who
  // reads its own tenant's log), a member, and a service token holding
  // every scope are refused, and learn nothing of the chain.
  for (auto& caller : {admin.token, member.token}) {
    auto r = verification(f, caller);
    BOOST_TEST(r.status == 403u, r.body);
    BOOST_TEST(json{r.body}.str("/error/code") == "insufficient_scope");
    BOOST_TEST(r.body.find("only a superuser may verify audit chain") != std::string::npos, r.body);
    BOOST_TEST(r.body.find("events_checked") == std::string::npos);
  }
  BOOST_REQUIRE_EQUAL(a.get("/api/v1/audit", bearer(admin.token)).status, 200u);
  auto auditor = f.service_token(
    tenant, R"({"name":"auditor","scopes":["audit:read"],"reason":"reads the log"})", admin.token);
  BOOST_REQUIRE_EQUAL(a.get("/api/v1/audit", bearer(auditor.secret)).status, 200u);
  auto refused = verification(f, auditor.secret);
  BOOST_TEST(refused.status == 403u, refused.body);
  // No token at all, and a parameter it does not take.
  BOOST_TEST(f.admin().get("/api/v1/audit/verification", {}).status == 401u);
  BOOST_TEST(a.get("/api/v1/audit/verification?limit=1", bearer(su)).status == 400u);
  BOOST_TEST(a.post("/api/v1/audit/verification", "{}", bearer(su)).status == 405u);

  // Tampered while the server was down: one byte of the revoke event's
  // reason. The restarted server finds the chain broken at that event.
  std::string revoke_id;
  for (auto& e : all_events(f))
    if (e.str("/action") == "token.revoke" && e.str("/token_id") == tok.id)
      revoke_id = e.str("/id");
  BOOST_REQUIRE(!revoke_id.empty());
  auto data_dir = f.server().data_dir();
  BOOST_REQUIRE_EQUAL(f.server().terminate(), 0);
  BOOST_REQUIRE(tamper(data_dir, "\"reason\":\"a-reason-only-this-event-has-17\",\"before\"", 10)
                > 0);
  f.restart_after_crash();
  auto r = verification(f, su);
  BOOST_REQUIRE_MESSAGE(r.status == 200, r.body);
  json broken{r.body};
  BOOST_TEST(broken.str("/status") == "broken");
  BOOST_TEST(broken.str("/broken_at") == revoke_id);
  BOOST_TEST(broken.str("/problem") == "its hash does not match its content");
  BOOST_TEST(broken.is_null("/head"));
  // Every event up to the broken one was read, and no further.
  BOOST_TEST(broken.num("/events_checked") == static_cast<std::int64_t>(1 + 2 + 4 + 301 + 1));
  // The offline check agrees.
  auto offline = verify_audit(data_dir);
  BOOST_TEST(offline.output.find("audit chain broken at " + revoke_id) != std::string::npos,
             offline.output);
}

BOOST_AUTO_TEST_SUITE_END()
