#include <boost/test/unit_test.hpp>

#include "policy/authz.hpp"
#include "policy/ids.hpp"

using namespace sluice;

namespace {

constexpr std::uint64_t acme = 1;
constexpr std::uint64_t beta = 2;

principal user_of(user_role role, std::uint64_t tenant = acme, std::uint64_t user_id = 10) {
  return person(100 + user_id, user_id, role == user_role::superuser ? 0 : tenant, role);
}

principal svc(scope_set scopes, bool is_public = false, std::vector<std::uint64_t> systems = {}) {
  return service(500, acme, scopes, is_public, std::move(systems));
}

authz_target in(std::uint64_t tenant) {
  authz_target t;
  t.tenant_id = tenant;
  return t;
}

errc verdict(admin_op op, const principal& who, const authz_target& what) {
  return authorize(op, who, what).code;
}

} // namespace

BOOST_AUTO_TEST_SUITE(authz)

BOOST_AUTO_TEST_CASE(every_operation_has_a_row_and_write_operations_are_marked) {
  for (std::size_t i = 0; i < admin_op_count; ++i) {
    auto op = static_cast<admin_op>(i);
    const auto& row = permission_of(op);
    BOOST_TEST(!to_string(op).empty());
    // Rules that name a scope have one.
    if (row.rule == admin_rule::scope || row.rule == admin_rule::token
        || row.rule == admin_rule::user)
      BOOST_TEST(row.scope.has_value(), to_string(op));
  }
  BOOST_TEST(permission_of(admin_op::revoke_token).writes);
  BOOST_TEST(!permission_of(admin_op::list_audit).writes);
}

BOOST_AUTO_TEST_CASE(another_tenants_objects_are_not_found_not_forbidden) {
  for (auto role : {user_role::admin, user_role::member, user_role::viewer})
    BOOST_TEST((verdict(admin_op::get_system, user_of(role, beta), in(acme)) == errc::not_found));
  BOOST_TEST(
    (verdict(admin_op::get_tenant, svc(scope_set{scope::admin}), in(beta)) == errc::not_found));
  // A superuser sees every tenant.
  BOOST_TEST((verdict(admin_op::get_system, user_of(user_role::superuser), in(acme)) == errc::ok));
  // Platform objects (a superuser's records) are nobody else's.
  BOOST_TEST((verdict(admin_op::get_user, user_of(user_role::admin), in(0)) == errc::not_found));
}

BOOST_AUTO_TEST_CASE(roles_read_manage_and_administer_their_tenant) {
  auto viewer = user_of(user_role::viewer);
  auto member = user_of(user_role::member);
  auto admin = user_of(user_role::admin);
  auto t = in(acme);
  BOOST_TEST((verdict(admin_op::list_systems, viewer, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::list_messages, viewer, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::create_system, viewer, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::mint_token, viewer, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::mint_token, member, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::create_system, member, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::create_user, member, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::list_audit, member, in(0)) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::create_user, admin, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::list_audit, admin, in(0)) == errc::ok));
  // Platform operations and break-glass are the superuser's alone.
  BOOST_TEST((verdict(admin_op::create_tenant, admin, in(0)) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::patch_tenant, admin, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::start_emergency, admin, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::start_emergency, user_of(user_role::superuser), t) == errc::ok));
  // The audit chain spans every tenant: its verdict is for superusers only,
  // not for a tenant admin nor a service token holding every scope.
  BOOST_TEST((verdict(admin_op::verify_audit_chain, admin, in(0)) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::verify_audit_chain, svc(scope_set{scope::admin}), in(0))
              == errc::insufficient_scope));
  BOOST_TEST(
    (verdict(admin_op::verify_audit_chain, user_of(user_role::superuser), in(0)) == errc::ok));
  BOOST_TEST(!permission_of(admin_op::verify_audit_chain).writes);
}

BOOST_AUTO_TEST_CASE(a_refusal_names_the_scope_that_is_missing) {
  auto p = authorize(admin_op::create_user, svc(scope_set{scope::users_read}), in(acme));
  BOOST_TEST((p.code == errc::insufficient_scope));
  BOOST_TEST(p.message.find("users:write") != std::string::npos, p.message);
}

BOOST_AUTO_TEST_CASE(service_tokens_do_what_their_scopes_say_and_admin_implies_the_rest) {
  auto t = in(acme);
  BOOST_TEST((verdict(admin_op::list_systems, svc(scope_set{scope::systems_read}), t) == errc::ok));
  BOOST_TEST((verdict(admin_op::create_system, svc(scope_set{scope::systems_read}), t)
              == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::create_user, svc(scope_set{scope::admin}), t) == errc::ok));
  BOOST_TEST((verdict(admin_op::list_audit, svc(scope_set{scope::admin}), in(0)) == errc::ok));
  // …but a service token is not a person: it decides no approval.
  authz_target approval = in(acme);
  approval.requested_by_user = 77;
  BOOST_TEST((verdict(admin_op::approve, svc(scope_set{scope::admin}), approval)
              == errc::insufficient_scope));
}

BOOST_AUTO_TEST_CASE(nobody_hands_out_or_touches_more_than_it_holds) {
  auto member = user_of(user_role::member); // holds tokens:write, not admin
  auto wanted = scope_set{scope::admin};
  BOOST_TEST((check_no_escalation(member, wanted).code == errc::insufficient_scope));
  BOOST_TEST((check_no_escalation(member, scope_set{scope::systems_read}).code == errc::ok));
  BOOST_TEST((check_no_escalation(user_of(user_role::admin), wanted).code == errc::ok));
  // Changing an admin-scoped service token is escalation too.
  authz_target token = in(acme);
  token.token = token_kind::service;
  token.token_scopes = wanted;
  BOOST_TEST((verdict(admin_op::revoke_token, member, token) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::get_token, member, token) == errc::ok)); // reading is not
}

BOOST_AUTO_TEST_CASE(a_person_manages_its_own_personal_tokens_others_need_the_users_scopes) {
  authz_target mine = in(acme);
  mine.token = token_kind::user;
  mine.user_id = 10;
  auto viewer = user_of(user_role::viewer, acme, 10);
  BOOST_TEST((verdict(admin_op::revoke_token, viewer, mine) == errc::ok));
  BOOST_TEST((verdict(admin_op::rotate_token, viewer, mine) == errc::ok));
  auto other = user_of(user_role::member, acme, 11);
  BOOST_TEST((verdict(admin_op::revoke_token, other, mine) == errc::insufficient_scope));
  BOOST_TEST(
    (verdict(admin_op::get_token, other, mine) == errc::ok)); // every role holds users:read
  BOOST_TEST((verdict(admin_op::get_token, svc(scope_set{scope::tokens_read}), mine)
              == errc::insufficient_scope)); // a token's records are users' business
  BOOST_TEST(
    (verdict(admin_op::revoke_token, user_of(user_role::admin, acme, 12), mine) == errc::ok));
  authz_target user = in(acme);
  user.user_id = 10;
  BOOST_TEST((verdict(admin_op::mint_personal_token, viewer, user) == errc::ok));
  BOOST_TEST((verdict(admin_op::mint_personal_token, other, user) == errc::insufficient_scope));
}

BOOST_AUTO_TEST_CASE(approvals_need_four_eyes_even_a_superusers) {
  authz_target approval = in(acme);
  approval.requested_by_user = 10;
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 10), approval) == errc::forbidden));
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 11), approval) == errc::ok));
  BOOST_TEST((verdict(admin_op::reject, user_of(user_role::member, acme, 11), approval)
              == errc::insufficient_scope));
  auto su = user_of(user_role::superuser, 0, 10);
  BOOST_TEST((verdict(admin_op::approve, su, approval) == errc::forbidden));
  auto other_su = user_of(user_role::superuser, 0, 12);
  BOOST_TEST((verdict(admin_op::approve, other_su, approval) == errc::ok));
  // Asked by a service token: that token cannot decide (it is no person anyway).
  authz_target by_token = in(acme);
  by_token.requested_by_token = 500;
  BOOST_TEST(
    (verdict(admin_op::approve, svc(scope_set{scope::admin}), by_token) == errc::forbidden));
  // Asked through a service token one admin made and another rotated since
  // (taking its secret): either could have asked, neither decides.
  by_token.requested_by_user = 10;
  by_token.requested_by_holder = 12;
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 10), by_token) == errc::forbidden));
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 12), by_token) == errc::forbidden));
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 11), by_token) == errc::ok));
  // Nor does one whose secret came through a token either of them holds.
  for (std::uint64_t from : {10, 12}) {
    by_token.decider_secret_from = {from == 10 ? 13u : 0u, from};
    BOOST_TEST((verdict(admin_op::approve, user_of(user_role::admin, acme, 11), by_token)
                == errc::forbidden));
  }
}

// Found in review: an admin rotated a colleague's waiting token (taking its
// only working secret) and approved it: one person both decided and held it.
BOOST_AUTO_TEST_CASE(who_holds_a_waiting_tokens_secret_does_not_decide_it) {
  authz_target approval = in(acme);
  approval.requested_by_user = 10;
  approval.token_secret_holder = 12; // rotated by 12 since 10 asked
  auto holder = user_of(user_role::admin, acme, 12);
  auto v = authorize(admin_op::approve, holder, approval);
  BOOST_TEST((v.code == errc::forbidden));
  BOOST_TEST(v.message.find("you hold this token's secret") != std::string::npos);
  BOOST_TEST((verdict(admin_op::reject, holder, approval) == errc::forbidden));
  BOOST_TEST((verdict(admin_op::approve, user_of(user_role::superuser, 0, 12), approval)
              == errc::forbidden));
  // Nor one whose own secret the holder handed out; a third admin decides.
  approval.decider_secret_from = {12, 0};
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 11), approval) == errc::forbidden));
  approval.decider_secret_from = {};
  BOOST_TEST(
    (verdict(admin_op::approve, user_of(user_role::admin, acme, 11), approval) == errc::ok));
  // Unrotated, the holder is the requester, refused as such.
  approval.token_secret_holder = 10;
  auto asked = authorize(admin_op::approve, user_of(user_role::admin, acme, 10), approval);
  BOOST_TEST(asked.message == "you asked for this approval; another admin must decide it");
}

BOOST_AUTO_TEST_CASE(a_public_token_reaches_the_query_api_only) {
  auto pub = svc(scope_set{scope::query}, true);
  auto t = in(acme);
  BOOST_TEST((verdict(admin_op::list_messages, pub, t) == errc::ok));
  BOOST_TEST((verdict(admin_op::whoami, pub, in(0)) == errc::ok));
  BOOST_TEST((verdict(admin_op::get_system, pub, t) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::get_tenant, pub, t) == errc::insufficient_scope));
}

BOOST_AUTO_TEST_CASE(query_can_be_limited_to_listed_systems) {
  auto limited = svc(scope_set{scope::query}, false, {7});
  authz_target seven = in(acme), eight = in(acme);
  seven.system_id = 7;
  eight.system_id = 8;
  BOOST_TEST((verdict(admin_op::list_messages, limited, seven) == errc::ok));
  BOOST_TEST((verdict(admin_op::list_messages, limited, eight) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::list_messages, svc(scope_set{scope::query}), eight) == errc::ok));
}

BOOST_AUTO_TEST_CASE(a_token_limited_to_some_systems_hands_out_no_query_beyond_them) {
  auto limited =
    svc(scope_set{scope::query, scope::tokens_write, scope::users_write}, false, {7, 9});
  auto query = scope_set{scope::query};
  // A new token: its query_systems must be among the caller's.
  BOOST_TEST((check_no_escalation(limited, query, {7}).code == errc::ok));
  BOOST_TEST((check_no_escalation(limited, query, {9, 7}).code == errc::ok));
  auto every = check_no_escalation(limited, query, {});
  BOOST_TEST((every.code == errc::insufficient_scope));
  BOOST_TEST(every.message.find("every system") != std::string::npos, every.message);
  auto eight = check_no_escalation(limited, query, {7, 8});
  BOOST_TEST((eight.code == errc::insufficient_scope));
  BOOST_TEST(eight.message.find(format_id(id_kind::system, 8)) != std::string::npos, eight.message);
  // admin implies query.
  BOOST_TEST(
    (check_no_escalation(limited, scope_set{scope::admin}, {7}).code == errc::insufficient_scope));
  // Without query in what is handed out, the limit does not matter.
  BOOST_TEST((check_no_escalation(limited, scope_set{scope::tokens_write}).code == errc::ok));
  // Unlimited callers and superusers hand out any query.
  BOOST_TEST((check_no_escalation(svc(query), query, {}).code == errc::ok));
  BOOST_TEST((check_no_escalation(user_of(user_role::superuser, 0), query, {}).code == errc::ok));

  // An existing service token whose query reaches further: neither changed
  // nor rotated (a rotation hands out its secret).
  authz_target wide = in(acme);
  wide.token = token_kind::service;
  wide.token_scopes = query;
  BOOST_TEST((verdict(admin_op::rotate_token, limited, wide) == errc::insufficient_scope));
  wide.token_query_systems = {9};
  BOOST_TEST((verdict(admin_op::rotate_token, limited, wide) == errc::ok));
  // A user's personal tokens query every system: making one hands that out.
  authz_target viewer = in(acme);
  viewer.user_id = 11;
  viewer.role = user_role::viewer;
  BOOST_TEST((verdict(admin_op::mint_personal_token, limited, viewer) == errc::insufficient_scope));
  BOOST_TEST((verdict(admin_op::mint_personal_token,
                      svc(scope_set{scope::query, scope::users_write, scope::users_read,
                                    scope::systems_read, scope::tokens_read}),
                      viewer)
              == errc::ok));
}

BOOST_AUTO_TEST_SUITE_END()
