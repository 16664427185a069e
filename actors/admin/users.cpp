// Users of a tenant and their personal tokens. A change to a user (role,
// active) reaches every live actor of its tokens before the call returns:
// deactivating refuses all of them from the very next request.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"

namespace sluice {

using namespace admin_replies;

void admin_state::run(admin_job_ptr& job, const net::create_user_req& req, admin_context& ctx) {
  // Making a user hands out what its role may do.
  if (auto p = check_no_escalation(ctx.who, scopes_of_role(req.role)))
    return fail(job, std::move(p));
  // An e-mail names one user of a tenant.
  for (std::uint64_t after = 0;;) {
    auto page = init.meta->users_of(ctx.tenant->id, after, net::max_page);
    for (auto& u : page)
      if (u.email == req.email)
        return fail(job, make_problem(errc::conflict, "this tenant already has a user with this "
                                                      "email: "
                                                        + format_id(id_kind::user, u.id)));
    if (page.size() < net::max_page)
      break;
    after = page.back().id;
  }
  store::user_record rec;
  rec.id = fresh_id();
  rec.tenant_id = ctx.tenant->id;
  rec.name = req.name;
  rec.email = req.email;
  rec.role = req.role;
  rec.active = true;
  rec.created_at_us = now_us();
  auto ev = event(ctx, "user.create");
  ev.user_id = rec.id;
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) { write_user(w, rec); });
}

void admin_state::run(admin_job_ptr& job, const net::list_users_req& req, admin_context& ctx) {
  auto rows = init.meta->users_of(ctx.tenant->id, req.page.after, req.page.limit + 1);
  job->complete({{},
                 reply_kind::ok,
                 list_body(
                   rows, req.page.limit, [](json_writer& w, auto& r) { write_user(w, r); },
                   [](auto& r) { return format_id(id_kind::user, r.id); })});
}

void admin_state::run(admin_job_ptr& job, const net::get_user_req&, admin_context& ctx) {
  respond(job, reply_kind::ok, [&](json_writer& w) { write_user(w, *ctx.user); });
}

void admin_state::run(admin_job_ptr& job, const net::patch_user_req& req, admin_context& ctx) {
  auto rec = *ctx.user;
  bool self = ctx.who.kind == token_kind::user && ctx.who.user_id == rec.id;
  if (self && (req.role || req.active))
    return fail(job, make_problem(errc::forbidden,
                                  "you cannot change your own role or deactivate yourself; "
                                  "ask another admin"));
  // A superuser is no tenant's user: its role is not a tenant role.
  if (req.role && rec.role == user_role::superuser)
    return fail(job, make_problem(errc::conflict,
                                  "a superuser keeps its role; make or deactivate superusers "
                                  "instead (sluiced create-superuser)"));
  if (req.role)
    if (auto p = check_no_escalation(ctx.who, scopes_of_role(*req.role)))
      return fail(job, std::move(p));
  if (req.name)
    rec.name = *req.name;
  if (req.role)
    rec.role = *req.role;
  if (req.active)
    rec.active = *req.active;
  auto ev = event(ctx, "user.update", req.reason);
  ev.before_json = audit_view(*ctx.user);
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));

  // Every live actor of the user's tokens takes the change; the call returns
  // once they all have (an actor spawned from now on reads the new user).
  std::vector<token_actor_if> live;
  for (std::uint64_t after = 0;;) {
    auto page = init.meta->tokens_of_user(rec.id, after, net::max_page);
    for (auto& t : page)
      if (auto a = init.reg->live_token_actor(t.id))
        live.push_back(*a);
    if (page.size() < net::max_page)
      break;
    after = page.back().id;
  }
  auto answer = [job, rec]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_user(w, rec); });
  };
  tell_all_then(self_, live, std::move(answer), user_atom::value, rec);
}

void admin_state::run(admin_job_ptr& job, const net::mint_personal_token_req& req,
                      admin_context& ctx) {
  auto& user = *ctx.user;
  if (!user.active)
    return fail(job, make_problem(errc::conflict, "the user is deactivated"));
  store::token_record rec;
  rec.kind = token_kind::user;
  rec.tenant_id = user.tenant_id;
  rec.user_id = user.id;
  rec.name = req.name;
  rec.description = req.description;
  rec.status = token_status::active;
  rec.created_at_us = now_us();
  rec.created_by = ctx.who.public_id();
  rec.issued_to = holder_of(ctx.who);
  rec.expires_at_us = req.expires_at_us;
  rec.reason = req.reason;
  rec.allowlist = req.security.allowlist;
  rec.rate_limit = req.security.limit;
  rec.rate_limit_shadow = req.security.limit_shadow;
  rec.hours = req.security.hours;
  auto [records, secrets] = mint_secrets(rec, 1, init.pepper, [this] { return fresh_id(); });
  auto& token = records[0];
  auto ev = event(ctx, "token.create", req.reason);
  ev.token_id = token.id;
  ev.after_json = audit_view(token);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(token);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) {
    w.begin_object().key("token");
    write_token(w, token, nullptr);
    w.field("secret", secrets[0]).end_object();
  });
}

void admin_state::run(admin_job_ptr& job, const net::list_personal_tokens_req& req,
                      admin_context& ctx) {
  list_tokens(job, init.meta->tokens_of_user(ctx.user->id, req.page.after, req.page.limit + 1),
              req.page.limit);
}

} // namespace sluice
