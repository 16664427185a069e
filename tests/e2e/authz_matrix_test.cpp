// The authorization matrix: every route of the admin port (net/admin_routes.cpp)
// asked by every kind of caller, with the status each one must get. The
// expectations are derived from the rules, not recorded from the server:
//
//  - the token's actor refuses first (actors/token_actor.cpp): a token that
//    is disabled, expired, pending approval, revoked, or whose user is
//    inactive gets 401 naming why; no or an unknown token 401 invalid_token;
//    an ingest (al_) token at the admin port 403 insufficient_scope;
//  - then the admin actor (actors/admin_actor.cpp) reads the target: 404 when
//    it does not exist;
//  - then authorize() (policy/authz.cpp) applies the operation's row of
//    policy/admin_ops.cpp: four eyes on approvals; superusers pass; public
//    tokens reach only the query API and /me; a target of another tenant is
//    404; rule superuser → 403; scope rules → 403 naming the scope; token
//    rule (personal tokens: the user themself, or users:read to read and
//    users:write plus everything the token's user's role may do to change;
//    service tokens: the scope plus no escalation on writes); changing or
//    making a user needs everything its role may do; decide: a person with
//    role admin (or a superuser) who did not ask, also not through a
//    service token they made;
//  - only then is the body decoded (400), and the handler runs (200, 201,
//    202 pending approval; minting a service token checks no escalation).
//
// Every write that is expected to succeed gets a target of its own (a fresh
// token, a fresh pending approval), so no success changes what a later cell
// looks at; a call expected to fail is refused before anything changes.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

// -- callers -------------------------------------------------------------------

/// One column of the matrix: who calls, with which secret.
struct caller {
  std::string key;     ///< the column's header
  std::string name;    ///< in the summary
  std::string secret;  ///< empty: no token at all
  std::string refused; ///< the 401 code its token gets before anything else; empty if none
};

/// Columns of the table, in this order (the refused callers follow them; they
/// get the same answer on every row, so they are not spelled out per row).
enum col : std::size_t {
  su,    ///< the superuser (personal alu_ token)
  ad_a,  ///< tenant A's admin (personal token)
  mb_a,  ///< tenant A's member
  vw_a,  ///< tenant A's viewer
  s_qry, ///< service tokens of A holding one scope each …
  s_sr,
  s_sw,
  s_tr,
  s_tw,
  s_ur,
  s_uw,
  s_aud,
  s_adm, ///< … and one holding admin
  pub,   ///< a public service token of A holding query
  ing,   ///< an ingest (al_) token of a system of A
  ad_b,  ///< tenant B's admin: A's objects do not exist for it
  explicit_columns
};

// -- the table -------------------------------------------------------------------

/// What a row's path names.
enum class on {
  nothing,           ///< a route without {id}
  tenant_a,          ///< tenant A
  system_a,          ///< a system of A
  member,            ///< the member user of A
  admin_user,        ///< the admin user of A
  superuser_user,    ///< the superuser (a user of no tenant)
  ingest_tok,        ///< an ingest token of A
  service_tok,       ///< a service token of A holding systems:read (low risk)
  service_tw_tok,    ///< a service token of A holding tokens:write
  service_admin_tok, ///< a service token of A holding admin
  personal_tok,      ///< a personal token of A's member
  superuser_tok,     ///< a personal token of the superuser
  approval_by_tw,    ///< a pending approval of A asked for by the tokens:write service token
  approval_by_admin, ///< … asked for by A's admin
  approval_by_su,    ///< … asked for by the superuser
  missing_tok,       ///< a well-formed token id nothing has
  tenant_b,          ///< tenant B
  system_b,          ///< a system of B
  ingest_tok_b,      ///< an ingest token of B
};

/// How a call expected to succeed gets a target of its own.
enum class renew {
  no,        ///< the shared target (reads, and changes no later row notices)
  fresh,     ///< a new one of the same kind
  disabled,  ///< a new token, disabled (so enabling changes something)
  emergency, ///< a new token with emergency access open
};

struct row {
  const char* op; ///< the operation (policy/admin_ops.cpp) and what it acts on
  const char* method;
  const char* path; ///< under /api/v1 unless it starts elsewhere; {id}: the target; {A}: tenant A
  on target;
  renew renewal;
  const char* body;  ///< {n}: a serial number (e-mails must be unique)
  const char* names; ///< what a 403 insufficient_scope of a tenant-A caller says (substring)
  /// One cell per column: 200/201/202 success; 400 a body/query problem;
  /// 403 insufficient_scope; 403e insufficient_scope for escalation ("you
  /// lack …"); 403f forbidden; 404 not_found.
  const char* cells;
};

constexpr const char* reason = R"({"reason":"authz matrix"})";

// clang-format off
const row table[] = {
  // The two routes that need no token: everyone, refused tokens too, gets 200.
  {"healthz", "GET", "/healthz", on::nothing, renew::no, "", "",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200"},
  {"openapi", "GET", "/api/v1/openapi.json", on::nothing, renew::no, "", "",
     "200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200"},

  // -- tenants: platform operations are the superuser's; reading one's own tenant is anyone's.
  {"create_tenant", "POST", "/tenants", on::nothing, renew::no, R"({"name":"T{n}"})", "only a superuser",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "201  403  403  403  403  403  403  403  403  403  403  403  403  403  403  403"},
  {"list_tenants", "GET", "/tenants", on::nothing, renew::no, "", "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  403"},
  {"get_tenant (A)", "GET", "/tenants/{id}", on::tenant_a, renew::no, "", "",
     "200  200  200  200  200  200  200  200  200  200  200  200  200  403  403  404"},
  {"patch_tenant (A)", "PATCH", "/tenants/{id}", on::tenant_a, renew::no, R"({"name":"Tenant A"})", "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},

  // -- users
  {"create_user (in A)", "POST", "/tenants/{id}/users", on::tenant_a, renew::no,
   R"({"name":"New","email":"new{n}@example.com","role":"viewer"})", "\"users:write\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "201  201  403  403  403  403  403  403  403  403  403e 403  201  403  403  404"},
  {"list_users (of A)", "GET", "/tenants/{id}/users", on::tenant_a, renew::no, "", "\"users:read\"",
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  {"get_user (member)", "GET", "/users/{id}", on::member, renew::no, "", "\"users:read\"",
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  // users:write, with no exception for oneself (the member renaming itself is refused).
  {"patch_user (member, name)", "PATCH", "/users/{id}", on::member, renew::no, R"({"name":"Member A"})", "\"users:write\"",
     "200  200  403  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  // Nobody changes their own role (a no-op role keeps the row harmless for the others).
  {"patch_user (admin, role)", "PATCH", "/users/{id}", on::admin_user, renew::no, R"({"role":"admin"})", "\"users:write\"",
     "200  403f 403  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  // Personal tokens of a user: the user themself, or users:write and everything the user's
  // role may do (the users:write-only token holds too little even for a viewer) …
  {"mint_personal_token (member)", "POST", "/users/{id}/tokens", on::member, renew::no, R"({"name":"extra {n}"})", "\"users:write\"",
     "201  201  201  403  403  403  403  403  403  403  403e 403  201  403  403  404"},
  // … and listing them: the user themself, or users:read (the table's row, like reading one
  // personal token; the spec's table lumps GET with POST under users:write).
  {"list_personal_tokens (member)", "GET", "/users/{id}/tokens", on::member, renew::no, "", "\"users:read\"",
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  // The superuser belongs to no tenant: to everyone else it does not exist.
  {"get_user (superuser)", "GET", "/users/{id}", on::superuser_user, renew::no, "", "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},
  {"mint_personal_token (superuser)", "POST", "/users/{id}/tokens", on::superuser_user, renew::no, R"({"name":"spare {n}"})", "",
     "201  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},

  // -- systems
  {"create_system (in A)", "POST", "/tenants/{id}/systems", on::tenant_a, renew::no, R"({"name":"sys {n}"})", "\"systems:write\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "201  201  201  403  403  403  201  403  403  403  403  403  201  403  403  404"},
  {"list_systems (of A)", "GET", "/tenants/{id}/systems", on::tenant_a, renew::no, "", "\"systems:read\"",
     "200  200  200  200  403  200  403  403  403  403  403  403  200  403  403  404"},
  {"get_system", "GET", "/systems/{id}", on::system_a, renew::no, "", "\"systems:read\"",
     "200  200  200  200  403  200  403  403  403  403  403  403  200  403  403  404"},
  {"patch_system", "PATCH", "/systems/{id}", on::system_a, renew::no, R"({"name":"main"})", "\"systems:write\"",
     "200  200  200  403  403  403  200  403  403  403  403  403  200  403  403  404"},
  {"system_usage", "GET", "/systems/{id}/usage", on::system_a, renew::no, "", "\"systems:read\"",
     "200  200  200  200  403  200  403  403  403  403  403  403  200  403  403  404"},
  // The one management-port call a public token makes.
  {"list_messages", "GET", "/systems/{id}/messages", on::system_a, renew::no, "", "\"query\"",
     "200  200  200  200  200  403  403  403  403  403  403  403  200  200  403  404"},

  // -- tokens of a system
  {"mint_token (ingest)", "POST", "/systems/{id}/tokens", on::system_a, renew::no, R"({"name":"app {n}"})", "\"tokens:write\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "201  201  201  403  403  403  403  403  201  403  403  403  201  403  403  404"},
  {"mint_tokens (bulk)", "POST", "/systems/{id}/tokens/bulk", on::system_a, renew::no, R"({"count":1,"name":"bulk {n}"})", "\"tokens:write\"",
     "201  201  201  403  403  403  403  403  201  403  403  403  201  403  403  404"},
  {"list_system_tokens", "GET", "/systems/{id}/tokens", on::system_a, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},

  // -- service tokens of a tenant: tokens:write, then no escalation (A's approval rule is
  //    "high" by now: a high-risk token is created pending, 202).
  {"mint_service_token [systems:read]", "POST", "/tenants/{id}/tokens", on::tenant_a, renew::no,
   R"({"name":"svc {n}","scopes":["systems:read"]})", "\"tokens:write\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "201  201  201  403  403  403  403  403  403e 403  403  403  201  403  403  404"},
  {"mint_service_token [tokens:write]", "POST", "/tenants/{id}/tokens", on::tenant_a, renew::no,
   R"({"name":"svc {n}","scopes":["tokens:write"],"reason":"authz matrix"})", "\"tokens:write\"",
     "202  202  202  403  403  403  403  403  202  403  403  403  202  403  403  404"},
  {"mint_service_token [admin]", "POST", "/tenants/{id}/tokens", on::tenant_a, renew::no,
   R"({"name":"svc {n}","scopes":["admin"],"reason":"authz matrix"})", "\"tokens:write\"",
     "202  202  403e 403  403  403  403  403  403e 403  403  403  202  403  403  404"},
  {"list_service_tokens (of A)", "GET", "/tenants/{id}/tokens", on::tenant_a, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},

  // -- one token: an ingest token (tokens:read / tokens:write)
  {"get_token (ingest)", "GET", "/tokens/{id}", on::ingest_tok, renew::no, "", "\"tokens:read\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"token_usage (ingest)", "GET", "/tokens/{id}/usage", on::ingest_tok, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"token_history (ingest)", "GET", "/tokens/{id}/history", on::ingest_tok, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"patch_token (ingest)", "PATCH", "/tokens/{id}", on::ingest_tok, renew::fresh, R"({"name":"renamed"})", "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"set_token_security (ingest)", "PUT", "/tokens/{id}/security", on::ingest_tok, renew::fresh,
   R"({"rate_limit":"1000/hour","reason":"authz matrix"})", "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"rotate_token (ingest)", "POST", "/tokens/{id}/rotate", on::ingest_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"disable_token (ingest)", "POST", "/tokens/{id}/disable", on::ingest_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"enable_token (ingest)", "POST", "/tokens/{id}/enable", on::ingest_tok, renew::disabled, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"revoke_token (ingest)", "POST", "/tokens/{id}/revoke", on::ingest_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"start_emergency (ingest)", "POST", "/tokens/{id}/emergency-access", on::ingest_tok, renew::fresh,
   R"({"duration_hours":1,"reason":"authz matrix"})", "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  {"end_emergency (ingest)", "DELETE", "/tokens/{id}/emergency-access", on::ingest_tok, renew::emergency, reason, "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},

  // -- one token: a service token holding systems:read. Changing it needs tokens:write
  //    and systems:read (no escalation): the tokens:write-only token is refused.
  {"get_token (service)", "GET", "/tokens/{id}", on::service_tok, renew::no, "", "\"tokens:read\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"token_usage (service)", "GET", "/tokens/{id}/usage", on::service_tok, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"token_history (service)", "GET", "/tokens/{id}/history", on::service_tok, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"patch_token (service)", "PATCH", "/tokens/{id}", on::service_tok, renew::fresh, R"({"name":"renamed"})", "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"set_token_security (service)", "PUT", "/tokens/{id}/security", on::service_tok, renew::fresh,
   R"({"rate_limit":"1000/hour","reason":"authz matrix"})", "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"rotate_token (service)", "POST", "/tokens/{id}/rotate", on::service_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"disable_token (service)", "POST", "/tokens/{id}/disable", on::service_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"enable_token (service)", "POST", "/tokens/{id}/enable", on::service_tok, renew::disabled, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"revoke_token (service)", "POST", "/tokens/{id}/revoke", on::service_tok, renew::fresh, reason, "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  403e 403  403  403  200  403  403  404"},
  {"start_emergency (service)", "POST", "/tokens/{id}/emergency-access", on::service_tok, renew::fresh,
   R"({"duration_hours":1,"reason":"authz matrix"})", "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  {"end_emergency (service)", "DELETE", "/tokens/{id}/emergency-access", on::service_tok, renew::emergency, reason, "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  // A service token the tokens:write token covers whole; and one nobody but an admin covers.
  // (Renaming changes nothing a later row looks at: these share their target.)
  {"patch_token (service [tokens:write])", "PATCH", "/tokens/{id}", on::service_tw_tok, renew::no, R"({"name":"renamed"})", "\"tokens:write\"",
     "200  200  200  403  403  403  403  403  200  403  403  403  200  403  403  404"},
  {"patch_token (service [admin])", "PATCH", "/tokens/{id}", on::service_admin_tok, renew::no, R"({"name":"renamed"})", "\"tokens:write\"",
     "200  200  403e 403  403  403  403  403  403e 403  403  403  200  403  403  404"},

  // -- one token: a personal token of A's member. Its user may (but lifts no restriction:
  //    security and enable are the admins'); others need users:read to read it, and
  //    users:write plus the member role's scopes to change it (tokens:* do not count;
  //    the users:write-only token lacks the role's).
  {"get_token (personal)", "GET", "/tokens/{id}", on::personal_tok, renew::no, "", "\"users:read\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  {"token_usage (personal)", "GET", "/tokens/{id}/usage", on::personal_tok, renew::no, "", "\"users:read\"",
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  {"token_history (personal)", "GET", "/tokens/{id}/history", on::personal_tok, renew::no, "", "\"users:read\"",
     "200  200  200  200  403  403  403  403  403  200  403  403  200  403  403  404"},
  {"patch_token (personal)", "PATCH", "/tokens/{id}", on::personal_tok, renew::fresh, R"({"name":"renamed"})", "\"users:write\"",
     "200  200  200  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"set_token_security (personal)", "PUT", "/tokens/{id}/security", on::personal_tok, renew::fresh,
   R"({"rate_limit":"1000/hour","reason":"authz matrix"})", "\"users:write\"",
     "200  200  403  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"rotate_token (personal)", "POST", "/tokens/{id}/rotate", on::personal_tok, renew::fresh, reason, "\"users:write\"",
     "200  200  200  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"disable_token (personal)", "POST", "/tokens/{id}/disable", on::personal_tok, renew::fresh, reason, "\"users:write\"",
     "200  200  200  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"enable_token (personal)", "POST", "/tokens/{id}/enable", on::personal_tok, renew::disabled, reason, "\"users:write\"",
     "200  200  403  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"revoke_token (personal)", "POST", "/tokens/{id}/revoke", on::personal_tok, renew::fresh, reason, "\"users:write\"",
     "200  200  200  403  403  403  403  403  403  403  403e 403  200  403  403  404"},
  {"start_emergency (personal)", "POST", "/tokens/{id}/emergency-access", on::personal_tok, renew::fresh,
   R"({"duration_hours":1,"reason":"authz matrix"})", "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  {"end_emergency (personal)", "DELETE", "/tokens/{id}/emergency-access", on::personal_tok, renew::emergency, reason, "only a superuser",
     "200  403  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  // A superuser's personal tokens: only superusers (to everyone else they do not exist).
  {"get_token (superuser's)", "GET", "/tokens/{id}", on::superuser_tok, renew::no, "", "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},
  {"revoke_token (superuser's)", "POST", "/tokens/{id}/revoke", on::superuser_tok, renew::fresh, reason, "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},

  // -- approvals: reading needs tokens:read; deciding a person who is an admin of the
  //    tenant or a superuser, and not the one who asked (four eyes, superusers too). The
  //    tokens:write service token was made by the superuser, so what it asks the
  //    superuser cannot decide: four eyes compare people, not credentials. (A's admin
  //    got its secret from the superuser: a secret a superuser hands out is its
  //    recipient's.)
  {"list_approvals", "GET", "/approvals", on::nothing, renew::no, "", "\"tokens:read\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  200"},
  {"list_approvals (?tenant=A)", "GET", "/approvals?tenant={A}", on::nothing, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"get_approval", "GET", "/approvals/{id}", on::approval_by_tw, renew::no, "", "\"tokens:read\"",
     "200  200  200  200  403  403  403  200  403  403  403  403  200  403  403  404"},
  {"approve (asked by svc tokens:write)", "POST", "/approvals/{id}/approve", on::approval_by_tw, renew::fresh,
   R"({"reason":"fine"})", "decided by a person",
     "403f 200  403  403  403  403  403  403  403f 403  403  403  403  403  403  404"},
  {"reject (asked by svc tokens:write)", "POST", "/approvals/{id}/reject", on::approval_by_tw, renew::fresh,
   R"({"reason":"no"})", "decided by a person",
     "403f 200  403  403  403  403  403  403  403f 403  403  403  403  403  403  404"},
  {"approve (asked by A's admin)", "POST", "/approvals/{id}/approve", on::approval_by_admin, renew::fresh,
   R"({"reason":"fine"})", "decided by a person",
     "200  403f 403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  {"reject (asked by A's admin)", "POST", "/approvals/{id}/reject", on::approval_by_admin, renew::fresh,
   R"({"reason":"no"})", "decided by a person",
     "200  403f 403  403  403  403  403  403  403  403  403  403  403  403  403  404"},
  {"approve (asked by the superuser)", "POST", "/approvals/{id}/approve", on::approval_by_su, renew::fresh,
   R"({"reason":"fine"})", "decided by a person",
     "403f 200  403  403  403  403  403  403  403  403  403  403  403  403  403  404"},

  // -- the audit log (a tenant's callers see their tenant only) and the caller itself
  {"list_audit", "GET", "/audit", on::nothing, renew::no, "", "\"audit:read\"",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  200  403  403  403  403  403  403  403  403  403  200  200  403  403  200"},
  {"list_audit (?tenant=A)", "GET", "/audit?tenant={A}", on::nothing, renew::no, "", "\"audit:read\"",
     "200  200  403  403  403  403  403  403  403  403  403  200  200  403  403  404"},
  {"whoami", "GET", "/me", on::nothing, renew::no, "", "",
     "200  200  200  200  200  200  200  200  200  200  200  200  200  200  403  200"},

  // -- another tenant's objects, addressed by A's callers: they do not exist for them
  //    (404, not 403: "a caller never sees another tenant's objects"). That holds for
  //    A's public token too: a 403 there would tell it that the id exists somewhere,
  //    while a missing id is 404 (see "get_token (no such token)" below).
  {"get_tenant (B)", "GET", "/tenants/{id}", on::tenant_b, renew::no, "", "",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  200"},
  {"get_token (B's ingest token)", "GET", "/tokens/{id}", on::ingest_tok_b, renew::no, "", "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  200"},
  {"revoke_token (B's ingest token)", "POST", "/tokens/{id}/revoke", on::ingest_tok_b, renew::fresh, reason, "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  200"},
  {"list_messages (B's system)", "GET", "/systems/{id}/messages", on::system_b, renew::no, "", "",
     "200  404  404  404  404  404  404  404  404  404  404  404  404  404  403  200"},

  // -- order of the checks: a missing target is 404 before authorization (public tokens
  //    too); a bad body or query is 400 only for a caller allowed to make the call.
  {"get_token (no such token)", "GET", "/tokens/{id}", on::missing_tok, renew::no, "", "",
  //  su   adA  mbA  vwA  qry  sr   sw   tr   tw   ur   uw   aud  adm  pub  ing  adB
     "404  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},
  {"revoke_token (no such token, no reason)", "POST", "/tokens/{id}/revoke", on::missing_tok, renew::no, "{}", "",
     "404  404  404  404  404  404  404  404  404  404  404  404  404  404  403  404"},
  {"create_tenant (unknown field)", "POST", "/tenants", on::nothing, renew::no, R"({"name":"x","colour":"red"})", "only a superuser",
     "400  403  403  403  403  403  403  403  403  403  403  403  403  403  403  403"},
  {"create_user (no email, no role)", "POST", "/tenants/{id}/users", on::tenant_a, renew::no, R"({"name":"x"})", "\"users:write\"",
     "400  400  403  403  403  403  403  403  403  403  400  403  400  403  403  404"},
  {"revoke_token (ingest, no reason)", "POST", "/tokens/{id}/revoke", on::ingest_tok, renew::no, "{}", "\"tokens:write\"",
     "400  400  400  403  403  403  403  403  400  403  403  403  400  403  403  404"},
  {"approve (malformed JSON)", "POST", "/approvals/{id}/approve", on::approval_by_tw, renew::no, "{", "decided by a person",
     "403f 400  403  403  403  403  403  403  403f 403  403  403  403  403  403  404"},
  // The escalation check of a mint is the handler's: the body is decoded before it.
  {"mint_service_token [ingest] (not allowed)", "POST", "/tenants/{id}/tokens", on::tenant_a, renew::no,
   R"({"name":"x","scopes":["ingest"]})", "\"tokens:write\"",
     "400  400  400  403  403  403  403  403  400  403  403  403  400  403  403  404"},
  // The escalation check of a change to a service token is authorization's: before the body.
  {"patch_token (service, unknown field)", "PATCH", "/tokens/{id}", on::service_tok, renew::no, R"({"colour":"red"})", "\"tokens:write\"",
     "400  400  400  403  403  403  403  403  403e 403  403  403  400  403  403  404"},
  {"set_token_security (personal, no reason)", "PUT", "/tokens/{id}/security", on::personal_tok, renew::no,
   R"({"rate_limit":"1/hour"})", "\"users:write\"",
     "400  400  403  403  403  403  403  403  403  403  403e 403  400  403  403  404"},
  {"list_messages (?level=loud)", "GET", "/systems/{id}/messages?level=loud", on::system_a, renew::no, "", "\"query\"",
     "400  400  400  400  400  403  403  403  403  403  403  403  400  400  403  404"},
};
// clang-format on

// -- helpers ----------------------------------------------------------------------

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

/// An RFC 3339 UTC time `d` from now, with milliseconds.
std::string rfc3339_from_now(std::chrono::milliseconds d) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              (std::chrono::system_clock::now() + d).time_since_epoch())
              .count();
  std::time_t secs = ms / 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(ms % 1000));
  return out;
}

/// One expected answer, parsed from a cell.
struct expected {
  unsigned status = 0;
  std::string code;        ///< the error code; empty for a success (and any 400)
  bool escalation = false; ///< 403e: the message says what the caller lacks

  std::string text() const {
    auto s = std::to_string(status);
    if (!code.empty())
      s += " " + code;
    if (escalation)
      s += " (escalation)";
    return s;
  }
};

expected parse_cell(const std::string& cell) {
  expected e;
  e.status = static_cast<unsigned>(std::stoul(cell.substr(0, 3)));
  auto suffix = cell.substr(3);
  if (e.status == 403)
    e.code = suffix == "f" ? "forbidden" : "insufficient_scope";
  else if (e.status == 404)
    e.code = "not_found";
  else if (e.status == 409)
    e.code = "conflict";
  e.escalation = suffix == "e";
  BOOST_REQUIRE_MESSAGE(suffix.empty() || (e.status == 403 && (suffix == "e" || suffix == "f")),
                        "bad cell " << cell);
  return e;
}

std::vector<std::string> cells_of(const row& r) {
  std::istringstream in{r.cells};
  std::vector<std::string> out;
  for (std::string c; in >> c;)
    out.push_back(c);
  BOOST_REQUIRE_MESSAGE(out.size() == explicit_columns,
                        r.op << ": " << out.size() << " cells, want " << explicit_columns);
  return out;
}

/// The error code and message of a refusal ("" when the body is not one).
std::pair<std::string, std::string> error_of(const std::string& body) {
  try {
    json j{body};
    return {j.str("/error/code"), j.str("/error/message")};
  } catch (const std::exception&) {
    return {};
  }
}

// -- the world the matrix runs in ---------------------------------------------------

/// Tenants A (pro; approval "none" while its tokens are made, "high" after),
/// B (another tenant with an admin) and C (default approval "high", holding
/// the pending token); the callers; and the targets the rows name.
class world {
public:
  explicit world(sluice_fixture& f) : f_(f), c_(f.admin()) {}

  void build() {
    auto me = expect("GET", "/api/v1/me", "", su_secret(), 200, "the superuser's /me");
    su_user_ = me.str("/user_id");
    su_token_ = me.str("/token_id");

    // Tenant A takes service tokens of every risk without approval while it is set up.
    tenant_a_ =
      expect("POST", "/api/v1/tenants", R"({"name":"Tenant A","tier":"pro","approval":"none"})",
             su_secret(), 201, "tenant A")
        .str("/id");
    // First the token that expires, so the wait for it overlaps the rest of the set-up.
    expires_at_ = std::chrono::system_clock::now() + std::chrono::milliseconds(2000);
    auto expired =
      service(R"({"name":"expiring","scopes":["admin"],"reason":"authz matrix","expires_at":")"
              + rfc3339_from_now(std::chrono::milliseconds(2000)) + "\"}");

    tenant_b_ = f_.create_tenant("pro", "Tenant B");
    auto admin_b = f_.create_user(tenant_b_, "admin", "B admin");
    system_b_ = f_.create_system(tenant_b_, "b-main");
    ingest_target_b_ = f_.mint(system_b_, R"({"name":"target of B"})").id;
    admin_ = f_.create_user(tenant_a_, "admin", "A admin");
    member_ = f_.create_user(tenant_a_, "member", "A member");
    auto viewer = f_.create_user(tenant_a_, "viewer", "A viewer");
    auto inactive = f_.create_user(tenant_a_, "admin", "A former admin");

    system_a_ = f_.create_system(tenant_a_, "main");
    targets_system_ = f_.create_system(tenant_a_, "targets");
    auto ingest = f_.mint(system_a_, R"({"name":"the ingest caller"})");
    ingest_target_ = f_.mint(targets_system_, R"({"name":"target"})").id;

    auto with = [&](const std::string& scopes, bool is_public = false) {
      return service(R"({"name":"svc )" + scopes + R"(","scopes":[")" + scopes
                     + R"("],"reason":"authz matrix")" + (is_public ? R"(,"public":true})" : "}"));
    };
    callers_.resize(explicit_columns);
    callers_[su] = {"su", "superuser", su_secret(), ""};
    callers_[ad_a] = {"adA", "A admin", admin_.token, ""};
    callers_[mb_a] = {"mbA", "A member", member_.token, ""};
    callers_[vw_a] = {"vwA", "A viewer", viewer.token, ""};
    callers_[s_qry] = {"qry", "svc query", with("query").secret, ""};
    callers_[s_sr] = {"sr", "svc systems:read", with("systems:read").secret, ""};
    callers_[s_sw] = {"sw", "svc systems:write", with("systems:write").secret, ""};
    callers_[s_tr] = {"tr", "svc tokens:read", with("tokens:read").secret, ""};
    callers_[s_tw] = {"tw", "svc tokens:write", with("tokens:write").secret, ""};
    callers_[s_ur] = {"ur", "svc users:read", with("users:read").secret, ""};
    callers_[s_uw] = {"uw", "svc users:write", with("users:write").secret, ""};
    callers_[s_aud] = {"aud", "svc audit:read", with("audit:read").secret, ""};
    callers_[s_adm] = {"adm", "svc admin", with("admin").secret, ""};
    callers_[pub] = {"pub", "public svc query", with("query", true).secret, ""};
    callers_[ing] = {"ing", "ingest al_ token", ingest.secret, ""};
    callers_[ad_b] = {"adB", "B admin", admin_b.token, ""};

    // Tokens of A refused before anything else.
    auto disabled = with("admin");
    expect("POST", "/api/v1/tokens/" + disabled.id + "/disable", reason, su_secret(), 200,
           "disable");
    auto revoked = with("admin");
    expect("POST", "/api/v1/tokens/" + revoked.id + "/revoke", reason, su_secret(), 200, "revoke");
    expect("PATCH", "/api/v1/users/" + inactive.id, R"({"active":false,"reason":"left"})",
           su_secret(), 200, "deactivate a user");
    // Tenant C keeps the default rule: a high-risk service token waits for approval.
    auto tenant_c = f_.create_tenant("pro", "Tenant C");
    auto pending = f_.service_token(
      tenant_c, R"({"name":"waits","scopes":["tokens:write"],"reason":"authz matrix"})",
      su_secret(), 202);

    callers_.push_back({"dis", "disabled svc token", disabled.secret, "token_disabled"});
    callers_.push_back({"exp", "expired svc token", expired.secret, "token_expired"});
    callers_.push_back({"pnd", "pending svc token (C)", pending.secret, "token_pending"});
    callers_.push_back({"rev", "revoked svc token", revoked.secret, "token_revoked"});
    callers_.push_back({"ina", "inactive user's token", inactive.token, "user_inactive"});
    callers_.push_back({"none", "no token", "", "invalid_token"});

    // Shared targets (active, minted while A needs no approval).
    service_target_ = service(R"({"name":"target","scopes":["systems:read"]})").id;
    service_tw_target_ = with("tokens:write").id;
    service_admin_target_ = with("admin").id;
    personal_target_ = personal(member_.id);

    // From now on a high-risk service token of A waits for approval; the
    // approvals the rows decide are asked for by three different requesters.
    expect("PATCH", "/api/v1/tenants/" + tenant_a_, R"({"approval":"high"})", su_secret(), 200,
           "raise A's approval rule");
    approval_by_tw_ = pending_approval(callers_[s_tw].secret);
    approval_by_admin_ = pending_approval(admin_.token);
    approval_by_su_ = pending_approval(su_secret());

    // The expiring token must be past its time before the first row.
    std::this_thread::sleep_until(expires_at_ + std::chrono::milliseconds(300));
  }

  const std::vector<caller>& callers() const { return callers_; }
  const std::string& tenant_a() const { return tenant_a_; }
  const std::string& su_secret() const { return f_.superuser(); }
  http_client& client() { return c_; }

  /// The id a row's path names; a new one when `fresh` (for a call that is
  /// expected to succeed and changes its target).
  std::string target(on t, renew how, bool fresh) {
    if (!fresh || how == renew::no)
      return shared(t);
    switch (t) {
      case on::approval_by_tw: return pending_approval(callers_[s_tw].secret);
      case on::approval_by_admin: return pending_approval(admin_.token);
      case on::approval_by_su: return pending_approval(su_secret());
      default: break;
    }
    std::string id;
    switch (t) {
      case on::ingest_tok: id = f_.mint(targets_system_, R"({"name":"fresh"})").id; break;
      case on::ingest_tok_b: id = f_.mint(system_b_, R"({"name":"fresh"})").id; break;
      case on::service_tok: id = service(R"({"name":"fresh","scopes":["systems:read"]})").id; break;
      case on::personal_tok: id = personal(member_.id); break;
      case on::superuser_tok: id = personal(su_user_); break;
      default: BOOST_FAIL("no fresh target of this kind"); break;
    }
    if (how == renew::disabled)
      expect("POST", "/api/v1/tokens/" + id + "/disable", reason, su_secret(), 200,
             "prepare: disable");
    if (how == renew::emergency)
      expect("POST", "/api/v1/tokens/" + id + "/emergency-access",
             R"({"duration_hours":1,"reason":"prepared"})", su_secret(), 200, "prepare: emergency");
    return id;
  }

private:
  std::string shared(on t) const {
    switch (t) {
      case on::nothing: return {};
      case on::tenant_a: return tenant_a_;
      case on::system_a: return system_a_;
      case on::member: return member_.id;
      case on::admin_user: return admin_.id;
      case on::superuser_user: return su_user_;
      case on::ingest_tok: return ingest_target_;
      case on::service_tok: return service_target_;
      case on::service_tw_tok: return service_tw_target_;
      case on::service_admin_tok: return service_admin_target_;
      case on::personal_tok: return personal_target_;
      case on::superuser_tok: return su_token_;
      case on::approval_by_tw: return approval_by_tw_;
      case on::approval_by_admin: return approval_by_admin_;
      case on::approval_by_su: return approval_by_su_;
      case on::missing_tok: return "tok_00000000001";
      case on::tenant_b: return tenant_b_;
      case on::system_b: return system_b_;
      case on::ingest_tok_b: return ingest_target_b_;
    }
    return {};
  }

  json expect(const std::string& method, const std::string& target, const std::string& body,
              const std::string& secret, unsigned status, const std::string& what) {
    auto r = c_.request(method, target, body, bearer(secret));
    BOOST_REQUIRE_MESSAGE(r.status == status,
                          "set-up, " << what << ": " << r.status << " " << r.body);
    return json{r.body};
  }

  /// A service token of tenant A minted by the superuser.
  sluice_fixture::minted service(const std::string& body) {
    return f_.service_token(tenant_a_, body, su_secret(), 201);
  }

  /// A personal token of `user`, minted by the superuser; its id.
  std::string personal(const std::string& user) {
    return expect("POST", "/api/v1/users/" + user + "/tokens", R"({"name":"spare"})", su_secret(),
                  201, "personal token")
      .str("/token/id");
  }

  /// A pending approval of tenant A asked for by the holder of `secret`.
  std::string pending_approval(const std::string& secret) {
    return expect("POST", "/api/v1/tenants/" + tenant_a_ + "/tokens",
                  R"({"name":"wants approval","scopes":["tokens:write"],"reason":"authz matrix"})",
                  secret, 202, "a token waiting for approval")
      .str("/token/approval_id");
  }

  sluice_fixture& f_;
  http_client c_;
  std::vector<caller> callers_;
  std::chrono::system_clock::time_point expires_at_;
  std::string su_user_, su_token_;
  std::string tenant_a_, tenant_b_, system_a_, targets_system_, system_b_, ingest_target_b_;
  sluice_fixture::person admin_, member_;
  std::string ingest_target_, service_target_, service_tw_target_, service_admin_target_,
    personal_target_;
  std::string approval_by_tw_, approval_by_admin_, approval_by_su_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(authz_matrix)

BOOST_AUTO_TEST_CASE(every_admin_call_answers_every_caller_as_the_authorization_table_says) {
  sluice_fixture f;
  world w{f};
  w.build();
  auto& c = w.client();
  auto& callers = w.callers();

  std::vector<std::string> mismatches;
  std::size_t checked = 0;
  int serial = 0;
  for (auto& r : table) {
    auto cells = cells_of(r);
    bool needs_token =
      std::string_view{r.path} != "/healthz" && std::string_view{r.path} != "/api/v1/openapi.json";
    for (std::size_t i = 0; i < callers.size(); ++i) {
      auto& who = callers[i];
      // Refused tokens are refused on every row that needs one.
      expected want;
      if (i < explicit_columns)
        want = parse_cell(cells[i]);
      else if (needs_token)
        want = {401, who.refused, false};
      else
        want = {200, "", false};

      bool success = want.status >= 200 && want.status < 300;
      auto id = w.target(r.target, r.renewal, success);
      std::string path = r.path;
      if (path.rfind("/api/", 0) != 0 && path != "/healthz")
        path = "/api/v1" + path;
      path = replace_all(replace_all(path, "{id}", id), "{A}", w.tenant_a());
      auto body = replace_all(r.body, "{n}", std::to_string(++serial));
      header_list headers;
      if (!who.secret.empty())
        headers = bearer(who.secret);
      auto got = c.request(r.method, path, body, headers);
      ++checked;

      auto [code, message] = error_of(got.body);
      bool ok = got.status == want.status && (want.code.empty() || code == want.code);
      if (ok && want.code == "insufficient_scope") {
        // The 403 says why: an ingest token at this port, a public token
        // outside the query API, a missing scope, or escalation.
        std::string why = i == ing          ? "ingest and webhook tokens cannot use the admin API"
                          : i == pub        ? "a public token cannot use the management API"
                          : want.escalation ? "you lack"
                                            : r.names;
        ok = message.find(why) != std::string::npos;
        if (!ok)
          want.code += " saying " + why;
      }
      if (!ok)
        mismatches.push_back(std::string{r.op} + " | " + r.method + " " + path + " | " + who.name
                             + " | expected " + want.text() + " | got " + std::to_string(got.status)
                             + " " + got.body.substr(0, 200));
    }
  }

  // The ingest door: only ingest tokens write messages; personal and service
  // tokens (public ones too) are 403 insufficient_scope there.
  auto door = f.ingest();
  for (auto i : {su, ad_a, mb_a, s_qry, s_adm, pub, ing}) {
    auto& who = callers[i];
    auto got = post_messages(door, who.secret, R"({"message":"authz matrix"})");
    ++checked;
    auto [code, message] = error_of(got.body);
    bool ok = i == ing ? got.status == 202
                       : got.status == 403 && code == "insufficient_scope"
                           && message.find("only ingest (al_) tokens") != std::string::npos;
    if (!ok)
      mismatches.push_back("ingest | POST /messages (ingest port) | " + who.name + " | expected "
                           + (i == ing ? "202" : "403 insufficient_scope") + " | got "
                           + std::to_string(got.status) + " " + got.body.substr(0, 200));
  }

  std::string summary;
  for (auto& m : mismatches)
    summary += "\n  " + m;
  BOOST_TEST_MESSAGE("authz matrix: " << std::size(table) << " rows x " << callers.size()
                                      << " callers, " << checked << " calls, " << mismatches.size()
                                      << " disagree");
  BOOST_TEST(mismatches.empty(), mismatches.size()
                                   << " of " << checked
                                   << " cells disagree (operation | call | caller | "
                                      "expected | got):"
                                   << summary);
}

BOOST_AUTO_TEST_SUITE_END()
