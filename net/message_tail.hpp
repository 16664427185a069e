#pragma once

// The live tail of a system's messages: GET /systems/{id}/messages/stream,
// Server-Sent Events on the admin port (net/event_stream.hpp carries them).
//
// It reads committed messages only, from the store, with a cursor: each poll
// is the admin call stream_messages_req ("messages of system S after id X"),
// which passes the token's actor and the admin actor like the list call it
// shares its operation with, so every poll is authenticated and authorized
// again (a revoked or disabled caller is refused at the next poll, and the
// stream ends). The ingest path is not involved: with nobody tailing, the
// tail costs nothing.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/event_stream.hpp"
#include "net/gateway.hpp"
#include "net/http_server.hpp"

namespace sluice::net {

/// The streams open on a port at most: a slot per stream, released when the
/// stream's source goes. Thread-safe.
class stream_slots {
public:
  explicit stream_slots(std::size_t max) : state_(std::make_shared<state>(max)) {}

  /// A slot (freed when the last copy is destroyed), or null when `max` are
  /// taken.
  std::shared_ptr<void> acquire();
  /// Slots taken now.
  std::size_t open() const noexcept { return state_->open.load(std::memory_order_relaxed); }

private:
  struct state {
    explicit state(std::size_t m) : max(m) {}
    const std::size_t max;
    std::atomic<std::size_t> open{0};
  };
  std::shared_ptr<state> state_;
};

/// Opens the live tail for an authorized-looking request: sends the opening
/// call (`cmd`, whose request is a stream_messages_req; `last_event_id`: the
/// Last-Event-ID header, empty when absent) and answers through `res`: the
/// gateway's refusal as JSON (401, 403, 404, 400), 503 too_many_streams when
/// every slot is taken, or 200 and the stream.
void open_message_tail(gateway& g, admin_command&& cmd, std::string_view last_event_id,
                       stream_slots& slots, const stream_settings& settings, responder res);

/// One stream_messages reply (see net/admin/messages.hpp) as events: each
/// message line becomes `id: <message id>`, `event: message`, `data: <line>`.
/// Sets `cursor` and `more` from the header line; false when the reply does
/// not have that shape.
bool tail_events(std::string_view body, std::uint64_t& cursor, bool& more, std::string& events);

} // namespace sluice::net
