#include "policy/authz.hpp"

#include <algorithm>

#include "policy/ids.hpp"

namespace sluice {

std::string principal::public_id() const {
  return kind == token_kind::user ? format_id(id_kind::user, user_id)
                                  : format_id(id_kind::token, token_id);
}

principal person(std::uint64_t token_id, std::uint64_t user_id, std::uint64_t tenant_id,
                 user_role role) {
  principal p;
  p.kind = token_kind::user;
  p.token_id = token_id;
  p.user_id = user_id;
  p.tenant_id = tenant_id;
  p.role = role;
  p.superuser = role == user_role::superuser;
  p.scopes = scopes_of_role(role).effective();
  return p;
}

principal service(std::uint64_t token_id, std::uint64_t tenant_id, scope_set scopes, bool is_public,
                  std::vector<std::uint64_t> query_systems) {
  principal p;
  p.kind = token_kind::service;
  p.token_id = token_id;
  p.tenant_id = tenant_id;
  p.scopes = scopes.effective();
  p.is_public = is_public;
  p.query_systems = std::move(query_systems);
  return p;
}

namespace {

problem missing(scope s) {
  return make_problem(errc::insufficient_scope,
                      "this call needs the \"" + std::string{to_string(s)} + "\" scope");
}

problem not_visible() { return make_problem(errc::not_found, "no such object"); }

} // namespace

problem authorize(admin_op op, const principal& who, const authz_target& what) {
  const auto& row = permission_of(op);
  // Four eyes, for superusers too: whoever asked for a token cannot be the
  // one who lets it in.
  // The one who will hold the token's secret counts as its requester: who
  // rotates a waiting token takes its only working secret.
  auto requester = [&](std::uint64_t user) {
    return user != 0
           && (user == what.requested_by_user || user == what.requested_by_holder
               || user == what.token_secret_holder);
  };
  if (row.rule == admin_rule::decide && who.user_id != 0 && who.user_id == what.token_secret_holder
      && who.user_id != what.requested_by_user && who.user_id != what.requested_by_holder)
    return make_problem(errc::forbidden, "you hold this token's secret (you rotated it after it "
                                         "was asked for); another admin must decide it");
  if (row.rule == admin_rule::decide
      && (requester(who.user_id)
          || (what.requested_by_token != 0 && what.requested_by_token == who.token_id)))
    return make_problem(errc::forbidden,
                        "you asked for this approval; another admin must decide it");
  // …nor one holding a secret a requester handed out (made or rotated).
  auto handed_by_requester = [&] {
    return std::any_of(what.decider_secret_from.begin(), what.decider_secret_from.end(), requester);
  };
  auto handed = [] {
    return make_problem(errc::forbidden, "the secret you present was handed out by the one who "
                                         "asked (who could use it); decide with a secret someone "
                                         "else handed you");
  };
  if (who.superuser)
    return row.rule == admin_rule::decide && handed_by_requester() ? handed() : problem{};
  // Outside its tenant a caller learns nothing, not even that the target
  // exists. (Targets of tenant 0 belong to the platform: superusers only.)
  if (row.target != admin_target::none && what.tenant_id != who.tenant_id)
    return not_visible();
  // A public (client-side) token reaches the query API and nothing else.
  if (who.is_public && row.scope != scope::query && op != admin_op::whoami)
    return make_problem(errc::insufficient_scope, "a public token cannot use the management API");
  switch (row.rule) {
    case admin_rule::superuser: {
      std::string what_op{to_string(op)}; // "list_tenants" -> "list tenants"
      std::replace(what_op.begin(), what_op.end(), '_', ' ');
      if (what_op.ends_with(" emergency"))
        what_op += " access";
      return make_problem(errc::insufficient_scope, "only a superuser may " + what_op);
    }
    case admin_rule::member:
    case admin_rule::anyone:
      if (row.scope && !who.scopes.contains(*row.scope))
        return missing(*row.scope);
      return {};
    case admin_rule::scope:
      if (!who.scopes.contains(*row.scope))
        return missing(*row.scope);
      // Changing a user is handing out what its role may do.
      if (op == admin_op::patch_user)
        return check_no_escalation(who, scopes_of_role(what.role));
      if (op == admin_op::list_messages && !who.query_systems.empty()
          && std::find(who.query_systems.begin(), who.query_systems.end(), what.system_id)
               == who.query_systems.end())
        return make_problem(errc::insufficient_scope,
                            "this token may query only the systems listed in its query_systems");
      return {};
    case admin_rule::token:
      if (what.token == token_kind::user) {
        // A person manages their own tokens (but lifts no restriction an
        // admin put on them: security and enable are the admins'); others
        // need the users scope, and to change one, everything its user's
        // role may do.
        bool lifts = op == admin_op::set_token_security || op == admin_op::enable_token;
        if (who.kind == token_kind::user && who.user_id == what.user_id && !lifts)
          return {};
        auto needed = row.writes ? scope::users_write : scope::users_read;
        if (!who.scopes.contains(needed))
          return missing(needed);
        return row.writes ? check_no_escalation(who, scopes_of_role(what.role)) : problem{};
      }
      if (!who.scopes.contains(*row.scope))
        return missing(*row.scope);
      if (what.token == token_kind::service && row.writes)
        return check_no_escalation(who, what.token_scopes, what.token_query_systems);
      return {};
    case admin_rule::user:
      if (who.kind == token_kind::user && who.user_id == what.user_id)
        return {};
      if (!who.scopes.contains(*row.scope))
        return missing(*row.scope);
      // A personal token of someone else acts with their role: minting one
      // hands out that role.
      return row.writes ? check_no_escalation(who, scopes_of_role(what.role)) : problem{};
    case admin_rule::decide:
      if (who.kind != token_kind::user || who.role != user_role::admin)
        return make_problem(errc::insufficient_scope,
                            "approvals are decided by a person: a tenant admin or a superuser");
      return handed_by_requester() ? handed() : problem{};
  }
  return {};
}

problem check_no_escalation(const principal& who, scope_set wanted,
                            const std::vector<std::uint64_t>& wanted_query_systems) {
  if (who.superuser)
    return {};
  auto lacking = who.scopes.missing(wanted.effective());
  if (!lacking.empty())
    return make_problem(errc::insufficient_scope,
                        "you may hand out only scopes you hold; you lack " + lacking.names());
  // A caller whose `query` reaches some systems only hands out no `query`
  // that reaches further.
  if (who.query_systems.empty() || !wanted.effective().contains(scope::query))
    return {};
  if (wanted_query_systems.empty())
    return make_problem(errc::insufficient_scope,
                        "you may hand out \"query\" only on the systems in your query_systems; "
                        "this would reach every system of the tenant");
  for (auto id : wanted_query_systems)
    if (std::find(who.query_systems.begin(), who.query_systems.end(), id)
        == who.query_systems.end())
      return make_problem(errc::insufficient_scope,
                          "you may hand out \"query\" only on the systems in your query_systems; "
                          "you lack "
                            + format_id(id_kind::system, id));
  return {};
}

} // namespace sluice
