// Messages read back: GET /systems/{id}/messages, and the polls of the live
// tail (GET /systems/{id}/messages/stream).

#include "actors/admin_actor.hpp"
#include "actors/admin/replies.hpp"
#include "actors/views.hpp"
#include "policy/base62.hpp"

#include <algorithm>

namespace sluice {

using namespace admin_replies;

namespace {

/// Reads one page into `page`; on a storage error answers the job (503) and
/// returns false. A page that silently lacked one environment could make the
/// cursor skip messages: refuse instead.
bool read_page(admin_job_ptr& job, const store::message_store& messages,
               const store::message_query& q, store::message_page& page) {
  try {
    page = messages.query(q);
    return true;
  } catch (const std::system_error& e) {
    fail(job,
         make_problem(errc::storage_busy, std::string{"cannot read messages now: "} + e.what()));
    return false;
  }
}

} // namespace

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
  if (!read_page(job, *init.messages, q, page))
    return;
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

void admin_state::run(admin_job_ptr& job, const net::stream_messages_req& req, admin_context& ctx) {
  // The watermark is read before the query: every message up to it is
  // visible to the query, so a poll that finds nothing more may continue
  // after it (messages of other systems or tokens are not scanned again).
  const std::uint64_t committed = init.messages->watermark();
  json_reply reply{{}, reply_kind::ok, {}};
  auto header = [&](std::uint64_t cursor, bool more) {
    json_writer w{reply.body};
    w.begin_object().field("cursor", cursor).field("more", more).end_object();
  };
  if (!req.after_id) {
    // A new stream starts at the newest committed message: no history.
    header(committed, false);
    return job->complete(std::move(reply));
  }
  store::message_query q;
  q.system_id = ctx.system->id;
  q.limit = req.limit;
  q.after_id = *req.after_id;
  q.token_id = req.token_id;
  store::message_page page;
  if (!read_page(job, *init.messages, q, page))
    return;
  std::uint64_t cursor = *req.after_id;
  if (!page.items.empty())
    cursor = std::max(cursor, page.items.back().id);
  if (page.next_cursor)
    cursor = std::max(cursor, *page.next_cursor);
  else
    cursor = std::max(cursor, committed);
  header(cursor, page.next_cursor.has_value());
  for (auto& m : page.items) {
    reply.body += '\n';
    json_writer w{reply.body};
    write_message(w, m);
  }
  job->complete(std::move(reply));
}

} // namespace sluice
