// Tokens of a system: mint (one or in bulk), list, read, edit, revoke, set
// their security, and their usage. A change to a token is written to the
// store first, then applied to its live actor; the call returns after that.

#include <unordered_set>

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"

namespace sluice {

using namespace admin_replies;

namespace {

problem revoked_conflict() {
  return make_problem(errc::conflict, "the token is revoked; it cannot change");
}

} // namespace

void admin_state::run(admin_job_ptr& job, const net::mint_token_req& req, admin_context& ctx) {
  mint(job, req, 1, ctx);
}

void admin_state::run(admin_job_ptr& job, const net::mint_tokens_req& req, admin_context& ctx) {
  mint(job, req, req.count, ctx);
}

void admin_state::mint(admin_job_ptr& job, const net::mint_token_req& req, std::uint32_t n,
                       admin_context& ctx) {
  bool bulk = job->cmd.op == admin_op::mint_tokens;
  auto caps = caps_of(*ctx.tenant);
  int days = req.retention_days.value_or(caps.default_retention_days);
  if (auto p = check_retention(caps, days))
    return fail(job, std::move(p));
  auto sys_actor = init.reg->system_actor(ctx.system->id);
  if (!sys_actor)
    return fail(job, make_problem(errc::internal, "the system's actor could not start"));

  store::token_record rec;
  rec.kind = token_kind::ingest;
  rec.tenant_id = ctx.tenant->id;
  rec.system_id = ctx.system->id;
  rec.name = req.name;
  rec.description = req.description;
  rec.scopes = scope_set{scope::ingest};
  rec.status = token_status::active;
  rec.retention_days = days;
  rec.created_at_us = now_us();
  rec.created_by = ctx.who.public_id;
  rec.expires_at_us = req.expires_at_us;
  rec.rate_limit = req.security.limit;
  rec.rate_limit_shadow = req.security.limit_shadow;

  // The cap is taken at the system's actor, so two concurrent mints cannot
  // both get the last slots; they are given back if the write fails.
  auto handle = *sys_actor;
  self_->request(handle, actor_timeout, reserve_atom::value, n)
    .then(
      [this, job, rec = std::move(rec), handle, caps, n, bulk](bool granted,
                                                               std::uint64_t live) mutable {
        if (!granted)
          return fail(job, check_token_cap(caps, live + n - 1));
        // Every token of a bulk mint gets its own id and secret; the batch is
        // one durable transaction, so it is minted whole or not at all.
        std::vector<store::token_record> records(n, rec);
        std::vector<std::string> secrets(n);
        std::unordered_set<std::uint64_t> ids;
        for (std::uint32_t i = 0; i < n; ++i) {
          secrets[i] = generate_secret(token_kind::ingest);
          do
            records[i].id = fresh_id();
          while (!ids.insert(records[i].id).second);
          records[i].hash = hash_secret(init.pepper, secrets[i]);
          records[i].hint = display_hint(secrets[i]);
        }
        if (auto ec = init.meta->write([&](store::meta_writer& w) {
              for (auto& r : records)
                w.put(r);
            })) {
          self_->send(handle, release_atom::value, n);
          return fail(job, store_problem(ec));
        }
        respond(job, reply_kind::created, [&](json_writer& w) {
          if (!bulk) {
            w.begin_object().key("token");
            write_token(w, records[0], nullptr);
            w.field("secret", secrets[0]).end_object();
            return;
          }
          w.begin_object().key("tokens").begin_array();
          for (std::uint32_t i = 0; i < n; ++i)
            w.begin_object()
              .field("id", format_id(id_kind::token, records[i].id))
              .field("secret", secrets[i])
              .end_object();
          w.end_array().end_object();
        });
      },
      [job](caf::error&) mutable {
        fail(job, make_problem(errc::storage_busy, "the system's actor did not answer; retry"));
      });
}

void admin_state::run(admin_job_ptr& job, const net::list_system_tokens_req& req,
                      admin_context& ctx) {
  // The stored usage of a live token lags by up to one flush interval: ask
  // each live actor on the page, so a list says what GET /tokens/{id} says.
  struct gathered {
    std::vector<store::token_record> rows;
    std::vector<std::optional<token_usage>> live;
    std::size_t waiting = 0;
    std::size_t limit = 0;
  };
  auto g = std::make_shared<gathered>();
  g->rows = init.meta->tokens_of_system(ctx.system->id, req.page.after, req.page.limit + 1);
  g->live.resize(g->rows.size());
  g->limit = req.page.limit;
  auto finish = [job, g]() mutable {
    std::size_t i = 0;
    job->complete({{},
                   reply_kind::ok,
                   list_body(
                     g->rows, g->limit,
                     [&](json_writer& w, auto& r) {
                       auto& u = g->live[i++];
                       write_token(w, r, u ? &*u : nullptr);
                     },
                     [](auto& r) { return format_id(id_kind::token, r.id); })});
  };
  auto shown = std::min(g->rows.size(), req.page.limit);
  std::vector<std::pair<std::size_t, token_actor_if>> live;
  for (std::size_t i = 0; i < shown; ++i)
    if (auto actor = init.reg->live_token_actor(g->rows[i].hash))
      live.emplace_back(i, *actor);
  g->waiting = live.size();
  if (live.empty())
    return finish();
  for (auto& [i, actor] : live)
    self_->request(actor, actor_timeout, caf::get_atom::value)
      .then(
        [g, finish, i = i](token_usage& u) mutable {
          g->live[i] = std::move(u);
          if (--g->waiting == 0)
            finish();
        },
        // Passivated meanwhile: its usage is in the store now.
        [g, finish](caf::error&) mutable {
          if (--g->waiting == 0)
            finish();
        });
}

void admin_state::run(admin_job_ptr& job, const net::get_token_req&, admin_context& ctx) {
  auto& rec = *ctx.token;
  auto answer = [job](const store::token_record& r, const token_usage* live) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, r, live); });
  };
  auto live = init.reg->live_token_actor(rec.hash);
  if (!live)
    return answer(rec, nullptr);
  // Usage in the store lags by up to one flush interval: ask the actor.
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer, r = rec](token_usage& usage) mutable { answer(r, &usage); },
          [answer, r = rec](caf::error&) mutable { answer(r, nullptr); });
}

void admin_state::run(admin_job_ptr& job, const net::patch_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  if (req.retention_days) {
    if (rec.kind != token_kind::ingest && rec.kind != token_kind::webhook)
      return fail(job, make_problem(errc::invalid_argument,
                                    "only ingest and webhook tokens have a retention"));
    if (!ctx.tenant)
      return fail(job, make_problem(errc::internal, "the token's tenant is missing"));
    if (auto p = check_retention(caps_of(*ctx.tenant), *req.retention_days))
      return fail(job, std::move(p));
    // Applies to messages ingested from now on; stored ones keep theirs.
    rec.retention_days = *req.retention_days;
  }
  if (req.name)
    rec.name = *req.name;
  if (req.description)
    rec.description = *req.description;
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(rec); }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, rec);
}

void admin_state::run(admin_job_ptr& job, const net::revoke_token_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked) // revoking twice changes nothing
    return respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, rec, nullptr); });
  // The system's actor is made live before the write, so the live count it
  // reads at start-up includes this token and the release below is right.
  std::optional<system_actor_if> sys_actor;
  if (rec.system_id != 0)
    sys_actor = init.reg->system_actor(rec.system_id);
  rec.status = token_status::revoked;
  rec.revoked_at_us = now_us();
  rec.revoke_reason = req.reason;
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(rec); }))
    return fail(job, store_problem(ec));
  if (sys_actor)
    self_->send(*sys_actor, release_atom::value, std::uint32_t{1});
  // Returns once the actor refuses the token and everything it let through
  // before is committed and answered.
  apply_to_live_token(job, rec);
}

void admin_state::apply_to_live_token(admin_job_ptr& job, const store::token_record& rec) {
  auto answer = [job, rec]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_token(w, rec, nullptr); });
  };
  auto live = init.reg->live_token_actor(rec.hash);
  if (!live)
    return answer();
  self_->request(*live, actor_timeout, update_atom::value, rec)
    .then([answer](caf::ok_atom) mutable { answer(); },
          // The actor passivated meanwhile: its successor reads the new record.
          [answer](caf::error&) mutable { answer(); });
}

void admin_state::run(admin_job_ptr& job, const net::set_security_req& req, admin_context& ctx) {
  auto rec = *ctx.token;
  if (rec.status == token_status::revoked)
    return fail(job, revoked_conflict());
  rec.rate_limit = req.security.limit;
  rec.rate_limit_shadow = req.security.limit_shadow;
  rec.security_reason = req.reason;
  rec.security_changed_at_us = now_us();
  if (auto ec = init.meta->write([&](store::meta_writer& w) { w.put(rec); }))
    return fail(job, store_problem(ec));
  apply_to_live_token(job, rec);
}

void admin_state::run(admin_job_ptr& job, const net::token_usage_req&, admin_context& ctx) {
  auto& rec = *ctx.token;
  auto answer = [job, id = rec.id](const token_usage& u) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) {
      w.begin_object().field("token_id", format_id(id_kind::token, id));
      write_usage(w, u.usage, now_us());
      w.key("last_used_at");
      if (u.last_used_at_us != 0)
        w.value(format_rfc3339_us(u.last_used_at_us));
      else
        w.null();
      w.key("last_ip");
      if (!u.last_ip.empty())
        w.value(u.last_ip);
      else
        w.null();
      w.end_object();
    });
  };
  token_usage stored{rec.usage, rec.last_used_at_us, rec.last_ip};
  auto live = init.reg->live_token_actor(rec.hash);
  if (!live)
    return answer(stored);
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer](token_usage& u) mutable { answer(u); },
          [answer, stored](caf::error&) mutable { answer(stored); });
}

} // namespace sluice
