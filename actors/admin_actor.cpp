#include "actors/admin_actor.hpp"

#include <caf/actor_system.hpp>
#include <pthread.h>

#include "actors/admin/replies.hpp"
#include "actors/spawn.hpp"
#include "net/log.hpp"
#include "policy/ids.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

namespace sluice {

using namespace admin_replies;

admin_actor_if spawn_admin_actor(caf::actor_system& sys, admin_init init) {
  return spawn_state<admin_actor_if, admin_state, caf::detached>(sys, std::move(init));
}

admin_actor_if::behavior_type admin_state::make_behavior() {
  // Detached: this runs on the actor's own thread (CAF calls it "caf.actor").
  ::pthread_setname_np(::pthread_self(), "admin-actor");
  // Usage still pending at shutdown is written before the actor goes.
  self_->set_exit_handler([this](caf::exit_msg& msg) {
    flush_usage();
    self_->quit(msg.reason);
  });
  self_->delayed_send(self_, init.usage_flush_interval, tick_atom::value);
  return {
    [this](admin_atom, admin_job_ptr& job) { handle(job); },
    [this](flush_atom) {
      flush_usage();
      return caf::ok_atom::value;
    },
    [this](tick_atom) {
      flush_usage();
      self_->delayed_send(self_, init.usage_flush_interval, tick_atom::value);
    },
  };
}

std::string_view admin_state::target_name(admin_target t) {
  switch (t) {
    case admin_target::tenant: return "tenant";
    case admin_target::system: return "system";
    case admin_target::token: return "token";
    case admin_target::user: return "user";
    case admin_target::approval: return "approval";
    case admin_target::none: break;
  }
  return "object";
}

bool admin_state::resolve(admin_job_ptr& job, admin_context& ctx) {
  auto target = permission_of(job->cmd.op).target;
  auto& id_text = job->cmd.path_id;
  // An id that does not parse names nothing, like one that is not stored.
  auto lookup = [&](id_kind kind, auto get, auto& out, std::string_view what) {
    auto id = parse_id(kind, id_text);
    if (id)
      out = ((*init.meta).*get)(*id);
    if (!out)
      not_found(job, what, id_text);
    return out.has_value();
  };
  // The tenant the target belongs to (0: the platform's, like a superuser).
  std::uint64_t tenant = 0;
  switch (target) {
    case admin_target::none: return true;
    case admin_target::tenant:
      return lookup(id_kind::tenant, &store::meta_store::tenant, ctx.tenant, target_name(target));
    case admin_target::system:
      if (!lookup(id_kind::system, &store::meta_store::system, ctx.system, target_name(target)))
        return false;
      tenant = ctx.system->tenant_id;
      break;
    case admin_target::token:
      if (!lookup(id_kind::token, &store::meta_store::token, ctx.token, target_name(target)))
        return false;
      if (ctx.token->system_id != 0)
        ctx.system = init.meta->system(ctx.token->system_id);
      if (ctx.token->user_id != 0)
        ctx.user = init.meta->user(ctx.token->user_id);
      tenant = ctx.token->tenant_id;
      break;
    case admin_target::user:
      if (!lookup(id_kind::user, &store::meta_store::user, ctx.user, target_name(target)))
        return false;
      tenant = ctx.user->tenant_id;
      break;
    case admin_target::approval:
      if (!lookup(id_kind::approval, &store::meta_store::approval, ctx.approval,
                  target_name(target)))
        return false;
      tenant = ctx.approval->tenant_id;
      break;
  }
  if (tenant == 0)
    return true;
  ctx.tenant = init.meta->tenant(tenant);
  if (!ctx.tenant) {
    fail(job, make_problem(errc::internal, "the record's tenant is missing"));
    return false;
  }
  return true;
}

authz_target admin_state::target_of(const admin_context& ctx) const {
  authz_target t;
  if (ctx.tenant)
    t.tenant_id = ctx.tenant->id;
  if (ctx.system)
    t.system_id = ctx.system->id;
  if (ctx.user) {
    t.user_id = ctx.user->id;
    t.role = ctx.user->role;
  }
  if (ctx.token) {
    t.token = ctx.token->kind;
    t.token_scopes = ctx.token->scopes;
    t.token_query_systems = ctx.token->query_systems;
  }
  if (ctx.approval) {
    t.requested_by_user = ctx.approval->requested_by_user;
    t.requested_by_holder = ctx.approval->requested_by_holder;
    t.requested_by_token = parse_id(id_kind::token, ctx.approval->requested_by).value_or(0);
    t.token_secret_holder = person_holding(ctx.approval->token_id);
    // Who was handed the decider's secret (by minting or rotating it): a
    // person, or a service token, whose maker and holder could both have
    // used it.
    auto holder = holder_of(ctx.who);
    if (auto user = parse_id(id_kind::user, holder))
      t.decider_secret_from = {*user, 0};
    else if (auto via = parse_id(id_kind::token, holder)) {
      principal through;
      through.kind = token_kind::service;
      through.token_id = *via;
      t.decider_secret_from = {person_behind(through), person_holding(*via)};
    }
  }
  return t;
}

void admin_state::handle(admin_job_ptr& job) {
  admin_context ctx;
  ctx.who = std::move(job->who);
  ctx.client_ip = job->cmd.client_ip;
  if (!resolve(job, ctx))
    return;
  // One table decides who may do what (policy/admin_ops.cpp, policy/authz.cpp).
  if (auto p = authorize(job->cmd.op, ctx.who, target_of(ctx))) {
    // Another tenant's record is answered word for word like one that does
    // not exist: the caller learns nothing from the message either.
    if (p.code == errc::not_found)
      return not_found(job, target_name(permission_of(job->cmd.op).target), job->cmd.path_id);
    return fail(job, std::move(p));
  }
  // A request that did not decode is refused only now: a caller who may not
  // make it learns nothing about what a valid one looks like.
  if (job->cmd.decode_problem)
    return fail(job, std::move(job->cmd.decode_problem));
  std::visit([&](const auto& req) { run(job, req, ctx); }, job->cmd.request);
}

std::string admin_state::holder_of(const principal& who) const {
  auto own = init.meta->token(who.token_id);
  // Issued to nobody else (older records, or the first superuser's token,
  // which sluiced handed to whoever runs it): the caller holds it.
  if (!own || own->issued_to.empty() || own->issued_to == "sluiced")
    return who.public_id();
  // A secret a superuser handed out (onboarding a tenant's first users) is
  // its recipient's: superusers are the platform's trusted operators, and
  // every first secret comes from one. (docs/access-control.md, Limits.)
  if (auto user_id = parse_id(id_kind::user, own->issued_to))
    if (auto user = init.meta->user(*user_id); user && user->role == user_role::superuser)
      return who.public_id();
  return own->issued_to;
}

store::audit_event admin_state::event(const admin_context& ctx, std::string_view action,
                                      std::string reason) const {
  store::audit_event e;
  e.at_us = now_us();
  e.actor_kind = ctx.who.kind == token_kind::user ? "user" : "service";
  e.actor_user_id = ctx.who.user_id;
  e.actor_token_id = ctx.who.token_id;
  e.client_ip = ctx.client_ip;
  e.action = std::string{action};
  if (ctx.tenant)
    e.tenant_id = ctx.tenant->id;
  if (ctx.system)
    e.system_id = ctx.system->id;
  if (ctx.token)
    e.token_id = ctx.token->id;
  if (ctx.user)
    e.user_id = ctx.user->id;
  if (ctx.approval)
    e.approval_id = ctx.approval->id;
  e.reason = std::move(reason);
  return e;
}

void admin_state::run(admin_job_ptr& job, const std::monostate&, admin_context&) {
  fail(job, make_problem(errc::internal, "the request was not decoded"));
}

std::uint64_t admin_state::fresh_id() {
  // Ids carry milliseconds and 22 random bits; a clash is rare but checked.
  for (;;) {
    auto id = new_id(now_us() / 1000);
    if (!init.meta->id_taken(id))
      return id;
  }
}

// -- usage ---------------------------------------------------------------------

void admin_state::flush_usage() {
  init.usage->take(pending_usage_, pending_system_usage_);
  if (pending_usage_.empty() && pending_system_usage_.empty())
    return;
  // One durable transaction: each token's and system's totals, the minutes
  // of its series that changed, and the minutes older than an hour go.
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        for (auto& [id, u] : pending_usage_)
          w.put_usage(id, u.usage, u.changed, u.last_used_at_us, u.last_ip);
        for (auto& [id, u] : pending_system_usage_)
          w.put_usage(id, u.usage, u.changed, 0, {});
        w.drop_usage_before(minute_of(now_us()) - static_cast<std::int64_t>(minutes_kept) + 1);
      })) {
    // Kept for the next flush; counters are totals, so nothing is lost.
    log::error("admin: usage flush failed", {{"error", ec.message()}});
    return;
  }
  init.usage->written();
  pending_usage_.clear();
  pending_system_usage_.clear();
}

} // namespace sluice
