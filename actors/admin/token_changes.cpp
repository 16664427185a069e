// Changes to one token: edit, security, rotation, disable/enable, revoke,
// break-glass. Each is written with its audit event in one transaction, then
// applied to the token's live actor; the call returns after that, so the
// very next request is judged by the new record.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"

namespace sluice {

using namespace admin_replies;

namespace {

problem revoked_conflict() {
  return make_problem(errc::conflict, "the token is revoked; it cannot change");
}

constexpr std::int64_t us_per_second = 1'000'000;
constexpr std::int64_t us_per_hour = 3'600 * us_per_second;

} // namespace

void admin_state::change_token(admin_job_ptr& job, admin_context& ctx, store::token_record rec,
                               std::string_view action, std::string reason) {
  auto ev = event(ctx, action, std::move(reason));
  ev.before_json = audit_view(*ctx.token);
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, rec);
}

void admin_state::apply_to_live_token(admin_job_ptr& job, const store::token_record& rec,
                                      std::string secret) {
  auto answer = [job, rec, secret = std::move(secret)](const token_usage* live) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) {
      if (secret.empty())
        return write_token(w, rec, live);
      w.begin_object().key("token");
      write_token(w, rec, live);
      w.field("secret", secret).end_object();
    });
  };
  auto live = init.reg->live_token_actor(rec.id);
  if (!live)
    return answer(nullptr);
  auto actor = *live;
  self_->request(actor, actor_timeout, update_atom::value, rec)
    .then(
      [this, actor, answer](caf::ok_atom) mutable {
        // In force: answer with the live usage, as GET /tokens/{id} would.
        self_->request(actor, actor_timeout, caf::get_atom::value)
          .then([answer](token_usage& u) mutable { answer(&u); },
                [answer](caf::error&) mutable { answer(nullptr); });
      },
      // The actor passivated meanwhile: its successor reads the new record.
      [answer](caf::error&) mutable { answer(nullptr); });
}

void admin_state::run(admin_job_ptr& job, const net::patch_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  if (req.retention_days) {
    if (!store::has_retention(rec))
      return fail(job, make_problem(errc::invalid_argument,
                                    "only ingest and webhook tokens have a retention"));
    if (auto p = check_retention(caps_of(*ctx.tenant), *req.retention_days))
      return fail(job, std::move(p));
    // Applies to messages ingested from now on; stored ones keep theirs.
    rec.retention_days = *req.retention_days;
  }
  if (req.name)
    rec.name = *req.name;
  if (req.description)
    rec.description = *req.description;
  const auto& was = *ctx.token;
  if (rec.name == was.name && rec.description == was.description
      && rec.retention_days == was.retention_days)
    return run(job, net::get_token_req{}, ctx); // changes nothing: writes nothing
  change_token(job, ctx, std::move(rec), "token.update", {});
}

void admin_state::run(admin_job_ptr& job, const net::set_security_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  // PUT: the whole of the settings.
  rec.allowlist = req.security.allowlist;
  rec.rate_limit = req.security.limit;
  rec.rate_limit_shadow = req.security.limit_shadow;
  rec.hours = req.security.hours;
  rec.security_reason = req.reason;
  rec.security_changed_at_us = now_us();
  change_token(job, ctx, std::move(rec), "token.security", req.reason);
}

void admin_state::run(admin_job_ptr& job, const net::rotate_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  if (rec.expires_at_us != 0 && rec.expires_at_us <= now_us())
    return fail(job, make_problem(errc::conflict,
                                  "the token has expired; a new secret for it would never work"));
  // A new secret for the same token; the old one works for the grace (one
  // previous secret at most: a second rotation ends the first one's grace).
  auto now = now_us();
  auto [records, secrets] = mint_secrets(rec, 1, init.pepper, [&] { return rec.id; });
  auto& next = records[0];
  next.id = rec.id;
  if (req.grace_seconds > 0) {
    next.previous_hash = rec.hash;
    next.previous_valid_until_us = now + req.grace_seconds * us_per_second;
  } else {
    next.previous_hash = {};
    next.previous_valid_until_us = 0;
  }
  next.rotated_at_us = now;
  next.issued_to = holder_of(ctx.who);
  auto ev = event(ctx, "token.rotate", req.reason);
  ev.before_json = audit_view(*ctx.token);
  ev.after_json = audit_view(next);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(next);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, next, std::move(secrets[0]));
}

void admin_state::run(admin_job_ptr& job, const net::disable_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  if (rec.status == token_status::pending_approval)
    return fail(job,
                make_problem(errc::conflict, "the token waits for approval; reject it instead"));
  if (rec.status == token_status::disabled) // disabling twice changes nothing
    return apply_to_live_token(job, rec);
  rec.status = token_status::disabled;
  rec.disabled_at_us = now_us();
  rec.disable_reason = req.reason;
  change_token(job, ctx, std::move(rec), "token.disable", req.reason);
}

void admin_state::run(admin_job_ptr& job, const net::enable_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, make_problem(errc::conflict, "the token is revoked; revoking is final"));
  if (rec.status == token_status::pending_approval)
    return fail(job,
                make_problem(errc::conflict, "the token waits for approval; approve it instead"));
  if (rec.status == token_status::active) // enabling twice changes nothing
    return apply_to_live_token(job, rec);
  rec.status = token_status::active;
  rec.disabled_at_us = 0;
  rec.disable_reason.clear();
  change_token(job, ctx, std::move(rec), "token.enable", req.reason);
}

void admin_state::run(admin_job_ptr& job, const net::revoke_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked) // revoking twice changes nothing
    return apply_to_live_token(job, rec);
  // The system's actor is made live before the write, so the live count it
  // reads at start-up includes this token and the release below is right.
  std::optional<system_actor_if> sys_actor;
  if (rec.system_id != 0)
    sys_actor = init.reg->system_actor(rec.system_id);
  auto now = now_us();
  // A token revoked while it waits for approval needs no decision any more:
  // its request is closed as rejected, in the same transaction.
  std::optional<store::approval_record> closed;
  if (rec.status == token_status::pending_approval && rec.approval_id != 0) {
    closed = init.meta->approval(rec.approval_id);
    if (closed && closed->status == store::approval_status::pending) {
      closed->status = store::approval_status::rejected;
      closed->decided_by = ctx.who.public_id();
      closed->decided_at_us = now;
      closed->decision_reason = "the token was revoked: " + req.reason;
    } else {
      closed.reset();
    }
  }
  rec.status = token_status::revoked;
  rec.revoked_at_us = now;
  rec.revoke_reason = req.reason;
  auto ev = event(ctx, "token.revoke", req.reason);
  ev.before_json = audit_view(*ctx.token);
  ev.after_json = audit_view(rec);
  if (closed)
    ev.approval_id = closed->id;
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        if (closed)
          w.put(*closed);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  if (sys_actor)
    self_->send(*sys_actor, release_atom::value, std::uint32_t{1});
  // Returns once the actor refuses the token and everything it let through
  // before is committed and answered.
  apply_to_live_token(job, rec);
}

void admin_state::run(admin_job_ptr& job, const net::start_emergency_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  rec.emergency_until_us = now_us() + req.duration_hours * us_per_hour;
  rec.emergency_reason = req.reason;
  rec.emergency_by = ctx.who.public_id();
  change_token(job, ctx, std::move(rec), "token.emergency_start", req.reason);
}

void admin_state::run(admin_job_ptr& job, const net::end_emergency_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  if (rec.emergency_until_us <= now_us())
    return fail(job, make_problem(errc::conflict, "the token has no emergency access open"));
  rec.emergency_until_us = 0;
  rec.emergency_reason.clear();
  rec.emergency_by.clear();
  change_token(job, ctx, std::move(rec), "token.emergency_end", req.reason);
}

} // namespace sluice
