#include "net/event_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <charconv>
#include <utility>

#include "net/log.hpp"

namespace sluice::net {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

// The stream's states, all on the connection's thread:
//   * at most one poll outstanding (polling); between polls the poll timer
//     waits poll_interval, except after a batch that said `more`, where the
//     next poll starts as soon as the socket took the previous output (so a
//     backlog drains at the client's pace and never piles up here);
//   * output: `writing` is with the socket, `pending` waits for it; more
//     than max_backlog_bytes waiting disconnects the client (it reads slower
//     than events arrive); a write the client does not take at all is cut
//     by the connection's request timeout;
//   * ending: the source said so, or the server drains; the terminating
//     chunk is queued and the connection closes once it is written.
struct event_stream::impl {
  impl(asio::io_context& ctx, std::weak_ptr<void> o, stream_transport& t,
       std::shared_ptr<event_source> s, bool c)
      : owner(std::move(o)), transport(t), source(std::move(s)), settings(source->settings),
        chunked(c), poll_timer(ctx), keepalive_timer(ctx) {}

  std::weak_ptr<void> owner;
  stream_transport& transport;
  std::shared_ptr<event_source> source;
  stream_settings settings;
  bool chunked;
  asio::steady_timer poll_timer;
  asio::steady_timer keepalive_timer;

  std::string pending; ///< framed output not yet handed to the socket
  std::string writing; ///< framed output the socket is writing
  bool write_busy = false;
  bool polling = false;
  bool poll_when_written = false; ///< the last batch said `more`
  bool ending = false;            ///< the terminating chunk is queued
  bool stopped = false;
  clock::time_point last_write = clock::now();

  void start() {
    arm_keepalive();
    poll();
  }

  void stop() noexcept {
    if (stopped)
      return;
    stopped = true;
    poll_timer.cancel();
    keepalive_timer.cancel();
    source.reset(); // releases what the source holds (its stream slot) now
  }

  // --- polling ---------------------------------------------------------------

  void poll() {
    if (stopped || ending || polling)
      return;
    if (transport.stream_draining())
      return finish();
    polling = true;
    auto keep = owner.lock();
    source->poll([keep, this](stream_batch&& b) mutable {
      // Any thread: back onto the connection's (the owner keeps `this`).
      transport.stream_post([keep, this, b = std::move(b)]() mutable { on_batch(std::move(b)); });
    });
  }

  void on_batch(stream_batch&& b) {
    polling = false;
    if (stopped || ending)
      return;
    if (!b.events.empty())
      if (!send(b.events))
        return;
    if (b.end)
      return finish();
    if (b.more && (write_busy || !pending.empty())) {
      poll_when_written = true;
      return;
    }
    if (b.more)
      return poll();
    schedule_poll();
  }

  void schedule_poll() {
    poll_timer.expires_after(settings.poll_interval);
    poll_timer.async_wait([keep = owner.lock(), this](const boost::system::error_code& ec) {
      if (ec || stopped)
        return;
      poll();
    });
  }

  // --- output ----------------------------------------------------------------

  /// Queues `text` as one chunk; false when that made the client too slow
  /// (the stream is then over).
  bool send(std::string_view text) {
    if (chunked) {
      char size[24];
      auto end = std::to_chars(size, size + sizeof size, text.size(), 16).ptr;
      pending.append(size, end);
      pending += "\r\n";
      pending += text;
      pending += "\r\n";
    } else {
      pending += text;
    }
    // Output piles up only behind a write the client has not taken yet: a
    // page written at once (catching up) does not count, events arriving
    // faster than the client reads do.
    if (write_busy && pending.size() > settings.max_backlog_bytes) {
      log::warn("event stream: client too slow, disconnected",
                {{"waiting_bytes", pending.size()}, {"writing_bytes", writing.size()}});
      stop();
      transport.stream_end();
      return false;
    }
    flush();
    return true;
  }

  void flush() {
    if (write_busy || pending.empty() || stopped)
      return;
    writing.clear();
    writing.swap(pending);
    write_busy = true;
    last_write = clock::now();
    transport.stream_write(writing);
  }

  void written(bool ok) {
    write_busy = false;
    if (stopped)
      return;
    if (!ok) {
      // The connection closes itself after a failed write.
      stop();
      return;
    }
    if (!pending.empty())
      return flush();
    if (ending) {
      stop();
      transport.stream_end();
      return;
    }
    if (poll_when_written) {
      poll_when_written = false;
      poll();
    }
  }

  /// Ends the stream cleanly: what is queued, then the terminating chunk.
  void finish() {
    if (ending || stopped)
      return;
    ending = true;
    poll_timer.cancel();
    keepalive_timer.cancel();
    if (chunked)
      pending += "0\r\n\r\n";
    if (write_busy || !pending.empty())
      return flush();
    stop();
    transport.stream_end();
  }

  // --- keep-alive ------------------------------------------------------------

  void arm_keepalive() {
    keepalive_timer.expires_at(last_write + settings.keepalive);
    keepalive_timer.async_wait([keep = owner.lock(), this](const boost::system::error_code& ec) {
      if (ec || stopped || ending)
        return;
      // Nothing written since the timer was set: say so with a comment line
      // (clients ignore it). Otherwise wait for the rest of the period.
      if (clock::now() >= last_write + settings.keepalive && !write_busy && pending.empty()) {
        if (transport.stream_draining())
          return finish();
        if (!send(": keep-alive\n\n"))
          return;
      }
      arm_keepalive();
    });
  }
};

event_stream::event_stream(asio::io_context& ctx, std::weak_ptr<void> owner,
                           stream_transport& transport, std::shared_ptr<event_source> source,
                           bool chunked)
    : impl_(std::make_unique<impl>(ctx, std::move(owner), transport, std::move(source), chunked)) {}

event_stream::~event_stream() = default;

void event_stream::start() { impl_->start(); }

void event_stream::written(bool ok) { impl_->written(ok); }

void event_stream::stop() noexcept { impl_->stop(); }

} // namespace sluice::net
