// Systems: create, list and read them, and a system's usage.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"

namespace sluice {

using namespace admin_replies;

void admin_state::run(admin_job_ptr& job, const net::create_system_req& req, admin_context& ctx) {
  store::system_record rec;
  rec.id = fresh_id();
  rec.tenant_id = ctx.tenant->id;
  rec.name = req.name;
  rec.description = req.description;
  rec.created_at_us = now_us();
  auto ev = event(ctx, "system.create");
  ev.system_id = rec.id;
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) { write_system(w, rec); });
}

void admin_state::run(admin_job_ptr& job, const net::patch_system_req& req, admin_context& ctx) {
  auto rec = *ctx.system;
  if (req.name)
    rec.name = *req.name;
  if (req.description)
    rec.description = *req.description;
  auto ev = event(ctx, "system.update");
  ev.before_json = audit_view(*ctx.system);
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::ok, [&](json_writer& w) { write_system(w, rec); });
}

void admin_state::run(admin_job_ptr& job, const net::list_systems_req& req, admin_context& ctx) {
  auto rows = init.meta->systems_of(ctx.tenant->id, req.page.after, req.page.limit + 1);
  job->complete({{},
                 reply_kind::ok,
                 list_body(
                   rows, req.page.limit, [](json_writer& w, auto& r) { write_system(w, r); },
                   [](auto& r) { return format_id(id_kind::system, r.id); })});
}

void admin_state::run(admin_job_ptr& job, const net::get_system_req&, admin_context& ctx) {
  respond(job, reply_kind::ok, [&](json_writer& w) { write_system(w, *ctx.system); });
}

void admin_state::run(admin_job_ptr& job, const net::system_usage_req&, admin_context& ctx) {
  auto& rec = *ctx.system;
  auto answer = [job, id = rec.id](const store::usage_record& u) mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) {
      w.begin_object().field("system_id", format_id(id_kind::system, id));
      write_usage(w, u, now_us());
      w.end_object();
    });
  };
  auto live = init.reg->live_system_actor(rec.id);
  if (!live)
    return answer(rec.usage);
  // The stored usage lags by up to one flush interval: ask the actor.
  self_->request(*live, actor_timeout, caf::get_atom::value)
    .then([answer](system_usage& u) mutable { answer(u.usage); },
          [answer, stored = rec.usage](caf::error&) mutable { answer(stored); });
}

} // namespace sluice
