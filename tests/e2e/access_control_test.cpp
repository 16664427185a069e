// Access control as an administrator and an integrator see it: users and
// their roles, personal and service tokens, risk, reasons and approvals,
// restrictions (IP allowlist, trusted proxies, hours), the lifecycle
// (expiry, disable, enable, revoke, rotation, break-glass).

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

std::string tenant_of(sluice_fixture& f, const std::string& body) {
  auto r = f.admin().post("/api/v1/tenants", body, bearer(f.superuser()));
  BOOST_REQUIRE_MESSAGE(r.status == 201, r.body);
  return json{r.body}.str("/id");
}

http_result put_security(sluice_fixture& f, const std::string& token, const std::string& body,
                         const std::string& caller) {
  return f.admin().request("PUT", "/api/v1/tokens/" + token + "/security", body, bearer(caller));
}

/// The current UTC hour of day.
int utc_hour() {
  auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_hour;
}

/// Admin Bob, made by `maker` (a tenant admin's secret), with a personal
/// token she set up for him: she knows its secret (secret_issued_to names
/// her).
sluice_fixture::person bob_set_up_by(sluice_fixture& f, const std::string& tenant,
                                     const std::string& maker) {
  auto a = f.admin();
  auto r = a.post("/api/v1/tenants/" + tenant + "/users",
                  R"({"name":"Bob","email":"bob@example.com","role":"admin"})", bearer(maker));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  sluice_fixture::person bob;
  bob.id = json{r.body}.str("/id");
  r = a.post("/api/v1/users/" + bob.id + "/tokens", R"({"name":"bob"})", bearer(maker));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  bob.token = json{r.body}.str("/secret");
  bob.token_id = json{r.body}.str("/token/id");
  return bob;
}

std::string hh(int h) {
  h = ((h % 24) + 24) % 24;
  return (h < 10 ? "0" : "") + std::to_string(h) + ":00";
}

} // namespace

BOOST_AUTO_TEST_SUITE(access_users)

BOOST_AUTO_TEST_CASE(a_tenant_admin_manages_users_and_a_viewer_only_reads) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto admin = f.create_user(tenant, "admin", "Ada");
  auto viewer = f.create_user(tenant, "viewer", "Vic");
  auto a = f.admin();
  // The admin creates a member; the viewer may list users but not make one.
  auto r =
    a.post("/api/v1/tenants/" + tenant + "/users",
           R"({"name":"Max","email":"max@example.com","role":"member"})", bearer(admin.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  json max{r.body};
  BOOST_TEST(max.str("/role") == "member");
  BOOST_TEST(max.boolean("/active"));
  BOOST_TEST(max.str("/tenant_id") == tenant);
  r = a.post("/api/v1/tenants/" + tenant + "/users",
             R"({"name":"Eve","email":"eve@example.com","role":"admin"})", bearer(viewer.token));
  expect_error(r, 403, "insufficient_scope");
  BOOST_TEST(json{r.body}.str("/error/message").find("users:write") != std::string::npos);
  r = a.get("/api/v1/tenants/" + tenant + "/users", bearer(viewer.token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.size("/items") == 3u);
  // An e-mail names one user of a tenant; superusers are not a tenant's role.
  expect_error(a.post("/api/v1/tenants/" + tenant + "/users",
                      R"({"name":"Max 2","email":"max@example.com","role":"member"})",
                      bearer(admin.token)),
               409, "conflict");
  expect_error(a.post("/api/v1/tenants/" + tenant + "/users",
                      R"({"name":"Root","email":"root@example.com","role":"superuser"})",
                      bearer(admin.token)),
               400, "invalid_argument");
  // Who am I: a person with its role's scopes.
  json me{a.get("/api/v1/me", bearer(viewer.token)).body};
  BOOST_TEST(me.str("/kind") == "user");
  BOOST_TEST(me.str("/user_id") == viewer.id);
  BOOST_TEST(me.str("/role") == "viewer");
  BOOST_TEST(me.raw("/scopes") == R"(["query","systems:read","tokens:read","users:read"])");
}

BOOST_AUTO_TEST_CASE(members_manage_ingest_tokens_and_nobody_sees_another_tenant) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto other = f.create_tenant("pro", "Other");
  auto system = f.create_system(tenant);
  auto foreign_system = f.create_system(other);
  auto member = f.create_user(tenant, "member");
  auto a = f.admin();
  auto r =
    a.post("/api/v1/systems/" + system + "/tokens", R"({"name":"app"})", bearer(member.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  auto id = json{r.body}.str("/token/id");
  BOOST_TEST(
    a.post("/api/v1/tokens/" + id + "/revoke", R"({"reason":"done"})", bearer(member.token)).status
    == 200u);
  // Another tenant's objects do not exist for it: 404, not 403.
  expect_error(a.get("/api/v1/systems/" + foreign_system, bearer(member.token)), 404, "not_found");
  expect_error(a.post("/api/v1/systems/" + foreign_system + "/tokens", R"({"name":"x"})",
                      bearer(member.token)),
               404, "not_found");
  expect_error(a.get("/api/v1/tenants/" + other, bearer(member.token)), 404, "not_found");
  // Platform operations are the superuser's.
  expect_error(a.post("/api/v1/tenants", R"({"name":"Mine"})", bearer(member.token)), 403,
               "insufficient_scope");
}

BOOST_AUTO_TEST_CASE(
  deactivating_a_user_refuses_its_tokens_at_once_and_reactivating_restores_them) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto user = f.create_user(tenant, "member");
  auto a = f.admin();
  auto su = bearer(f.superuser());
  auto r = a.post("/api/v1/users/" + user.id + "/tokens", R"({"name":"second"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  json second{r.body};
  // Both tokens are in use (their actors are live) when the user goes.
  BOOST_REQUIRE_EQUAL(a.get("/api/v1/me", bearer(user.token)).status, 200u);
  BOOST_REQUIRE_EQUAL(a.get("/api/v1/me", bearer(second.str("/secret"))).status, 200u);
  r = a.request("PATCH", "/api/v1/users/" + user.id, R"({"active":false,"reason":"left"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(!json{r.body}.boolean("/active"));
  expect_error(a.get("/api/v1/me", bearer(user.token)), 401, "user_inactive");
  expect_error(a.get("/api/v1/me", bearer(second.str("/secret"))), 401, "user_inactive");
  // Revoked meanwhile: stays revoked when the user comes back.
  BOOST_REQUIRE_EQUAL(a.post("/api/v1/tokens/" + second.str("/token/id") + "/revoke",
                             R"({"reason":"lost laptop"})", su)
                        .status,
                      200u);
  BOOST_REQUIRE_EQUAL(
    a.request("PATCH", "/api/v1/users/" + user.id, R"({"active":true})", su).status, 200u);
  BOOST_TEST(a.get("/api/v1/me", bearer(user.token)).status == 200u);
  expect_error(a.get("/api/v1/me", bearer(second.str("/secret"))), 401, "token_revoked");
}

BOOST_AUTO_TEST_CASE(a_personal_token_acts_with_its_users_role_and_the_audit_log_names_the_user) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto user = f.create_user(tenant, "member");
  auto a = f.admin();
  auto r =
    a.post("/api/v1/tenants/" + tenant + "/systems", R"({"name":"web"})", bearer(user.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  auto system = json{r.body}.str("/id");
  // A role change applies to its live tokens from the next request.
  BOOST_REQUIRE_EQUAL(
    a.request("PATCH", "/api/v1/users/" + user.id, R"({"role":"viewer"})", bearer(f.superuser()))
      .status,
    200u);
  expect_error(
    a.post("/api/v1/tenants/" + tenant + "/systems", R"({"name":"api"})", bearer(user.token)), 403,
    "insufficient_scope");
  json events{
    a.get("/api/v1/audit?action=system.create&system=" + system, bearer(f.superuser())).body};
  BOOST_REQUIRE_EQUAL(events.size("/items"), 1u);
  BOOST_TEST(events.str("/items/0/actor/kind") == "user");
  BOOST_TEST(events.str("/items/0/actor/user_id") == user.id);
  BOOST_TEST(events.str("/items/0/actor/token_id") == user.token_id);
  BOOST_TEST(events.str("/items/0/client_ip") == "127.0.0.1");
  // A user cannot raise itself, nor switch itself off.
  auto admin = f.create_user(tenant, "admin");
  expect_error(
    a.request("PATCH", "/api/v1/users/" + admin.id, R"({"role":"member"})", bearer(admin.token)),
    403, "forbidden");
}

BOOST_AUTO_TEST_CASE(a_superuser_stays_a_superuser) {
  sluice_fixture f;
  auto a = f.admin();
  // A second superuser, made the documented way while the server runs.
  std::string cmd = std::string{std::getenv("SLUICED")} + " create-superuser --data-dir='"
                    + f.server().data_dir().string() + "'";
  auto printed = run_shell(cmd).output;
  auto out = printed.substr(0, printed.find('\n'));
  BOOST_REQUIRE(out.rfind("superuser token: alu_", 0) == 0u);
  auto second = out.substr(17, out.find_last_not_of("\n") - 16);
  json me{a.get("/api/v1/me", bearer(second)).body};
  BOOST_TEST(me.boolean("/superuser"));
  // It cannot be made a tenant role it has no tenant for; nor can one demote itself.
  expect_error(a.request("PATCH", "/api/v1/users/" + me.str("/user_id"), R"({"role":"admin"})",
                         bearer(f.superuser())),
               409, "conflict");
  expect_error(a.request("PATCH", "/api/v1/users/" + me.str("/user_id"), R"({"role":"admin"})",
                         bearer(second)),
               403, "forbidden");
}

BOOST_AUTO_TEST_CASE(ingest_and_admin_tokens_stay_on_their_own_port) {
  sluice_fixture f;
  auto ingest = f.ingest_token();
  auto tenant =
    json{f.admin().get("/api/v1/systems/" + f.last_system(), bearer(f.superuser())).body}.str(
      "/tenant_id");
  auto user = f.create_user(tenant, "admin");
  auto service = f.service_token(tenant, R"({"name":"ci","scopes":["systems:read"]})", user.token);
  auto c = f.ingest();
  expect_error(post_messages(c, user.token, R"({"message":"x"})"), 403, "insufficient_scope");
  expect_error(post_messages(c, service.secret, R"({"message":"x"})"), 403, "insufficient_scope");
  expect_error(f.admin().get("/api/v1/me", bearer(ingest.secret)), 403, "insufficient_scope");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_approvals)

BOOST_AUTO_TEST_CASE(risk_is_derived_and_medium_or_high_risk_needs_a_reason) {
  sluice_fixture f;
  auto tenant = tenant_of(f, R"({"name":"Acme","tier":"pro","approval":"none"})");
  auto admin = f.create_user(tenant, "admin");
  auto a = f.admin();
  auto r = a.post("/api/v1/tenants/" + tenant + "/tokens",
                  R"({"name":"r","scopes":["systems:read"]})", bearer(admin.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  BOOST_TEST(json{r.body}.str("/token/risk") == "low");
  BOOST_TEST(json{r.body}.str("/secret").rfind("als_", 0) == 0u);
  r = a.post("/api/v1/tenants/" + tenant + "/tokens",
             R"({"name":"q","scopes":["systems:read","query"]})", bearer(admin.token));
  expect_error(r, 400, "invalid_argument");
  BOOST_TEST(json{r.body}.str("/error/message").find("reason") != std::string::npos);
  r = a.post("/api/v1/tenants/" + tenant + "/tokens",
             R"({"name":"q","scopes":["systems:read","query"],"reason":"dashboards"})",
             bearer(admin.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  BOOST_TEST(json{r.body}.str("/token/risk") == "medium");
  BOOST_TEST(json{r.body}.str("/token/reason") == "dashboards");
  r = a.post("/api/v1/tenants/" + tenant + "/tokens",
             R"({"name":"w","scopes":["tokens:write"],"reason":"rotation bot"})",
             bearer(admin.token));
  BOOST_REQUIRE_EQUAL(r.status, 201u); // approval "none": no wait
  BOOST_TEST(json{r.body}.str("/token/risk") == "high");
  BOOST_TEST(json{r.body}.str("/token/status") == "active");
}

BOOST_AUTO_TEST_CASE(a_high_risk_token_waits_for_a_second_admin) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro"); // approval: high (the default)
  auto alice = f.create_user(tenant, "admin", "Alice");
  auto bob = f.create_user(tenant, "admin", "Bob");
  auto a = f.admin();
  auto r = a.post("/api/v1/tenants/" + tenant + "/tokens",
                  R"({"name":"deployer","scopes":["tokens:write"],"reason":"CD pipeline"})",
                  bearer(alice.token));
  BOOST_REQUIRE_EQUAL(r.status, 202u);
  json minted{r.body};
  auto secret = minted.str("/secret"); // shown once, now, as at any mint
  BOOST_TEST(minted.str("/token/status") == "pending_approval");
  auto approval = minted.str("/token/approval_id");
  expect_error(a.get("/api/v1/me", bearer(secret)), 401, "token_pending");

  r = a.get("/api/v1/approvals?status=pending", bearer(bob.token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  json pending{r.body};
  BOOST_REQUIRE_EQUAL(pending.size("/items"), 1u);
  BOOST_TEST(pending.str("/items/0/id") == approval);
  BOOST_TEST(pending.str("/items/0/requested_by") == alice.id);
  BOOST_TEST(pending.str("/items/0/risk") == "high");
  BOOST_TEST(pending.str("/items/0/reason") == "CD pipeline");

  // Four eyes: the requester cannot approve, a member cannot decide at all.
  expect_error(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(alice.token)), 403,
               "forbidden");
  auto member = f.create_user(tenant, "member");
  expect_error(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(member.token)),
               403, "insufficient_scope");
  r = a.post("/api/v1/approvals/" + approval + "/approve", R"({"reason":"reviewed"})",
             bearer(bob.token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/status") == "approved");
  BOOST_TEST(json{r.body}.str("/decided_by") == bob.id);
  json me{a.get("/api/v1/me", bearer(secret)).body};
  BOOST_TEST(me.str("/kind") == "service");
  BOOST_TEST(me.raw("/scopes") == R"(["tokens:write"])");
  // Decided once only.
  expect_error(
    a.post("/api/v1/approvals/" + approval + "/reject", R"({"reason":"late"})", bearer(bob.token)),
    409, "conflict");
}

BOOST_AUTO_TEST_CASE(revoking_a_waiting_token_closes_its_approval) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto alice = f.create_user(tenant, "admin");
  auto pending = f.service_token(
    tenant, R"({"name":"w","scopes":["users:write"],"reason":"HR sync"})", alice.token, 202);
  auto a = f.admin();
  BOOST_REQUIRE_EQUAL(a.post("/api/v1/tokens/" + pending.id + "/revoke",
                             R"({"reason":"not needed after all"})", bearer(alice.token))
                        .status,
                      200u);
  json left{a.get("/api/v1/approvals?status=pending", bearer(f.superuser())).body};
  BOOST_TEST(left.size("/items") == 0u);
  json closed{a.get("/api/v1/approvals?status=rejected", bearer(f.superuser())).body};
  BOOST_REQUIRE_EQUAL(closed.size("/items"), 1u);
  BOOST_TEST(closed.str("/items/0/decision_reason").find("not needed after all")
             != std::string::npos);
}

// Found in review: Bob rotated the token Alice asked for (taking its only
// working secret, with no grace) and approved it himself: the one person
// who could use the approved token was the one who let it in.
BOOST_AUTO_TEST_CASE(who_rotated_a_waiting_token_does_not_decide_it) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto alice = f.create_user(tenant, "admin", "Alice");
  auto bob = f.create_user(tenant, "admin", "Bob");
  auto carol = f.create_user(tenant, "admin", "Carol");
  auto wanted = f.service_token(
    tenant, R"({"name":"alice-wants","scopes":["admin"],"reason":"automation"})", alice.token, 202);
  auto a = f.admin();
  auto r =
    a.post("/api/v1/tokens/" + wanted.id + "/rotate", R"({"reason":"grab"})", bearer(bob.token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto grabbed = json{r.body}.str("/secret");
  auto approval =
    json{a.get("/api/v1/tokens/" + wanted.id, bearer(alice.token)).body}.str("/approval_id");
  r = a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(bob.token));
  expect_error(r, 403, "forbidden");
  BOOST_TEST(json{r.body}.str("/error/message").find("you hold this token's secret")
             != std::string::npos);
  expect_error(a.get("/api/v1/me", bearer(grabbed)), 401, "token_pending");
  // Nor Alice, who asked; Carol, who neither asked nor holds it, decides.
  expect_error(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(alice.token)), 403,
               "forbidden");
  BOOST_TEST(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(carol.token)).status
             == 200u);
  BOOST_TEST(a.get("/api/v1/me", bearer(grabbed)).status == 200u);
}

BOOST_AUTO_TEST_CASE(four_eyes_compare_people_not_their_credentials) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto alice = f.create_user(tenant, "admin");
  auto bob = f.create_user(tenant, "admin");
  // Alice's own admin service token asks; Alice may not decide it with her
  // personal token either.
  auto bot = f.service_token(tenant, R"({"name":"bot","scopes":["admin"],"reason":"automation"})",
                             alice.token, 202);
  auto a = f.admin();
  auto approval =
    json{a.get("/api/v1/tokens/" + bot.id, bearer(alice.token)).body}.str("/approval_id");
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(bob.token)).status, 200u);
  auto asked = f.service_token(
    tenant, R"({"name":"w","scopes":["tokens:write"],"reason":"rotation"})", bot.secret, 202);
  auto second =
    json{a.get("/api/v1/tokens/" + asked.id, bearer(alice.token)).body}.str("/approval_id");
  expect_error(a.post("/api/v1/approvals/" + second + "/approve", "{}", bearer(alice.token)), 403,
               "forbidden");
  BOOST_TEST(a.post("/api/v1/approvals/" + second + "/approve", "{}", bearer(bob.token)).status
             == 200u);
  // Carol rotates Alice's token and takes its secret: what she asks through
  // it is hers (and still Alice's, who made it); neither decides it.
  auto carol = f.create_user(tenant, "admin");
  auto r = a.post("/api/v1/tokens/" + bot.id + "/rotate", "{}", bearer(carol.token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/token/secret_issued_to") == carol.id);
  auto third =
    f.service_token(tenant, R"({"name":"x","scopes":["tokens:write"],"reason":"carol's"})",
                    json{r.body}.str("/secret"), 202);
  auto approval3 =
    json{a.get("/api/v1/tokens/" + third.id, bearer(alice.token)).body}.str("/approval_id");
  for (const auto* asker : {&carol, &alice})
    expect_error(a.post("/api/v1/approvals/" + approval3 + "/approve", "{}", bearer(asker->token)),
                 403, "forbidden");
  BOOST_TEST(a.post("/api/v1/approvals/" + approval3 + "/approve", "{}", bearer(bob.token)).status
             == 200u);
}

BOOST_AUTO_TEST_CASE(a_decider_holding_a_secret_the_requester_handed_out_cannot_decide) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto alice = f.create_user(tenant, "admin");
  auto a = f.admin();
  // Alice makes Bob and hands him his first secret: she knows it.
  auto bob = bob_set_up_by(f, tenant, alice.token);
  const auto& bob_id = bob.id;
  const auto& bob_token = bob.token;
  const auto& bob_token_id = bob.token_id;
  auto r = a.get("/api/v1/tokens/" + bob_token_id, bearer(alice.token));
  BOOST_TEST(json{r.body}.str("/secret_issued_to") == alice.id);
  auto pending = f.service_token(tenant, R"({"name":"w","scopes":["tokens:write"],"reason":"x"})",
                                 alice.token, 202);
  auto approval =
    json{a.get("/api/v1/tokens/" + pending.id, bearer(alice.token)).body}.str("/approval_id");
  r = a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(bob_token));
  expect_error(r, 403, "forbidden");
  BOOST_TEST(json{r.body}.str("/error/message").find("someone else") != std::string::npos);
  // Whatever Bob does with that secret, Alice could have done: a rotation
  // through it is still hers to hold.
  r = a.post("/api/v1/tokens/" + bob_token_id + "/rotate", "{}", bearer(bob_token));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/token/secret_issued_to") == alice.id);
  expect_error(
    a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(json{r.body}.str("/secret"))),
    403, "forbidden");
  // A secret from someone else (here the superuser) lets Bob decide.
  r = a.post("/api/v1/users/" + bob_id + "/tokens", R"({"name":"bob, from the platform"})",
             bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(r.status, 201u);
  BOOST_TEST(
    a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(json{r.body}.str("/secret")))
      .status
    == 200u);
}

// Found in review: what an admin asked through a personal token she set up
// for someone else counted as that person's request only, so she could
// approve it herself.
BOOST_AUTO_TEST_CASE(a_request_made_with_a_secret_someone_set_up_is_theirs_too) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto alice = f.create_user(tenant, "admin");
  auto carol = f.create_user(tenant, "admin");
  auto a = f.admin();
  auto bob = bob_set_up_by(f, tenant, alice.token); // Alice has Bob's secret
  auto asked = f.service_token(
    tenant, R"({"name":"w","scopes":["tokens:write"],"reason":"as bob"})", bob.token, 202);
  auto approval =
    json{a.get("/api/v1/tokens/" + asked.id, bearer(alice.token)).body}.str("/approval_id");
  expect_error(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(alice.token)), 403,
               "forbidden");
  BOOST_TEST(a.post("/api/v1/approvals/" + approval + "/approve", "{}", bearer(carol.token)).status
             == 200u);
}

BOOST_AUTO_TEST_CASE(a_person_cannot_lift_restrictions_an_admin_put_on_its_tokens) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto member = f.create_user(tenant, "member");
  auto admin = f.create_user(tenant, "admin");
  auto a = f.admin();
  auto path = "/api/v1/tokens/" + member.token_id;
  BOOST_REQUIRE_EQUAL(a.request("PUT", path + "/security",
                                R"({"ip_allowlist":["127.0.0.1"],"reason":"office only"})",
                                bearer(admin.token))
                        .status,
                      200u);
  expect_error(
    a.request("PUT", path + "/security", R"({"reason":"I travel"})", bearer(member.token)), 403,
    "insufficient_scope");
  // Its own token it may still rename, disable and revoke.
  BOOST_TEST(a.request("PATCH", path, R"({"name":"work laptop"})", bearer(member.token)).status
             == 200u);
  BOOST_TEST(a.post(path + "/disable", R"({"reason":"on leave"})", bearer(member.token)).status
             == 200u);
  expect_error(a.post(path + "/enable", R"({"reason":"back"})", bearer(member.token)), 401,
               "token_disabled");
  BOOST_TEST(a.post(path + "/enable", R"({"reason":"back"})", bearer(admin.token)).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_rejection_revokes_the_token) {
  sluice_fixture f;
  auto tenant = tenant_of(f, R"({"name":"Acme","tier":"pro","approval":"medium"})");
  auto alice = f.create_user(tenant, "admin");
  auto pending =
    f.service_token(tenant, R"({"name":"reader","scopes":["audit:read"],"reason":"SIEM export"})",
                    alice.token, 202);
  auto a = f.admin();
  json tok{a.get("/api/v1/tokens/" + pending.id, bearer(alice.token)).body};
  auto approval = tok.str("/approval_id");
  expect_error(a.post("/api/v1/approvals/" + approval + "/reject", "{}", bearer(f.superuser())),
               400,
               "invalid_argument"); // a rejection says why
  auto r = a.post("/api/v1/approvals/" + approval + "/reject", R"({"reason":"too broad"})",
                  bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/status") == "rejected");
  expect_error(a.get("/api/v1/me", bearer(pending.secret)), 401, "token_revoked");
  json after{a.get("/api/v1/tokens/" + pending.id, bearer(alice.token)).body};
  BOOST_TEST(after.str("/status") == "revoked");
}

BOOST_AUTO_TEST_CASE(nobody_hands_out_more_than_it_holds_and_public_tokens_only_query) {
  sluice_fixture f;
  auto tenant = tenant_of(f, R"({"name":"Acme","tier":"pro","approval":"none"})");
  auto system = f.create_system(tenant);
  auto member = f.create_user(tenant, "member");
  auto a = f.admin();
  auto r = a.post("/api/v1/tenants/" + tenant + "/tokens",
                  R"({"name":"root","scopes":["admin"],"reason":"please"})", bearer(member.token));
  expect_error(r, 403, "insufficient_scope");
  BOOST_TEST(json{r.body}.str("/error/message").find("admin") != std::string::npos);
  // Public: ingest and query only, and never the management API.
  expect_error(a.post("/api/v1/tenants/" + tenant + "/tokens",
                      R"({"name":"pub","scopes":["systems:read"],"public":true})",
                      bearer(f.superuser())),
               400, "invalid_argument");
  auto pub = f.service_token(
    tenant, R"({"name":"pub","scopes":["query"],"public":true,"reason":"browser dashboard"})",
    f.superuser());
  BOOST_TEST(a.get("/api/v1/systems/" + system + "/messages", bearer(pub.secret)).status == 200u);
  expect_error(a.get("/api/v1/systems/" + system, bearer(pub.secret)), 403, "insufficient_scope");
  // query limited to listed systems.
  auto other = f.create_system(tenant, "other");
  auto limited = f.service_token(tenant,
                                 R"({"name":"one","scopes":["query"],"query_systems":[")" + system
                                   + R"("],"reason":"one app"})",
                                 f.superuser());
  BOOST_TEST(a.get("/api/v1/systems/" + system + "/messages", bearer(limited.secret)).status
             == 200u);
  expect_error(a.get("/api/v1/systems/" + other + "/messages", bearer(limited.secret)), 403,
               "insufficient_scope");
  // A token so limited hands out no query that reaches further: neither a
  // new token's, nor a wider token's secret by rotating it.
  auto minter =
    f.service_token(tenant,
                    R"({"name":"minter","scopes":["query","tokens:write"],"query_systems":[")"
                      + system + R"("],"reason":"one app's readers"})",
                    f.superuser());
  r = a.post("/api/v1/tenants/" + tenant + "/tokens",
             R"({"name":"wide","scopes":["query"],"reason":"all of them"})", bearer(minter.secret));
  expect_error(r, 403, "insufficient_scope");
  BOOST_TEST(json{r.body}.str("/error/message").find("query_systems") != std::string::npos);
  expect_error(a.post("/api/v1/tenants/" + tenant + "/tokens",
                      R"({"name":"other","scopes":["query"],"query_systems":[")" + other
                        + R"("],"reason":"the other app"})",
                      bearer(minter.secret)),
               403, "insufficient_scope");
  expect_error(a.post("/api/v1/tokens/" + pub.id + "/rotate", "{}", bearer(minter.secret)), 403,
               "insufficient_scope");
  auto narrow = f.service_token(tenant,
                                R"({"name":"narrow","scopes":["query"],"query_systems":[")" + system
                                  + R"("],"reason":"the same app"})",
                                minter.secret);
  BOOST_TEST(a.get("/api/v1/systems/" + system + "/messages", bearer(narrow.secret)).status
             == 200u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_restrictions)

BOOST_AUTO_TEST_CASE(an_ip_allowlist_refuses_other_addresses_and_changes_need_a_reason) {
  sluice_fixture f;
  auto tok = f.ingest_token("pro", R"({"name":"app","security":{"ip_allowlist":["10.0.0.0/8"]}})");
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, R"({"message":"x"})");
  expect_error(r, 403, "ip_not_allowed");
  auto su = f.superuser();
  expect_error(put_security(f, tok.id, R"({"ip_allowlist":["127.0.0.1"]})", su), 400,
               "invalid_argument");
  expect_error(put_security(f, tok.id, R"({"ip_allowlist":["10.0.0.1/8"],"reason":"x"})", su), 400,
               "invalid_argument");
  // Each bad entry is named, an empty one too (found in review: "has more
  // than 100 entries" for a list of one or two).
  for (auto [list, entry] : {std::pair{R"([""])", R"("")"}, std::pair{R"(["1.2.3.4",""])", R"("")"},
                             std::pair{R"(["1.2.3.4","10.0.0.1/8"])", R"("10.0.0.1/8")"}}) {
    auto bad =
      put_security(f, tok.id, R"({"ip_allowlist":)" + std::string{list} + R"(,"reason":"x"})", su);
    expect_error(bad, 400, "invalid_argument");
    BOOST_TEST(json{bad.body}.str("/error/message")
               == R"("ip_allowlist" has )" + std::string{entry}
                    + ", which is not an IP address or CIDR range");
  }
  std::string many = R"({"reason":"x","ip_allowlist":[)";
  for (int i = 0; i < 101; ++i)
    many += (i ? "," : "") + std::string{"\"10.0.0."} + std::to_string(i) + "\"";
  auto over = put_security(f, tok.id, many + "]}", su);
  expect_error(over, 400, "invalid_argument");
  BOOST_TEST(json{over.body}.str("/error/message")
             == R"("ip_allowlist" has more than 100 entries)");
  r = put_security(f, tok.id,
                   R"({"ip_allowlist":["10.0.0.0/8","127.0.0.1/32","::1"],"reason":"local agent"})",
                   su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.raw("/security/ip_allowlist") == R"(["10.0.0.0/8","127.0.0.1","::1"])");
  // In force when the call returned.
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  // Audited with before and after.
  json events{
    f.admin().get("/api/v1/audit?action=token.security&token=" + tok.id, bearer(su)).body};
  BOOST_REQUIRE_EQUAL(events.size("/items"), 1u);
  BOOST_TEST(events.str("/items/0/reason") == "local agent");
  BOOST_TEST(events.raw("/items/0/before/security/ip_allowlist") == R"(["10.0.0.0/8"])");
  BOOST_TEST(events.raw("/items/0/after/security/ip_allowlist")
             == R"(["10.0.0.0/8","127.0.0.1","::1"])");
}

// Found in review: on a dual-stack port an IPv4 client arrives as
// ::ffff:127.0.0.1; the allowlist matched it as 127.0.0.1, but the refusal
// and last_ip showed the mapped form.
BOOST_AUTO_TEST_CASE(an_ipv4_client_of_a_dual_stack_port_is_shown_as_ipv4) {
  sluice_fixture f{{"--ingest-host=::"}};
  auto fenced =
    f.ingest_token("pro", R"({"name":"app","security":{"ip_allowlist":["203.0.113.0/24"]}})");
  auto open = f.mint(f.last_system());
  auto c = f.ingest();
  auto r = post_messages(c, fenced.secret, R"({"message":"x"})");
  expect_error(r, 403, "ip_not_allowed");
  BOOST_TEST(json{r.body}.str("/error/message") == "this token may not be used from 127.0.0.1");
  BOOST_REQUIRE_EQUAL(post_messages(c, open.secret, R"({"message":"x"})").status, 202u);
  json t{f.admin().get("/api/v1/tokens/" + open.id, bearer(f.superuser())).body};
  BOOST_TEST(t.str("/last_ip") == "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(forwarded_for_counts_only_from_a_trusted_proxy) {
  // Without trusted proxies, a forged header changes nothing.
  {
    sluice_fixture f;
    auto tok =
      f.ingest_token("pro", R"({"name":"app","security":{"ip_allowlist":["203.0.113.7"]}})");
    auto c = f.ingest();
    auto r =
      c.post("/messages", R"({"message":"x"})",
             {{"Authorization", "Bearer " + tok.secret}, {"X-Forwarded-For", "203.0.113.7"}});
    expect_error(r, 403, "ip_not_allowed");
  }
  // Behind a trusted proxy (here: loopback), the right-most untrusted
  // address is the client, whatever the client put left of it.
  sluice_fixture f{{"--trusted-proxies=127.0.0.1, 10.0.0.0/8"}};
  auto tok = f.ingest_token("pro", R"({"name":"app","security":{"ip_allowlist":["203.0.113.7"]}})");
  auto c = f.ingest();
  auto post = [&](const std::string& xff) {
    return c.post("/messages", R"({"message":"x"})",
                  {{"Authorization", "Bearer " + tok.secret}, {"X-Forwarded-For", xff}});
  };
  BOOST_TEST(post("203.0.113.7").status == 202u);
  BOOST_TEST(post("198.51.100.1, 203.0.113.7, 10.1.2.3").status == 202u);
  expect_error(post("203.0.113.7, 198.51.100.1"), 403, "ip_not_allowed");
  json t{f.admin().get("/api/v1/tokens/" + tok.id, bearer(f.superuser())).body};
  BOOST_TEST(t.str("/last_ip") == "203.0.113.7");
}

BOOST_AUTO_TEST_CASE(a_time_restriction_refuses_outside_its_hours) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto su = f.superuser();
  auto now = utc_hour();
  // A window that ends two hours ago and starts in two hours: not now.
  auto r = put_security(f, tok.id,
                        R"({"time_restriction":{"hours":")" + hh(now + 2) + "-" + hh(now - 2)
                          + R"("},"reason":"business hours"})",
                        su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 403, "outside_allowed_hours");
  // One around now (it may wrap midnight), and only on no day but today.
  static const char* days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  auto today = days[tm.tm_wday];
  auto yesterday = days[(tm.tm_wday + 6) % 7];
  r = put_security(f, tok.id,
                   R"({"time_restriction":{"hours":")" + hh(now - 1) + "-" + hh(now + 2)
                     + R"(","days":[")" + (now >= 1 ? today : yesterday)
                     + R"("]},"reason":"on call"})",
                   su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  expect_error(put_security(f, tok.id, R"({"time_restriction":{"hours":"9-17"},"reason":"x"})", su),
               400, "invalid_argument");
}

BOOST_AUTO_TEST_CASE(break_glass_lifts_ip_and_hours_for_its_window_only) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto tok = f.mint(
    system, R"({"name":"app","security":{"ip_allowlist":["10.0.0.0/8"],"rate_limit":"2/hour"}})");
  auto admin = f.create_user(tenant, "admin");
  auto c = f.ingest();
  auto a = f.admin();
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 403, "ip_not_allowed");
  // Superusers only; 1 to 8 hours; with a reason.
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/emergency-access",
                      R"({"duration_hours":1,"reason":"incident"})", bearer(admin.token)),
               403, "insufficient_scope");
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/emergency-access",
                      R"({"duration_hours":9,"reason":"incident"})", bearer(f.superuser())),
               400, "invalid_argument");
  auto r = a.post("/api/v1/tokens/" + tok.id + "/emergency-access",
                  R"({"duration_hours":2,"reason":"INC-42: VPN down"})", bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(!json{r.body}.is_null("/security/emergency_until"));
  BOOST_TEST(json{r.body}.str("/security/emergency_reason") == "INC-42: VPN down");
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  // The rate limit still applies.
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 429, "rate_limited");
  // Ended early: restrictions are back at once.
  r = a.request("DELETE", "/api/v1/tokens/" + tok.id + "/emergency-access",
                R"({"reason":"VPN back"})", bearer(f.superuser()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.is_null("/security/emergency_until"));
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 403, "ip_not_allowed");
  json events{a.get("/api/v1/tokens/" + tok.id + "/history", bearer(f.superuser())).body};
  std::string actions;
  for (std::size_t i = 0; i < events.size("/items"); ++i)
    actions += events.str("/items/" + std::to_string(i) + "/action") + " ";
  BOOST_TEST(actions == "token.create token.emergency_start token.emergency_end ");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(access_lifecycle)

BOOST_AUTO_TEST_CASE(an_expired_token_is_refused_and_shows_as_expired) {
  sluice_fixture f;
  auto tenant = f.create_tenant("pro");
  auto system = f.create_system(tenant);
  auto soon = std::chrono::system_clock::now() + std::chrono::milliseconds(1500);
  auto t = std::chrono::system_clock::to_time_t(soon);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
  auto tok = f.mint(system, R"({"name":"temp","expires_at":")" + std::string{at} + "\"}");
  auto c = f.ingest();
  auto r = post_messages(c, tok.secret, R"({"message":"x"})");
  BOOST_TEST((r.status == 202u || r.status == 401u)); // the second may already be over
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 401, "token_expired");
  json rec{f.admin().get("/api/v1/tokens/" + tok.id, bearer(f.superuser())).body};
  BOOST_TEST(rec.str("/status") == "expired");
  // Presets: a week from now.
  auto week = f.mint(system, R"({"name":"w","expires_in":"1w"})");
  json w{f.admin().get("/api/v1/tokens/" + week.id, bearer(f.superuser())).body};
  BOOST_TEST(w.str("/status") == "active");
  BOOST_TEST(!w.is_null("/expires_at"));
}

BOOST_AUTO_TEST_CASE(disable_and_enable_are_reversible_revoke_is_final) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/disable", "{}", su), 400, "invalid_argument");
  auto r = a.post("/api/v1/tokens/" + tok.id + "/disable", R"({"reason":"paused"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/status") == "disabled");
  BOOST_TEST(json{r.body}.str("/disable_reason") == "paused");
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 401, "token_disabled");
  r = a.post("/api/v1/tokens/" + tok.id + "/enable", R"({"reason":"resumed"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(json{r.body}.str("/status") == "active");
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"x"})").status == 202u);
  BOOST_REQUIRE_EQUAL(
    a.post("/api/v1/tokens/" + tok.id + "/revoke", R"({"reason":"leaked"})", su).status, 200u);
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 401, "token_revoked");
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/enable", R"({"reason":"oops"})", su), 409,
               "conflict");
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/disable", R"({"reason":"oops"})", su), 409,
               "conflict");
}

BOOST_AUTO_TEST_CASE(rotation_gives_a_new_secret_and_the_old_one_works_for_its_grace) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto c = f.ingest();
  auto a = f.admin();
  auto su = bearer(f.superuser());
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"before"})").status, 202u);
  expect_error(a.post("/api/v1/tokens/" + tok.id + "/rotate", R"({"grace_seconds":604801})", su),
               400, "invalid_argument");
  auto r = a.post("/api/v1/tokens/" + tok.id + "/rotate",
                  R"({"grace_seconds":2,"reason":"quarterly"})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  json rotated{r.body};
  auto fresh = rotated.str("/secret");
  BOOST_TEST(fresh != tok.secret);
  BOOST_TEST(rotated.str("/token/id") == tok.id); // the same token
  BOOST_TEST(!rotated.is_null("/token/previous_secret_valid_until"));
  BOOST_TEST(post_messages(c, fresh, R"({"message":"new"})").status == 202u);
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"old, in grace"})").status == 202u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2200));
  expect_error(post_messages(c, tok.secret, R"({"message":"old, too late"})"), 401,
               "invalid_token");
  BOOST_TEST(post_messages(c, fresh, R"({"message":"new again"})").status == 202u);
  // One token throughout: its usage counts every secret's requests.
  json usage{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  BOOST_TEST(usage.num("/totals/requests") == 4);
  // Grace 0: the old secret is refused at once.
  r = a.post("/api/v1/tokens/" + tok.id + "/rotate", R"({"grace_seconds":0})", su);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  expect_error(post_messages(c, fresh, R"({"message":"x"})"), 401, "invalid_token");
  BOOST_TEST(post_messages(c, json{r.body}.str("/secret"), R"({"message":"x"})").status == 202u);
  // Survives a restart: the newest secret works, the old ones do not.
  auto newest = json{r.body}.str("/secret");
  f.restart();
  c = f.ingest();
  BOOST_TEST(post_messages(c, newest, R"({"message":"after restart"})").status == 202u);
  expect_error(post_messages(c, tok.secret, R"({"message":"x"})"), 401, "invalid_token");
}

BOOST_AUTO_TEST_CASE(a_service_tokens_own_limits_and_restrictions_hold_at_the_admin_port) {
  sluice_fixture f;
  auto tenant = tenant_of(f, R"({"name":"Acme","tier":"pro","approval":"none"})");
  auto svc = f.service_token(
    tenant,
    R"({"name":"ci","scopes":["systems:read"],"security":{"rate_limit":"2/minute","ip_allowlist":["127.0.0.0/8"]}})",
    f.superuser());
  auto a = f.admin();
  BOOST_TEST(a.get("/api/v1/me", bearer(svc.secret)).status == 200u);
  BOOST_TEST(a.get("/api/v1/tenants/" + tenant, bearer(svc.secret)).status == 200u);
  auto r = a.get("/api/v1/me", bearer(svc.secret));
  expect_error(r, 429, "rate_limited");
  BOOST_TEST(!r.header("retry-after").empty());
  BOOST_REQUIRE_EQUAL(put_security(f, svc.id,
                                   R"({"ip_allowlist":["10.0.0.0/8"],"reason":"move to CI net"})",
                                   f.superuser())
                        .status,
                      200u);
  expect_error(a.get("/api/v1/me", bearer(svc.secret)), 403, "ip_not_allowed");
}

BOOST_AUTO_TEST_SUITE_END()
