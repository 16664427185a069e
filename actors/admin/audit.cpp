// The audit log (GET /audit, a token's history) and GET /me.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/views.hpp"

namespace sluice {

using namespace admin_replies;

void admin_state::write_events(admin_job_ptr& job, const store::audit_page& page) {
  respond(job, reply_kind::ok, [&](json_writer& w) {
    w.begin_object().key("items").begin_array();
    for (auto& e : page.items)
      write_event(w, e);
    w.end_array().key("next_cursor");
    if (page.next_cursor)
      w.value(format_id(id_kind::event, *page.next_cursor));
    else
      w.null();
    w.end_object();
  });
}

void admin_state::run(admin_job_ptr& job, const net::list_audit_req& req, admin_context& ctx) {
  store::audit_query q;
  q.tenant_id = req.tenant_id;
  // A tenant's principals read their tenant's events only.
  if (!ctx.who.superuser) {
    if (q.tenant_id != 0 && q.tenant_id != ctx.who.tenant_id)
      return not_found(job, "tenant", format_id(id_kind::tenant, q.tenant_id));
    q.tenant_id = ctx.who.tenant_id;
  }
  q.system_id = req.system_id;
  q.token_id = req.token_id;
  q.actor_id = req.actor_id;
  q.action = req.action;
  q.since_us = req.since_us;
  q.until_us = req.until_us;
  q.after_seq = req.page.after;
  q.limit = req.page.limit;
  write_events(job, init.meta->audit(q));
}

void admin_state::run(admin_job_ptr& job, const net::whoami_req&, admin_context& ctx) {
  respond(job, reply_kind::ok, [&](json_writer& w) { write_principal(w, ctx.who); });
}

} // namespace sluice
