#include "net/message_tail.hpp"

#include <simdjson.h>

#include <optional>
#include <utility>
#include <variant>

#include "net/auth.hpp"
#include "net/error_table.hpp"
#include "net/json_parser.hpp"
#include "net/responses.hpp"
#include "policy/ids.hpp"
#include "policy/time.hpp"

namespace sluice::net {

namespace {

/// Retry-After of a 503 too_many_streams: streams are long-lived, so a slot
/// frees up rarely; a client that retries at once only adds load.
constexpr std::uint32_t streams_retry_after_s = 5;

/// The source of one open tail. Its polls are made on the connection's
/// thread, one at a time; the reply comes back on an actor's thread and
/// updates the cursor before the stream (which waits for it) polls again.
class message_tail final : public event_source, public std::enable_shared_from_this<message_tail> {
public:
  message_tail(gateway& g, admin_command base, std::uint64_t cursor, stream_batch first,
               std::shared_ptr<void> slot)
      : gateway_(g), base_(std::move(base)), cursor_(cursor), first_(std::move(first)),
        slot_(std::move(slot)) {
    if (auto* req = std::get_if<stream_messages_req>(&base_.request))
      token_id_ = req->token_id;
  }

  void poll(std::function<void(stream_batch&&)> done) override {
    if (first_) {
      // What the opening call found (after Last-Event-ID) goes first.
      auto b = std::move(*first_);
      first_.reset();
      return done(std::move(b));
    }
    admin_command cmd;
    cmd.op = base_.op;
    cmd.secret = base_.secret;
    cmd.client_ip = base_.client_ip;
    cmd.path_id = base_.path_id;
    stream_messages_req req;
    req.after_id = cursor_;
    req.token_id = token_id_;
    cmd.request = req;
    cmd.continuation = true;
    cmd.received_at_us = now_us();
    gateway_.admin(std::move(cmd), [self = shared_from_this(), done = std::move(done)](
                                     json_reply&& r) { done(self->batch_of(std::move(r))); });
  }

private:
  stream_batch batch_of(json_reply&& r) {
    stream_batch b;
    if (r.failure) {
      // The caller lost the right to read (revoked, disabled, expired, its
      // scope or the system gone) or the store cannot be read: the reason,
      // as the API's error object, then the end.
      b.events = "event: error\ndata: " + error_response(r.failure).body + "\n\n";
      b.end = true;
      return b;
    }
    if (!tail_events(r.body, cursor_, b.more, b.events)) {
      b.events = "event: error\ndata: "
                 + error_response(make_problem(errc::internal, "unreadable stream page")).body
                 + "\n\n";
      b.end = true;
    }
    return b;
  }

  gateway& gateway_;
  admin_command base_; ///< the opening call: who asks, from where, about which system
  std::optional<std::uint64_t> token_id_;
  std::uint64_t cursor_; ///< the last message id covered
  std::optional<stream_batch> first_;
  std::shared_ptr<void> slot_; ///< held while the stream is open
};

} // namespace

std::shared_ptr<void> stream_slots::acquire() {
  auto s = state_;
  auto n = s->open.load(std::memory_order_relaxed);
  do {
    if (n >= s->max)
      return nullptr;
  } while (!s->open.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel));
  // The deleter holds the state, so a slot may outlive this object.
  return std::shared_ptr<void>(s.get(), [s](void*) { s->open.fetch_sub(1); });
}

bool tail_events(std::string_view body, std::uint64_t& cursor, bool& more, std::string& events) {
  auto& parser = thread_json_parser();
  auto nl = body.find('\n');
  auto head = body.substr(0, nl);
  {
    simdjson::dom::element doc;
    std::uint64_t c = 0;
    bool m = false;
    if (parser.parse(head.data(), head.size()).get(doc) || doc["cursor"].get(c)
        || doc["more"].get(m))
      return false;
    cursor = c;
    more = m;
  }
  while (nl != std::string_view::npos) {
    body.remove_prefix(nl + 1);
    nl = body.find('\n');
    auto line = body.substr(0, nl);
    // One line of minified JSON: no CR or LF inside, so it is one data line.
    simdjson::dom::element doc;
    std::string_view id;
    if (line.find('\r') != std::string_view::npos || parser.parse(line.data(), line.size()).get(doc)
        || doc["id"].get(id))
      return false;
    events += "id: ";
    events += id;
    events += "\nevent: message\ndata: ";
    events += line;
    events += "\n\n";
  }
  return true;
}

void open_message_tail(gateway& g, admin_command&& cmd, std::string_view last_event_id,
                       stream_slots& slots, const stream_settings& settings, responder res) {
  if (auto* req = std::get_if<stream_messages_req>(&cmd.request)) {
    last_event_id = trim_ows(last_event_id);
    if (!last_event_id.empty()) {
      // Told only after authorization, like every decode problem.
      if (auto id = parse_id(id_kind::message, last_event_id))
        req->after_id = *id;
      else
        cmd.decode_problem =
          make_problem(errc::invalid_argument, "Last-Event-ID must be the id of a message (msg_…)");
    }
  }
  // What each poll repeats: the caller, its address, the system, the filter.
  admin_command base;
  base.op = cmd.op;
  base.secret = cmd.secret;
  base.client_ip = cmd.client_ip;
  base.path_id = cmd.path_id;
  base.request = cmd.request;
  g.admin(std::move(cmd), [&g, &slots, settings, res,
                           base = std::move(base)](json_reply&& r) mutable {
    if (r.failure)
      return res.send(to_response(std::move(r)));
    stream_batch first;
    std::uint64_t cursor = 0;
    if (!tail_events(r.body, cursor, first.more, first.events))
      return res.send(
        with_token(error_response(make_problem(errc::internal, "unreadable stream page")), r));
    auto slot = slots.acquire();
    if (!slot) {
      auto p =
        make_problem(errc::too_many_streams, "as many live streams are open as this server allows "
                                             "(admin.max-streams); retry later");
      p.retry_after_s = streams_retry_after_s;
      return res.send(with_token(error_response(p), r));
    }
    auto tail =
      std::make_shared<message_tail>(g, std::move(base), cursor, std::move(first), std::move(slot));
    tail->settings = settings;
    http_response head;
    head.content_type = "text/event-stream";
    head.typed_when_empty = true;
    // Never cached; and a proxy that buffers responses (nginx) is told not to.
    head.headers = {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}};
    head.token_id = r.token_id;
    head.stream = std::move(tail);
    res.send(std::move(head));
  });
}

} // namespace sluice::net
