// Tenants: create, list, read, and change (tier, overrides), which live
// system actors apply before the call returns.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/store_problem.hpp"
#include "actors/views.hpp"
#include "policy/time.hpp"

namespace sluice {

using namespace admin_replies;

tier_caps admin_state::caps_of(const store::tenant_record& t) const {
  return effective_caps(init.tiers[t.tier], t.overrides);
}

void admin_state::run(admin_job_ptr& job, const net::create_tenant_req& req, admin_context& ctx) {
  store::tenant_record rec;
  rec.id = fresh_id();
  rec.name = req.name;
  rec.tier = req.tier;
  rec.created_at_us = now_us();
  rec.overrides = req.overrides.applied_to({});
  rec.approval = req.approval;
  auto ev = event(ctx, "tenant.create");
  ev.tenant_id = rec.id;
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));
  respond(job, reply_kind::created, [&](json_writer& w) { write_tenant(w, rec, caps_of(rec)); });
}

void admin_state::run(admin_job_ptr& job, const net::list_tenants_req& req, admin_context&) {
  auto rows = init.meta->tenants(req.page.after, req.page.limit + 1);
  job->complete(
    {{},
     reply_kind::ok,
     list_body(
       rows, req.page.limit, [this](json_writer& w, auto& r) { write_tenant(w, r, caps_of(r)); },
       [](auto& r) { return format_id(id_kind::tenant, r.id); })});
}

void admin_state::run(admin_job_ptr& job, const net::get_tenant_req&, admin_context& ctx) {
  auto& rec = *ctx.tenant;
  respond(job, reply_kind::ok, [&](json_writer& w) { write_tenant(w, rec, caps_of(rec)); });
}

void admin_state::run(admin_job_ptr& job, const net::patch_tenant_req& req, admin_context& ctx) {
  auto rec = *ctx.tenant;
  if (req.name)
    rec.name = *req.name;
  if (req.tier)
    rec.tier = *req.tier;
  if (req.approval)
    rec.approval = *req.approval;
  rec.overrides = req.overrides.applied_to(rec.overrides);
  if (auto p = check_overrides(rec.overrides))
    return fail(job, std::move(p));
  auto ev = event(ctx, "tenant.update");
  ev.before_json = audit_view(*ctx.tenant);
  ev.after_json = audit_view(rec);
  if (auto ec = init.meta->write([&](store::meta_writer& w) {
        w.put(rec);
        w.append(ev);
      }))
    return fail(job, store_problem(ec));

  // Live system actors take the new terms; the call returns once they all
  // have (a system spawned from now on reads them from the store).
  auto terms = terms_of(init.tiers, rec);
  std::vector<system_actor_if> live;
  for (std::uint64_t after = 0;;) {
    auto page = init.meta->systems_of(rec.id, after, net::max_page);
    for (auto& sys : page)
      if (auto a = init.reg->live_system_actor(sys.id))
        live.push_back(*a);
    if (page.size() < net::max_page)
      break;
    after = page.back().id;
  }
  auto answer = [job, rec, caps = terms.caps]() mutable {
    respond(job, reply_kind::ok, [&](json_writer& w) { write_tenant(w, rec, caps); });
  };
  tell_all_then(self_, live, std::move(answer), update_atom::value, terms);
}

} // namespace sluice
