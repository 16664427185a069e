// Messages read back: GET /systems/{id}/messages.

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/views.hpp"
#include "policy/base62.hpp"

namespace sluice {

using namespace admin_replies;

void admin_state::run(admin_job_ptr& job, const net::list_messages_req& req, admin_context& ctx) {
  store::message_query q;
  q.system_id = ctx.system->id;
  q.limit = req.page.limit;
  q.after_id = req.page.after;
  q.since_us = req.since_us;
  q.until_us = req.until_us;
  q.token_id = req.token_id;
  q.level = req.level;
  q.source = req.source;
  store::message_page page;
  try {
    page = init.messages->query(q);
  } catch (const std::system_error& e) {
    // A page that silently lacked one environment could make the cursor skip
    // messages: refuse instead.
    return fail(
      job, make_problem(errc::storage_busy, std::string{"cannot read messages now: "} + e.what()));
  }
  respond(job, reply_kind::ok, [&](json_writer& w) {
    w.begin_object().key("items").begin_array();
    for (auto& m : page.items)
      write_message(w, m);
    w.end_array().key("next_cursor");
    if (page.next_cursor)
      w.value(base62::encode_fixed(*page.next_cursor, 11));
    else
      w.null();
    w.end_object();
  });
}

} // namespace sluice
