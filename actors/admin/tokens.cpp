// Minting tokens of every kind, token lists, and reading one token (its
// record, usage and history). Changes to a token are in token_changes.cpp.

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

/// A new token's record from what every mint request has in common;
/// `holder` receives its secret.
store::token_record new_token(token_kind kind, const principal& who, std::string holder,
                              std::string name, std::string description, std::int64_t expires_at_us,
                              std::string reason, const net::security_request& security) {
  store::token_record rec;
  rec.kind = kind;
  rec.name = std::move(name);
  rec.description = std::move(description);
  rec.status = token_status::active;
  rec.created_at_us = now_us();
  rec.created_by = who.public_id();
  rec.issued_to = std::move(holder);
  rec.expires_at_us = expires_at_us;
  rec.reason = std::move(reason);
  rec.allowlist = security.allowlist;
  rec.rate_limit = security.limit;
  rec.rate_limit_shadow = security.limit_shadow;
  rec.hours = security.hours;
  return rec;
}

/// Medium and high risk need a reason at creation (400 naming it).
problem check_reason(risk r, const std::string& reason) {
  if (needs_reason(r) && reason.empty())
    return make_problem(errc::invalid_argument, "\"reason\" is required for a token of "
                                                  + std::string{to_string(r)} + " risk");
  return {};
}

/// {"token": {…}, "secret": "…"}: the only time the secret is shown.
void write_minted(json_writer& w, const store::token_record& rec, const std::string& secret) {
  w.begin_object().key("token");
  write_token(w, rec, nullptr);
  w.field("secret", secret).end_object();
}

} // namespace

std::pair<std::vector<store::token_record>, std::vector<std::string>>
mint_secrets(const store::token_record& rec, std::uint32_t n, const pepper& p,
             const std::function<std::uint64_t()>& fresh_id) {
  std::vector<store::token_record> records(n, rec);
  std::vector<std::string> secrets(n);
  std::unordered_set<std::uint64_t> ids;
  for (std::uint32_t i = 0; i < n; ++i) {
    secrets[i] = generate_secret(rec.kind);
    do
      records[i].id = fresh_id();
    while (!ids.insert(records[i].id).second);
    records[i].hash = hash_secret(p, secrets[i]);
    records[i].hint = display_hint(secrets[i]);
  }
  return {std::move(records), std::move(secrets)};
}

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

  auto rec = new_token(req.kind, ctx.who, holder_of(ctx.who), req.name, req.description,
                       req.expires_at_us, req.reason, req.security);
  rec.tenant_id = ctx.tenant->id;
  rec.system_id = ctx.system->id;
  rec.scopes = scope_set{scope::ingest};
  rec.is_public = req.is_public;
  rec.retention_days = days;

  // The cap is taken at the system's actor, so two concurrent mints cannot
  // both get the last slots; they are given back if the write fails.
  auto handle = *sys_actor;
  self_->request(handle, actor_timeout, reserve_atom::value, n)
    .then(
      [this, job, ctx, rec = std::move(rec), handle, caps, n, bulk](bool granted,
                                                                    std::uint64_t live) mutable {
        if (!granted)
          return fail(job, check_token_cap(caps, live, n));
        // Every token of a bulk mint gets its own id and secret; the batch is
        // one durable transaction, so it is minted whole or not at all.
        auto [records, secrets] = mint_secrets(rec, n, init.pepper, [this] { return fresh_id(); });
        std::vector<store::audit_event> events;
        for (auto& r : records) {
          auto& ev = events.emplace_back(event(ctx, "token.create", r.reason));
          ev.token_id = r.id;
          ev.after_json = audit_view(r);
        }
        if (auto ec = init.meta->write([&](store::meta_writer& w) {
              for (std::size_t i = 0; i < records.size(); ++i) {
                w.put(records[i]);
                w.append(events[i]);
              }
            })) {
          self_->send(handle, release_atom::value, n);
          return fail(job, store_problem(ec));
        }
        respond(job, reply_kind::created, [&](json_writer& w) {
          if (!bulk)
            return write_minted(w, records[0], secrets[0]);
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

void admin_state::run(admin_job_ptr& job, const net::mint_service_token_req& req,
                      admin_context& ctx) {
  // No escalation: a caller hands out only scopes it holds, and a `query`
  // that reaches no further than its own.
  if (auto p = check_no_escalation(ctx.who, req.scopes, req.query_systems))
    return fail(job, std::move(p));
  auto r = req.scopes.risk();
  if (auto p = check_reason(r, req.reason))
    return fail(job, std::move(p));
  for (auto id : req.query_systems) {
    auto sys = init.meta->system(id);
    if (!sys || sys->tenant_id != ctx.tenant->id)
      return fail(job, make_problem(errc::invalid_argument,
                                    "\"query_systems\" names " + format_id(id_kind::system, id)
                                      + ", which is not a system of this tenant"));
  }
  auto rec = new_token(token_kind::service, ctx.who, holder_of(ctx.who), req.name, req.description,
                       req.expires_at_us, req.reason, req.security);
  rec.tenant_id = ctx.tenant->id;
  rec.scopes = req.scopes;
  rec.query_systems = req.query_systems;
  rec.is_public = req.is_public;
  auto [records, secrets] = mint_secrets(rec, 1, init.pepper, [this] { return fresh_id(); });
  auto& token = records[0];

  // High risk (per the tenant's rule) waits for a second person's approval;
  // its secret is shown now, once, like any other.
  std::optional<store::approval_record> approval;
  if (needs_approval(r, ctx.tenant->approval)) {
    token.status = token_status::pending_approval;
    approval.emplace();
    approval->id = fresh_id();
    approval->tenant_id = ctx.tenant->id;
    approval->token_id = token.id;
    approval->risk = r;
    approval->scopes = token.scopes;
    approval->reason = req.reason;
    // The person asking, also through a service token they made, and the
    // person holding the secret that asked (whoever rotated it last, or set
    // up the personal token): either could have asked. Four eyes compare
    // people, not credentials.
    approval->requested_by_user = person_behind(ctx.who);
    approval->requested_by_holder = person_holding(ctx.who.token_id);
    approval->requested_by = ctx.who.public_id();
    approval->requested_at_us = token.created_at_us;
    token.approval_id = approval->id;
  }
  auto ev = event(ctx, "token.create", req.reason);
  ev.token_id = token.id;
  ev.after_json = audit_view(token);
  if (approval)
    ev.approval_id = approval->id;
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(token);
        if (approval)
          w.put(*approval);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, approval ? reply_kind::accepted : reply_kind::created,
          [&](json_writer& w) { write_minted(w, token, secrets[0]); });
}

std::uint64_t admin_state::person_behind(const principal& who) const {
  if (who.kind == token_kind::user)
    return who.user_id;
  // A service token was made by a person or by another service token: follow
  // created_by up to the person (a few hops at most; a loop cannot form, as
  // a token is made before anything it makes).
  auto token_id = who.token_id;
  for (int hop = 0; hop < 16; ++hop) {
    auto rec = init.meta->token(token_id);
    if (!rec)
      return 0;
    if (auto user = parse_id(id_kind::user, rec->created_by))
      return *user;
    auto maker = parse_id(id_kind::token, rec->created_by);
    if (!maker)
      return 0;
    token_id = *maker;
  }
  return 0;
}

std::uint64_t admin_state::person_holding(std::uint64_t token_id) const {
  // holder_of names who holds a token's secret: a person, the token itself
  // (no one else), or a token whose own holder is looked up in turn.
  for (int hop = 0; hop < 16; ++hop) {
    auto rec = init.meta->token(token_id);
    if (!rec)
      return 0;
    principal as;
    as.kind = rec->kind == token_kind::user ? token_kind::user : token_kind::service;
    as.token_id = token_id;
    as.user_id = rec->user_id;
    auto holder = holder_of(as);
    if (auto user = parse_id(id_kind::user, holder))
      return *user;
    auto via = parse_id(id_kind::token, holder);
    if (!via)
      return 0;
    if (*via == token_id) // a service token no one else holds: its maker's
      return person_behind(as);
    token_id = *via;
  }
  return 0;
}

void admin_state::run(admin_job_ptr& job, const net::list_system_tokens_req& req,
                      admin_context& ctx) {
  list_tokens(job, init.meta->tokens_of_system(ctx.system->id, req.page.after, req.page.limit + 1),
              req.page.limit);
}

void admin_state::run(admin_job_ptr& job, const net::list_service_tokens_req& req,
                      admin_context& ctx) {
  list_tokens(job, init.meta->service_tokens_of(ctx.tenant->id, req.page.after, req.page.limit + 1),
              req.page.limit);
}

void admin_state::list_tokens(admin_job_ptr& job, std::vector<store::token_record> rows,
                              std::size_t limit) {
  // The stored usage of a live token lags by up to one flush interval: ask
  // each live actor on the page, so a list says what GET /tokens/{id} says.
  struct gathered {
    std::vector<store::token_record> rows;
    std::vector<std::optional<token_usage>> live;
    std::size_t waiting = 0;
    std::size_t limit = 0;
  };
  auto g = std::make_shared<gathered>();
  g->rows = std::move(rows);
  g->live.resize(g->rows.size());
  g->limit = limit;
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
  auto shown = std::min(g->rows.size(), limit);
  std::vector<std::pair<std::size_t, token_actor_if>> live;
  for (std::size_t i = 0; i < shown; ++i)
    if (auto actor = init.reg->live_token_actor(g->rows[i].id))
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
  auto live = init.reg->live_token_actor(rec.id);
  if (!live)
    return answer(rec, nullptr);
  // Usage in the store lags by up to one flush interval: ask the actor.
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer, r = rec](token_usage& usage) mutable { answer(r, &usage); },
          [answer, r = rec](caf::error&) mutable { answer(r, nullptr); });
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
  token_usage stored{rec.usage, rec.last_used_at_us, rec.last_ip, {}};
  auto live = init.reg->live_token_actor(rec.id);
  if (!live)
    return answer(stored);
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer](token_usage& u) mutable { answer(u); },
          [answer, stored](caf::error&) mutable { answer(stored); });
}

void admin_state::run(admin_job_ptr& job, const net::token_history_req& req, admin_context& ctx) {
  store::audit_query q;
  q.token_id = ctx.token->id;
  q.after_seq = req.page.after;
  q.limit = req.page.limit;
  write_events(job, init.meta->audit(q));
}

} // namespace sluice
