#pragma once

// A response that goes on: Server-Sent Events (text/event-stream) written to
// a connection after its head, for as long as the source has events and the
// client reads them.
//
// A request handler answers with an http_response whose `stream` names an
// event_source; the connection (net/connection.cpp) writes the head with
// Transfer-Encoding: chunked, then hands its socket to an event_stream, which
// polls the source, frames what it returns as chunks, and writes them one at
// a time. The connection is closed when the stream ends. Free of Asio and
// Beast includes: only connection.cpp and event_stream.cpp need them.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
} // namespace boost::asio

namespace sluice::net {

/// Defaults of the stream settings; each is also a config key (admin.*).
inline constexpr std::chrono::milliseconds default_stream_poll_interval{250};
inline constexpr std::chrono::milliseconds default_stream_keepalive{15'000};
inline constexpr std::size_t default_stream_max_backlog_bytes = 1ull << 20; // 1 MiB
inline constexpr std::size_t default_max_streams = 32;

/// How a stream behaves (the same for every stream of a port).
struct stream_settings {
  /// Pause between two polls that found nothing more.
  std::chrono::milliseconds poll_interval = default_stream_poll_interval;
  /// A comment line is sent when nothing was written for this long, so
  /// proxies and clients see the stream alive (and a gone peer is noticed).
  std::chrono::milliseconds keepalive = default_stream_keepalive;
  /// Bytes of events waiting behind a write the client has not taken yet
  /// beyond which it counts as too slow and is disconnected. (A write taken
  /// by the socket at once, such as a page of a catch-up, does not count;
  /// a write not taken at all ends at the connection's request timeout.)
  std::size_t max_backlog_bytes = default_stream_max_backlog_bytes;
};

/// One poll's outcome.
struct stream_batch {
  std::string events; ///< zero or more complete events, as sent (the SSE text)
  bool more = false;  ///< more is ready now: poll again without the pause
  bool end = false;   ///< the stream is over once `events` is written
};

/// Where a stream's events come from. poll() is called on the connection's
/// thread, never twice at once; `done` is called exactly once, from any
/// thread. The source is released (on the connection's thread) when the
/// stream ends for any reason.
class event_source {
public:
  virtual ~event_source() = default;
  virtual void poll(std::function<void(stream_batch&&)> done) = 0;

  /// How the stream of this source behaves.
  stream_settings settings;
};

/// What a stream needs of its connection (implemented in connection.cpp).
/// Called on the connection's thread.
class stream_transport {
public:
  /// Writes `bytes` (kept alive by the stream until written); at most one
  /// write is outstanding. Its completion is reported by
  /// event_stream::written().
  virtual void stream_write(std::string_view bytes) = 0;
  /// The stream is over: the connection closes (after its last write).
  virtual void stream_end() = 0;
  /// The server is shutting down: the stream ends at its next poll.
  virtual bool stream_draining() const noexcept = 0;
  /// Runs `f` on the connection's thread, from any thread; dropped (not run)
  /// once the server has stopped.
  virtual void stream_post(std::function<void()> f) = 0;

protected:
  ~stream_transport() = default;
};

/// The stream of one connection, owned by it. Not thread-safe: every member
/// runs on the connection's thread.
class event_stream {
public:
  /// `source` is polled with its settings. `owner` keeps the connection (and so `transport` and
  /// `ctx`) alive while one of the stream's own waits is pending. `chunked`: frame the body with
  /// chunked transfer coding (HTTP/1.1); without it (HTTP/1.0) the body simply ends with the
  /// connection.
  event_stream(boost::asio::io_context& ctx, std::weak_ptr<void> owner, stream_transport& transport,
               std::shared_ptr<event_source> source, bool chunked);
  ~event_stream();
  event_stream(const event_stream&) = delete;
  event_stream& operator=(const event_stream&) = delete;

  /// Polls for the first time and starts the keep-alive timer.
  void start();
  /// The write started by stream_write finished (`ok`: completely).
  void written(bool ok);
  /// The connection is closing: cancels the waits, releases the source.
  void stop() noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::net
