#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "policy/metrics.hpp"

namespace sluice {
struct ingest_reply; // net/gateway.hpp
} // namespace sluice

namespace sluice::net {

class event_source; // net/event_stream.hpp

/// HTTP methods the routers tell apart.
enum class method : std::uint8_t { get, head, post, put, patch, del, options, other };

/// One request header; views into the connection's buffers.
struct header_field {
  std::string_view name;
  std::string_view value;
};

/// A parsed request. Every view points into buffers the connection owns and
/// reuses: they are valid until the request's responder has sent its response
/// (the connection reads nothing else before), and no longer.
struct http_request {
  net::method verb = method::other;
  std::string_view method_text;
  std::string_view target; ///< as sent: path plus optional "?query"
  std::string_view path;   ///< target up to '?'
  std::string_view query;  ///< after '?', still percent-encoded; may be empty
  std::span<const header_field> headers;
  std::string_view body;    ///< de-chunked; not decompressed
  std::string_view peer_ip; ///< socket peer address, no port
  bool keep_alive = true;

  /// First header with this name (ASCII case-insensitive); empty when absent.
  std::string_view header(std::string_view name) const noexcept;
};

/// A response to send. Content-Length and Connection are added by the server;
/// `headers` holds any others (Retry-After, …).
struct http_response {
  static constexpr std::string_view default_content_type = "application/json";

  unsigned status = 200;
  /// Must name text with static storage duration (a literal): responses
  /// travel between threads and are built on the hot path without allocating.
  std::string_view content_type = default_content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  /// Header lines written as they are ("Name: value\r\n" each), for headers
  /// built on the hot path without one allocation per name and value. The
  /// producer guarantees them well-formed (no CR or LF inside a line).
  std::string header_lines;
  /// Content-Type is sent only with a body, unless this is set (OTLP/HTTP
  /// answers an empty protobuf message with its type).
  bool typed_when_empty = false;
  /// The id of the token that authenticated the request (the gateway's
  /// reply.token_id), for the access log; 0 when none did. Not sent.
  std::uint64_t token_id = 0;
  /// A stream (Server-Sent Events, net/event_stream.hpp): when set, the
  /// response has no Content-Length; after the head, the connection writes
  /// what this source produces, chunked, until the stream ends, then closes.
  std::shared_ptr<event_source> stream = {};

  /// Back to a default response, keeping the capacity of its buffers (for a
  /// response object reused from one request to the next). Every field is
  /// reset by the default member initializers above, so a field added later
  /// is reset too; only the three buffers are carried over, emptied.
  void reset() noexcept {
    auto kept_body = std::move(body);
    auto kept_headers = std::move(headers);
    auto kept_lines = std::move(header_lines);
    *this = http_response{};
    kept_body.clear();
    kept_headers.clear();
    kept_lines.clear();
    body = std::move(kept_body);
    headers = std::move(kept_headers);
    header_lines = std::move(kept_lines);
  }
};

class connection; // defined in server_core.hpp (internal to the server)

/// Builds the response to a gateway's ingest reply into `into`, the
/// connection's own response: cleared, with its buffers' capacity kept from
/// the requests before, so a steady stream of answers allocates nothing.
using ingest_formatter = void (*)(ingest_reply&& reply, http_response& into);

/// Sends the one response of one request. Copyable (it can ride in a
/// callback) and callable from any thread: the send is posted onto the
/// connection's own thread. Only the first send counts; a responder dropped
/// without sending lets the connection hang until its timeout, so callers
/// always answer (the gateway guarantees it).
class responder {
public:
  responder() = default;
  explicit responder(std::shared_ptr<connection> c) noexcept : conn_(std::move(c)) {}
  void send(http_response&& r) const;
  /// Sends the response `format` builds from `reply`. It runs on the
  /// connection's thread, not the caller's: an actor that answers many
  /// requests at once (the storage actor after a group commit) hands over
  /// plain replies and leaves the text of the responses to the I/O threads.
  /// It hands over this responder's reference to the connection (the
  /// responder answers nothing after): an answer from another thread then
  /// costs no reference-count update there.
  void send(ingest_reply&& reply, ingest_formatter format) &&;

private:
  std::shared_ptr<connection> conn_;
};

/// What a server does with requests: the ingest and admin routers.
class request_handler {
public:
  virtual ~request_handler() = default;
  /// Called on the connection's thread. May answer now or later, once.
  virtual void handle(const http_request& req, responder res) = 0;
  /// Called on an I/O thread after a turn of its event loop in which
  /// handle() was called there: once every request that arrived together has
  /// been handled. A handler that gathers work per thread sends it on here
  /// (one message for many requests); until then it may hold it.
  virtual void end_of_turn() {}
  /// Called on the connection's thread when a request with "Expect:
  /// 100-continue" has its header in and its body not yet sent: a response
  /// now, when the header alone decides it (RFC 9110 10.1.1), is sent
  /// instead of "100 Continue", and the connection is closed after it (the
  /// client may send the body anyway). `head.body` is empty. None: 100, then
  /// the request as usual.
  virtual std::optional<http_response> answer_before_body(const http_request& /*head*/) {
    return std::nullopt;
  }
  /// The response for a request the server refused before routing it
  /// (net/request_parser.hpp): 400 (not valid HTTP/1.1, or framing that
  /// could smuggle a second request), 413 (body over the limit), 414
  /// (request line over the header limit) or 431 (header over it). The
  /// connection is closed after it.
  virtual http_response refusal(unsigned status, std::string_view why) = 0;
};

/// Default limits; each is also a config key (see configs/sluice.conf).
inline constexpr std::size_t default_max_request_bytes = 8ull << 20; // 8 MiB
inline constexpr std::size_t default_max_header_bytes = 16ull << 10; // 16 KiB
inline constexpr std::size_t default_max_connections = 10'000;
inline constexpr std::chrono::milliseconds default_idle_timeout{60'000};
inline constexpr std::chrono::milliseconds default_request_timeout{30'000};

/// TLS on a port: off unless enabled. TLS 1.2 and 1.3 only.
struct tls_options {
  bool enabled = false;
  std::string cert_file; ///< PEM: the server certificate, then any intermediates
  std::string key_file;  ///< PEM: its private key, unencrypted
};

struct server_options {
  std::string name = "ingest"; ///< for log lines: "<name> listening on …"
  std::string host = "0.0.0.0";
  std::uint16_t port = 8080; ///< 0 picks a free port
  unsigned threads = 1;      ///< I/O threads, each with its own io_context
  std::size_t max_request_bytes = default_max_request_bytes;
  std::size_t max_header_bytes = default_max_header_bytes;
  std::size_t max_connections = default_max_connections;
  std::chrono::milliseconds idle_timeout = default_idle_timeout;
  std::chrono::milliseconds request_timeout = default_request_timeout;
  /// HTTPS instead of HTTP on this port.
  tls_options tls;
  /// Where every response written is counted (port, door, status), or null.
  /// Owned by the caller; outlives the server.
  gateway_metrics* metrics = nullptr;
  http_port metrics_port = http_port::ingest;
  /// The door a request path leads to, for that count (the routes' own
  /// classification, see net/doors.hpp); null counts every request as "other".
  http_door (*door_of)(std::string_view path) noexcept = nullptr;
};

/// An HTTP/1.1 server on Asio/Beast: one acceptor, `threads` I/O threads each
/// running its own io_context; a connection lives on one thread for its whole
/// life, so its state needs no locks. Requests on a connection are handled one
/// at a time, in order (pipelined requests wait their turn).
class http_server {
public:
  /// Binds and listens at once (throws std::system_error when it cannot), so
  /// port() is known before start(). With TLS enabled, also reads the
  /// certificate and key (throws std::runtime_error naming the file and the
  /// problem when they cannot be used).
  http_server(server_options opts, request_handler& handler);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  std::uint16_t port() const noexcept;
  const server_options& options() const noexcept;

  /// Starts the I/O threads and accepting.
  void start();
  /// Stops accepting and stops reading new requests; requests already handed
  /// to the handler are still answered. Returns at once.
  void stop_accepting();
  /// Waits until no request is being handled, or `timeout` passes. Returns
  /// true when drained.
  bool drain(std::chrono::milliseconds timeout);
  /// Closes every connection and joins the I/O threads. Idempotent. Must not
  /// be called from one of this server's I/O threads (it would join itself).
  void stop();

  /// Reads the TLS certificate and key files again (SIGHUP). Handshakes
  /// from now on use them; open connections keep what they negotiated. When
  /// the files cannot be used, keeps the current ones and says why in
  /// `error`. Returns true when reloaded, or when TLS is off (nothing to do).
  /// Any thread.
  bool reload_tls(std::string& error);

  /// Requests handed to the handler whose answer has not yet reached the
  /// connection's thread.
  std::size_t in_flight() const noexcept;
  /// Accepted connections not yet closed.
  std::size_t open_connections() const noexcept;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::net
