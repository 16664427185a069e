// Approvals: a token of high risk (by its tenant's rule) waits until a person
// other than its requester approves it; a rejection revokes it.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"

namespace sluice {

using namespace admin_replies;

void admin_state::run(admin_job_ptr& job, const net::list_approvals_req& req, admin_context& ctx) {
  // A tenant's principals see their tenant's approvals only.
  auto tenant = req.tenant_id;
  if (!ctx.who.superuser) {
    if (tenant != 0 && tenant != ctx.who.tenant_id)
      return not_found(job, "tenant", format_id(id_kind::tenant, tenant));
    tenant = ctx.who.tenant_id;
  }
  std::optional<store::approval_status> status;
  if (req.status)
    status = static_cast<store::approval_status>(*req.status);
  auto rows = init.meta->approvals(tenant, status, req.page.after, req.page.limit + 1);
  job->complete({{},
                 reply_kind::ok,
                 list_body(
                   rows, req.page.limit, [](json_writer& w, auto& r) { write_approval(w, r); },
                   [](auto& r) { return format_id(id_kind::approval, r.id); })});
}

void admin_state::run(admin_job_ptr& job, const net::get_approval_req&, admin_context& ctx) {
  respond(job, reply_kind::ok, [&](json_writer& w) { write_approval(w, *ctx.approval); });
}

namespace {

/// The decision on an approval, with its token's new state, and whether it
/// can still be taken.
problem decidable(const store::approval_record& a, const std::optional<store::token_record>& t) {
  if (a.status != store::approval_status::pending)
    return make_problem(errc::conflict,
                        "this approval was already " + std::string{to_string(a.status)});
  if (!t || t->status != token_status::pending_approval)
    return make_problem(errc::conflict, "the token no longer waits for approval");
  return {};
}

} // namespace

void admin_state::run(admin_job_ptr& job, const net::approve_req& req, admin_context& ctx) {
  decide(job, ctx, store::approval_status::approved, req.reason);
}

void admin_state::run(admin_job_ptr& job, const net::reject_req& req, admin_context& ctx) {
  decide(job, ctx, store::approval_status::rejected, req.reason);
}

void admin_state::decide(admin_job_ptr& job, admin_context& ctx, store::approval_status outcome,
                         const std::string& reason) {
  ctx.token = init.meta->token(ctx.approval->token_id);
  if (auto p = decidable(*ctx.approval, ctx.token))
    return fail(job, std::move(p));
  auto now = now_us();
  auto approval = *ctx.approval;
  approval.status = outcome;
  approval.decided_by = ctx.who.public_id();
  approval.decided_at_us = now;
  approval.decision_reason = reason;
  auto token = *ctx.token;
  bool approved = outcome == store::approval_status::approved;
  if (approved) {
    token.status = token_status::active;
  } else {
    // A rejected token is revoked: it never worked and never will.
    token.status = token_status::revoked;
    token.revoked_at_us = now;
    token.revoke_reason = "approval rejected: " + reason;
  }
  auto ev = event(ctx, approved ? "approval.approve" : "approval.reject", reason);
  ev.before_json = audit_view(*ctx.approval);
  ev.after_json = audit_view(approval);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(approval);
        w.put(token);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));

  // The token's live actor (a pending token may have one, refusing) takes
  // its new state before the answer.
  auto answer = [job, approval]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_approval(w, approval); });
  };
  std::vector<token_actor_if> live;
  if (auto a = init.reg->live_token_actor(token.id))
    live.push_back(*a);
  tell_all_then(self_, live, std::move(answer), update_atom::value, token);
}

} // namespace sluice
