// The audit log (GET /audit, a token's history, the chain's verification)
// and GET /me.

#include <chrono>

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/views.hpp"
#include "policy/hex.hpp"
#include "policy/time.hpp"

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

void admin_state::run(admin_job_ptr& job, const net::verify_audit_req&, admin_context&) {
  // The whole chain, in one read transaction: a snapshot, so events
  // appended meanwhile are not part of this verdict. It runs here, on the
  // admin actor's thread, and holds other admin calls while it walks
  // (measured: 0.65-0.8 s for 100,000 events of 1 kB; docs/api.md); ingest
  // does not wait for it. Superusers only, so it is not a tenant's lever.
  const auto started = std::chrono::steady_clock::now();
  const auto verdict = init.meta->verify_audit();
  const auto took = std::chrono::steady_clock::now() - started;
  // Not a verdict on the chain: the store could not be read at all.
  if (!verdict.whole && verdict.broken_at == 0)
    return fail(job, make_problem(errc::storage_busy, verdict.why));
  respond(job, reply_kind::ok, [&](json_writer& w) {
    w.begin_object()
      .field("status", verdict.whole ? "whole" : "broken")
      .field("events_checked", verdict.checked)
      .key("head");
    if (verdict.whole && verdict.checked > 0) {
      std::string hash;
      hex::encode(verdict.head, hash);
      w.begin_object()
        .field("id", format_id(id_kind::event, verdict.checked))
        .field("hash", hash)
        .end_object();
    } else {
      w.null();
    }
    w.key("broken_at");
    if (verdict.whole)
      w.null().key("problem").null();
    else
      w.value(format_id(id_kind::event, verdict.broken_at)).field("problem", verdict.why);
    w.field("checked_at", format_rfc3339_us(now_us()))
      .field("duration_ms", std::chrono::duration_cast<std::chrono::milliseconds>(took).count())
      .end_object();
  });
}

void admin_state::run(admin_job_ptr& job, const net::whoami_req&, admin_context& ctx) {
  respond(job, reply_kind::ok, [&](json_writer& w) { write_principal(w, ctx.who); });
}

} // namespace sluice
