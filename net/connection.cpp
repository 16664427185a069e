// One HTTP/1.1 connection: its state machine, on Boost.Asio / Beast 1.74.
//
//   reading ──complete──▶ handling ──answer──▶ writing ──▶ reading (keep-alive)
//      │  ╰─refused─▶ writing (Connection: close) ──▶ lingering ──▶ closed
//      ╰─ peer gone, timeout, error ──▶ closed
//
// The hot path: in steady state a keep-alive request costs no heap
// allocation here. The request is parsed into buffers the reader reuses
// (net/request_parser), the response is serialized by hand into a reused
// string and sent with one gather write (head + body), and the socket
// operations allocate from the connection's handler_memory. What remains,
// measured: none in steady state (Beast's per-operation timer waits, which
// allocated, are not used: see Timeouts).
//
// TLS (beast::ssl_stream over the same basic_stream) is the same state
// machine with a handshake first and close_notify at the end; the stream
// type is a template parameter, so plain TCP pays nothing for it.
//
// Timeouts (connection::deadline_, enforced by the I/O thread's sweep, which
// closes a connection past its deadline): between requests, with no byte of
// the next one received, the idle timeout; from the first byte of a request
// to its complete arrival, one request timeout for the whole (a request
// trickled byte by byte is cut off there); each response write, the request
// timeout again; nothing while the handler has the request. The sweep runs
// every eighth of the shorter timeout (at most a second), so a timeout fires
// up to that much late. Beast's own per-operation timeouts cost a timer wait
// per read and per write (an allocation and a timer-queue update each, about
// 2.5 % of the server's CPU under single-message load); the streams never set
// one.
//
// A streamed response (http_response::stream, Server-Sent Events) leaves the
// state machine after its head: the connection hands its socket to an
// event_stream (net/event_stream.cpp) and, as its transport, writes what that
// produces, each write bounded by the request timeout, while one read without
// timeout waits for the peer to go. The connection closes when the stream
// ends; until then it counts as busy, so a draining server waits for its
// streams, which end at their next poll.

#include "net/server_core.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <exception>
#include <type_traits>

#include "net/event_stream.hpp"
#include "net/handler_memory.hpp"
#include "net/log.hpp"
#include "net/request_parser.hpp"
#include "net/url.hpp"
#include "policy/cidr.hpp"

namespace sluice::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------------------
// connection: what every stream type shares

connection::~connection() {
  // Only reached after close() (the registry holds a reference until then).
  // A handler that dropped every responder without answering still owes an
  // answer: count it as answered so in_flight() does not stay up forever.
  if (awaiting_.exchange(false, std::memory_order_acq_rel))
    core_->in_flight.fetch_sub(1, std::memory_order_release);
}

// From a foreign thread, an answer touches the slot's queue and the core's
// `senders`, and the connection's reference count only when the caller keeps
// its own reference: whether it counts (awaiting_) and the in_flight count
// are settled on the connection's thread, whose cache lines they are.

void connection::deliver(http_detail::pending_answer&& a) {
  if (slot_.ctx.get_executor().running_in_this_thread()) {
    // Already on the connection's thread (typically inside handle()):
    // no post, no allocation.
    accept_answer(std::move(a));
    return;
  }
  deliver(shared_from_this(), std::move(a));
}

void connection::deliver(std::shared_ptr<connection>&& c, http_detail::pending_answer&& a) {
  auto& slot = c->slot_;
  if (slot.ctx.get_executor().running_in_this_thread()) {
    c->accept_answer(std::move(a));
    return;
  }
  // From a foreign thread: dropped if the server has stopped. Once `c` is
  // queued its thread may drop it, and with it the reference to the core;
  // the core still outlives this call, because stop() (which the server
  // runs before letting go of it) waits for every sender.
  auto& core = *c->core_;
  core.post_unless_stopped([&] { slot.post_answer(std::move(c), std::move(a)); });
}

void connection::accept_answer(http_detail::pending_answer&& a) {
  // Only the first answer for the current request counts. (An answer does
  // not carry a request number, so a late duplicate for request N that
  // arrives while request N+1 is with the handler would be taken as N+1's
  // answer; the gateway sends exactly once.)
  if (!awaiting_.exchange(false, std::memory_order_acq_rel))
    return;
  core_->in_flight.fetch_sub(1, std::memory_order_release);
  on_answer(std::move(a));
}

namespace http_detail {

void io_slot::post_answer(std::shared_ptr<connection> to, pending_answer&& a) {
  bool first;
  {
    std::lock_guard lock(answers_mu);
    first = answers.empty();
    answers.push_back({std::move(to), std::move(a)});
  }
  // Only the answer that found the queue empty posts: the handler it posts
  // has not run yet (it empties the queue under the same lock), so it will
  // take every answer queued after this one too. `this` outlives the
  // handler: ctx is a member, and a handler never outlives its context.
  if (first)
    asio::post(ctx, [this] { run_answers(); });
}

void io_slot::run_answers() {
  {
    std::lock_guard lock(answers_mu);
    running_answers.swap(answers);
  }
  for (auto& a : running_answers)
    a.to->accept_answer(std::move(a.what));
  running_answers.clear();
}

void io_slot::sweep(std::chrono::milliseconds every) {
  if (!sweeping)
    return;
  const auto now = connection::clock_type::now();
  // close() swap-removes from conns: walk from the end.
  for (std::size_t i = conns.size(); i-- > 0;)
    if (i < conns.size() && conns[i]->deadline_ <= now)
      conns[i]->close();
  sweeper.expires_after(every);
  // `this` outlives the wait: the timer is a member, cancelled by stop().
  sweeper.async_wait([this, every](const boost::system::error_code& ec) {
    if (!ec)
      sweep(every);
  });
}

} // namespace http_detail

void connection::register_in_slot() {
  slot_index_ = slot_.conns.size();
  slot_.conns.push_back(shared_from_this());
}

void connection::unregister_from_slot() noexcept {
  if (slot_index_ >= slot_.conns.size())
    return;
  auto& v = slot_.conns;
  if (slot_index_ != v.size() - 1) {
    v[slot_index_] = std::move(v.back());
    v[slot_index_]->slot_index_ = slot_index_;
  }
  v.pop_back();
  slot_index_ = static_cast<std::size_t>(-1);
}

namespace http_detail {

namespace {

/// An address as Sluice shows and checks it (policy's canonical text): an
/// IPv4 client of a dual-stack socket (`--ingest-host=::`) arrives as
/// `::ffff:a.b.c.d` and is shown as `a.b.c.d`, in error messages, `last_ip`,
/// audit events and the access log, as the allowlist reads it. Text policy
/// does not parse (a zone id) stays as the socket gave it.
std::string canonical_text(const asio::ip::address& a) {
  auto text = a.to_string();
  if (auto parsed = parse_ip(text))
    return to_string(*parsed);
  return text;
}

// Initial capacities of the per-connection buffers. They grow when a request
// needs more and keep their capacity (that is the point), except the
// bodies, which are released after a request larger than body_keep_bytes so
// that one big upload does not pin megabytes on an idle keep-alive
// connection.
constexpr std::size_t read_buffer_bytes = 8 << 10;
constexpr std::size_t max_read_bytes = 64 << 10; ///< per read_some
constexpr std::size_t out_bytes = 512;
constexpr std::size_t body_keep_bytes = 64 << 10;
/// Longest we keep reading (and discarding) after a final "Connection:
/// close" response, so the peer sees the response rather than a reset caused
/// by closing with unread input (what nginx calls lingering close).
constexpr std::chrono::milliseconds linger_timeout{2000};

using plain_stream = beast::basic_stream<tcp, executor_type, beast::unlimited_rate_policy>;
using tls_stream = beast::ssl_stream<plain_stream>;

template <class Stream>
constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

/// The connection's in-flight Asio operations: at most one read or write at
/// a time (two while a stream's watching read is pending). Over TLS each
/// read or write is an SSL operation wrapping one on the socket, both larger.
template <class Stream>
using connection_memory =
  std::conditional_t<is_tls<Stream>, handler_memory<3, 1024>, handler_memory<2, 512>>;

/// The status line's reason phrase: Beast's table, and for a code it does
/// not know, the generic name of the code's class (RFC 9110 15: the phrase
/// is informational).
std::string_view reason_phrase(unsigned status) noexcept {
  const auto s = bhttp::int_to_status(status);
  if (s != bhttp::status::unknown) {
    const auto r = bhttp::obsolete_reason(s);
    return {r.data(), r.size()};
  }
  switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Success";
    case 3: return "Redirection";
    case 4: return "Client Error";
    default: return "Server Error";
  }
}

/// A header name or value must not smuggle in a line break.
bool safe_header_text(std::string_view s) noexcept {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

/// The state machine over one stream type: plain_stream, or tls_stream
/// (whose lowest layer is a plain_stream, closed by the sweep on a timeout).
template <class Stream>
class basic_connection final : public connection, private stream_transport {
public:
  basic_connection(std::shared_ptr<server_core> core, io_slot& slot, socket_type&& s,
                   std::shared_ptr<asio::ssl::context> tls = {})
      : connection(std::move(core), slot), tls_(std::move(tls)),
        stream_(make_stream(std::move(s), tls_.get())),
        reader_(request_limits{core_->opts.max_header_bytes, core_->opts.max_request_bytes}) {
    beast::error_code ec;
    const auto ep = lowest().socket().remote_endpoint(ec);
    if (!ec)
      peer_ip_ = canonical_text(ep.address());
    buffer_.reserve(read_buffer_bytes);
    out_.reserve(out_bytes);
  }

  void start() override {
    if (core_->stopping.load(std::memory_order_acquire)) {
      close(); // not registered yet: close() only releases the socket
      return;
    }
    register_in_slot();
    if constexpr (is_tls<Stream>) {
      // The handshake is bounded like a request. A client that is not
      // speaking TLS (plain HTTP to this port) fails it at once and is
      // closed without an answer: there is no channel to answer on.
      deadline_in(core_->opts.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              bind_memory(memory_, [self = self()](beast::error_code ec) {
                                if (self->phase_ == phase::closed)
                                  return;
                                if (ec)
                                  return self->close();
                                self->start_read();
                              }));
    } else {
      start_read();
    }
  }

  void close() override {
    if (phase_ == phase::closed)
      return;
    phase_ = phase::closed;
    // The registry may hold the last reference: keep this alive until return.
    auto keep = shared_from_this();
    if (events_)
      events_->stop();
    lowest().close(); // cancels pending reads/writes and the timers
    finish_request();
    unregister_from_slot();
    core_->connection_closed();
  }

  bool idle() const noexcept override { return phase_ == phase::reading && !request_started_; }

private:
  enum class phase : std::uint8_t { reading, handling, writing, streaming, lingering, closed };

  static Stream make_stream(socket_type&& s, asio::ssl::context* tls) {
    if constexpr (is_tls<Stream>)
      return Stream(std::move(s), *tls);
    else
      return Stream(std::move(s));
  }

  auto& lowest() noexcept { return beast::get_lowest_layer(stream_); }

  std::shared_ptr<basic_connection> self() {
    return std::static_pointer_cast<basic_connection>(shared_from_this());
  }

  // --- reading -------------------------------------------------------------

  void start_read() {
    if (core_->draining.load(std::memory_order_acquire)) {
      // stop_accepting(): no new request on this connection.
      close();
      return;
    }
    phase_ = phase::reading;
    reader_.reset();
    routed_ = false;
    request_started_ = false;
    deadline_in(core_->opts.idle_timeout);
    if (buffer_.size() == 0)
      return do_read();
    // Pipelined bytes already buffered: the next request may have begun.
    parse_buffered();
  }

  /// The first byte of a request is in: its timeout runs from now (until
  /// then the idle timeout runs).
  void begin_request() {
    request_started_ = true;
    started_ = clock_type::now();
    deadline_ = started_ + core_->opts.request_timeout;
  }

  void do_read() {
    const auto room = buffer_.capacity() - buffer_.size();
    const auto n = std::clamp<std::size_t>(room, 512, max_read_bytes);
    stream_.async_read_some(
      buffer_.prepare(n),
      bind_memory(memory_, [self = self()](beast::error_code ec, std::size_t got) {
        self->on_read(ec, got);
      }));
  }

  void on_read(beast::error_code ec, std::size_t got) {
    if (phase_ == phase::closed)
      return; // closed by stop_accepting()/stop()
    if (ec) {
      // The peer left (also mid-request), or went quiet past a timeout:
      // nothing to answer.
      // (A TLS client that closes without close_notify, as most do, is
      // stream_truncated: also just gone.)
      if (ec != asio::error::operation_aborted && ec != asio::error::eof
          && ec != asio::error::connection_reset && ec != asio::error::broken_pipe
          && ec != beast::error::timeout && ec != asio::ssl::error::stream_truncated)
        log_line(core_->opts, peer_ip_, "read", ec);
      return close();
    }
    buffer_.commit(got);
    parse_buffered();
  }

  void parse_buffered() {
    const auto in = buffer_.data();
    const auto r = reader_.feed({static_cast<const char*>(in.data()), in.size()});
    buffer_.consume(r.consumed);
    // A request begins with its first byte that is not part of an empty line
    // before it (the reader skips those, RFC 9112 2.2, and waits for the LF
    // of a CR): empty lines neither start the request timeout nor restart
    // the idle one.
    if (!request_started_ && (reader_.got_some() || r.state != read_state::need_more))
      begin_request();
    switch (r.state) {
      case read_state::need_more:
        if (reader_.header_done())
          mark_busy();
        return do_read();
      case read_state::expect_continue: mark_busy(); return answer_or_continue();
      case read_state::complete: mark_busy(); return dispatch_request();
      case read_state::refused: return refuse(reader_.refusal());
    }
  }

  /// RFC 9110 10.1.1: a request with "Expect: 100-continue" whose header
  /// alone decides a refusal (request_handler::answer_before_body) gets it
  /// at once, instead of 100, and the body it holds back is never wanted:
  /// the connection closes after the answer (lingering, so the client reads
  /// it). Any other gets "100 Continue".
  void answer_or_continue() {
    http_request& head = reader_.request();
    head.peer_ip = peer_ip_;
    std::optional<http_response> early;
    try {
      early = core_->handler->answer_before_body(head);
    } catch (const std::exception& e) {
      // The handler will see the whole request and answer it then.
      log::error("http handler threw", {{"server", core_->opts.name}, {"error", e.what()}});
    } catch (...) {
      log::error("http handler threw", {{"server", core_->opts.name}});
    }
    if (!early)
      return send_continue();
    close_after_ = true;
    head_ = head.verb == method::head;
    version_ = reader_.version();
    door_ = core_->opts.door_of ? core_->opts.door_of(head.path) : http_door::other;
    routed_ = true; // its request line is known: the access log names it
    response_ = std::move(*early);
    write_response();
  }

  /// RFC 9110 10.1.1: answer "Expect: 100-continue" before reading a body
  /// the client is holding back (curl waits a second otherwise). No write of
  /// ours is pending (the previous response is complete), so this cannot
  /// interleave with a response.
  void send_continue() {
    static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
    asio::async_write(stream_, asio::buffer(cont.data(), cont.size()),
                      bind_memory(memory_, [self = self()](beast::error_code ec, std::size_t) {
                        if (self->phase_ == phase::closed)
                          return;
                        if (ec)
                          return self->close();
                        self->parse_buffered(); // body bytes may already be here
                      }));
  }

  /// Counts the request in core_->busy (drain() waits for it) from its
  /// complete header until its response is written.
  void mark_busy() noexcept {
    if (!request_active_) {
      request_active_ = true;
      core_->busy.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void finish_request() noexcept {
    if (request_active_) {
      request_active_ = false;
      core_->busy.fetch_sub(1, std::memory_order_release);
    }
  }

  // --- handling ------------------------------------------------------------

  void dispatch_request() {
    http_request& req = reader_.request();
    req.peer_ip = peer_ip_;
    keep_alive_ = req.keep_alive;
    version_ = reader_.version();
    head_ = req.verb == method::head;
    door_ = core_->opts.door_of ? core_->opts.door_of(req.path) : http_door::other;

    phase_ = phase::handling;
    deadline_ = no_deadline; // the handler's time is not the client's
    routed_ = true;
    awaiting_.store(true, std::memory_order_release);
    core_->in_flight.fetch_add(1, std::memory_order_relaxed);
    // The handler may answer inline (deliver() then starts the write before
    // handle() returns): nothing below may touch per-request state.
    if (!slot_.turn_end_queued) {
      // Queued behind every completion this turn of the loop has ready, so
      // it runs once they have all been handled (request_handler::end_of_turn).
      // The handler runs inside ctx, which the core (kept alive here) owns.
      slot_.turn_end_queued = true;
      asio::post(slot_.ctx, [&slot = slot_, core = core_] {
        slot.turn_end_queued = false;
        core->handler->end_of_turn();
      });
    }
    try {
      core_->handler->handle(req, responder(shared_from_this()));
    } catch (const std::exception& e) {
      // The path only (a query may hold ?api_key=); the logger redacts a
      // webhook token in it.
      log::error("http handler threw",
                 {{"server", core_->opts.name}, {"path", req.path}, {"error", e.what()}});
      deliver(http_response{500, "text/plain", "internal error\n", {}, {}});
    } catch (...) {
      log::error("http handler threw", {{"server", core_->opts.name}, {"path", req.path}});
      deliver(http_response{500, "text/plain", "internal error\n", {}, {}});
    }
  }

  void on_answer(http_detail::pending_answer&& a) override {
    if (phase_ != phase::handling)
      return; // closed meanwhile (stop())
    close_after_ = !keep_alive_ || core_->draining.load(std::memory_order_acquire);
    if (a.format) {
      // Built here, into the response this connection keeps: its body and
      // header buffers keep their capacity from one request to the next.
      response_.reset();
      a.format(std::move(a.reply), response_);
    } else {
      response_ = std::move(a.response);
    }
    write_response();
  }

  /// The request never reached the handler; answer and close. Counted in
  /// busy so drain() waits for the refusal too.
  void refuse(const read_refusal& why) {
    mark_busy();
    http_response r;
    try {
      r = core_->handler->refusal(why.status, why.why);
    } catch (...) {
      r = http_response{why.status, "text/plain", why.why + "\n", {}, {}};
    }
    close_after_ = true;
    head_ = false;
    version_ = 11;
    door_ = http_door::other; // never routed: its path may not even be known
    response_ = std::move(r);
    write_response();
  }

  // --- writing -------------------------------------------------------------

  /// Writes response_.
  void write_response() {
    if (response_.status < 100 || response_.status > 999)
      response_.status = 500;
    const unsigned status = response_.status;
    // The one place every response of this port passes (handler answers,
    // refusals before routing, a throwing handler's 500): counted here, once.
    if (auto* m = core_->opts.metrics) {
      m->request(core_->opts.metrics_port, door_, status);
      // A refusal before any byte of a request came in has no duration.
      if (core_->opts.metrics_port == http_port::ingest && request_started_)
        m->ingest_answered(std::chrono::duration<double>(clock_type::now() - started_).count());
    }
    // 1xx, 204 and 304 never carry a body; 1xx and 204 carry no
    // Content-Length (RFC 9110 8.6). A 304's Content-Length would describe
    // the representation it stands for, which we do not know: omit it too.
    const bool no_body_status = status < 200 || status == 204 || status == 304;

    out_.clear();
    out_ += "HTTP/1.1 ";
    char num[24];
    out_.append(num, std::to_chars(num, num + sizeof num, status).ptr);
    out_ += ' ';
    out_ += reason_phrase(status);
    out_ += "\r\n";
    if (!no_body_status && (!response_.body.empty() || response_.typed_when_empty)
        && !response_.content_type.empty() && safe_header_text(response_.content_type)) {
      out_ += "Content-Type: ";
      out_ += response_.content_type;
      out_ += "\r\n";
    }
    if (response_.stream) {
      close_after_ = true; // the stream ends with the connection
      if (version_ >= 11)
        out_ += "Transfer-Encoding: chunked\r\n";
    } else if (!no_body_status) {
      // For HEAD: the length of the body a GET would have had.
      out_ += "Content-Length: ";
      out_.append(num, std::to_chars(num, num + sizeof num, response_.body.size()).ptr);
      out_ += "\r\n";
    }
    for (const auto& [name, value] : response_.headers) {
      if (name.empty() || !safe_header_text(name) || !safe_header_text(value)) {
        log::warn("http dropped an unsafe response header", {{"server", core_->opts.name}});
        continue;
      }
      out_ += name;
      out_ += ": ";
      out_ += value;
      out_ += "\r\n";
    }
    out_ += response_.header_lines;
    if (close_after_)
      out_ += "Connection: close\r\n";
    else if (version_ < 11)
      out_ += "Connection: keep-alive\r\n";
    out_ += "\r\n";

    const bool send_body = !no_body_status && !head_;
    const std::array<asio::const_buffer, 2> bufs{
      asio::buffer(out_), send_body ? asio::buffer(response_.body) : asio::const_buffer{}};
    phase_ = phase::writing;
    deadline_in(core_->opts.request_timeout);
    asio::async_write(
      stream_, bufs,
      bind_memory(memory_, [self = self()](beast::error_code ec, std::size_t written) {
        self->on_write(ec, written);
      }));
  }

  void on_write(beast::error_code ec, std::size_t written) {
    if (phase_ == phase::closed)
      return;
    if (log::access_enabled())
      log_access(written);
    if (response_.stream && !ec)
      return start_stream(); // busy until it ends: drain() waits for its clean end
    finish_request();
    if (ec) {
      if (ec != asio::error::operation_aborted && ec != asio::error::broken_pipe
          && ec != asio::error::connection_reset && ec != beast::error::timeout)
        log_line(core_->opts, peer_ip_, "write", ec);
      return close();
    }
    if (close_after_)
      return linger();
    // Keep steady-state capacity, but not what one big request left behind.
    reader_.trim(body_keep_bytes);
    if (response_.body.capacity() > body_keep_bytes)
      std::string().swap(response_.body);
    start_read();
  }

  /// The access-log line of the request whose response was just written
  /// (log.access): `written` bytes of it went out.
  void log_access(std::size_t written) noexcept {
    log::access_record a;
    a.server = core_->opts.name;
    if (routed_) {
      const http_request& req = reader_.request();
      a.method = req.method_text;
      a.path = req.path; // without the query: it may hold ?api_key=
      // A secret sent percent-encoded (`%61l_…`) is redacted like one sent
      // plain: a path with escapes is logged decoded (the logger escapes
      // whatever bytes they make).
      if (req.path.find('%') != std::string_view::npos) {
        try {
          decode_path_escapes(req.path, logged_path_);
          a.path = logged_path_;
        } catch (...) {
          a.path = "-"; // out of memory: the path, which may hold a secret, is left out
        }
      }
    } else {
      // Refused while it was read: its request line may not even be known.
      a.method = "-";
      a.path = "-";
    }
    a.status = response_.status;
    a.bytes = written;
    a.duration = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - started_);
    a.token_id = response_.token_id; // set by the routes from the gateway's reply
    a.client = peer_ip_;
    log::access(a);
  }

  // --- streaming (net/event_stream.hpp) --------------------------------------

  void start_stream() {
    phase_ = phase::streaming;
    deadline_ = no_deadline; // the watching read has no timeout; each write has one
    stream_transport& transport = *this;
    events_ = std::make_unique<event_stream>(slot_.ctx, weak_from_this(), transport,
                                             std::move(response_.stream), version_ >= 11);
    // The peer sends nothing more on this connection; a read completes when
    // it goes (or breaks that rule), and either ends the stream.
    buffer_.clear();
    stream_.async_read_some(
      buffer_.prepare(512),
      bind_memory(memory_, [self = self()](beast::error_code, std::size_t) { self->close(); }));
    events_->start();
  }

  void stream_write(std::string_view bytes) override {
    deadline_in(core_->opts.request_timeout); // the write only: a read is pending
    asio::async_write(stream_, asio::buffer(bytes.data(), bytes.size()),
                      bind_memory(memory_, [self = self()](beast::error_code ec, std::size_t) {
                        if (self->phase_ == phase::closed)
                          return;
                        self->deadline_ = no_deadline;
                        self->events_->written(!ec);
                        if (ec)
                          self->close();
                      }));
  }

  void stream_end() override { close(); }

  bool stream_draining() const noexcept override {
    return core_->draining.load(std::memory_order_acquire);
  }

  void stream_post(std::function<void()> f) override {
    // As deliver(): nothing is posted once stop() flushed.
    core_->post_unless_stopped([&] { asio::post(slot_.ctx, std::move(f)); });
  }

  // --- closing -------------------------------------------------------------

  void linger() {
    phase_ = phase::lingering;
    if constexpr (is_tls<Stream>) {
      // close_notify, then the peer's (or the timeout): the TLS way of
      // telling the response's end from a truncation.
      deadline_in(std::min(linger_timeout, core_->opts.request_timeout));
      stream_.async_shutdown(
        bind_memory(memory_, [self = self()](beast::error_code) { self->close(); }));
      return;
    }
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec)
      return close();
    discarded_ = 0;
    deadline_in(std::min(linger_timeout, core_->opts.request_timeout));
    buffer_.clear();
    do_linger_read();
  }

  void do_linger_read() {
    stream_.async_read_some(
      buffer_.prepare(read_buffer_bytes),
      bind_memory(memory_, [self = self()](beast::error_code ec, std::size_t n) {
        if (self->phase_ == phase::closed)
          return;
        self->discarded_ += n;
        // Until EOF, error, timeout, or a body's worth.
        if (ec || self->discarded_ > self->core_->opts.max_request_bytes)
          return self->close();
        self->do_linger_read();
      }));
  }

  connection_memory<Stream> memory_; ///< before stream_: outlives the operations on it
  /// The TLS context this connection handshook with (null for plain TCP);
  /// before stream_, which refers to it.
  std::shared_ptr<asio::ssl::context> tls_;
  Stream stream_;
  beast::flat_buffer buffer_; ///< raw input; may hold pipelined bytes
  request_reader reader_;     ///< the current request, parsed in place
  std::string peer_ip_;
  /// The access log's decoded copy of a path with escapes (log_access).
  std::string logged_path_;

  // Per-request state. The request's views point into reader_, which is not
  // touched again until the response is written.
  int version_ = 11;
  bool keep_alive_ = true;
  bool request_started_ = false; ///< a byte of the current request arrived
  bool request_active_ = false;  ///< counted in core_->busy
  bool routed_ = false;          ///< the current request reached the handler
  /// When the first byte of the current request arrived (for the access log).
  std::chrono::steady_clock::time_point started_{};
  bool close_after_ = false; ///< the response being written is the last
  bool head_ = false;
  http_door door_ = http_door::other; ///< of the current request, for metrics
  phase phase_ = phase::reading;

  // Response state, reused.
  std::string out_;                      ///< status line + headers
  http_response response_;               ///< keeps the body alive during the write
  std::size_t discarded_ = 0;            ///< bytes read and dropped while lingering
  std::unique_ptr<event_stream> events_; ///< a streamed response, once its head is written
};

} // namespace

std::shared_ptr<connection> make_plain_connection(std::shared_ptr<server_core> core, io_slot& slot,
                                                  socket_type&& s) {
  return std::make_shared<basic_connection<plain_stream>>(std::move(core), slot, std::move(s));
}

std::shared_ptr<connection> make_tls_connection(std::shared_ptr<server_core> core, io_slot& slot,
                                                socket_type&& s,
                                                std::shared_ptr<asio::ssl::context> context) {
  return std::make_shared<basic_connection<tls_stream>>(std::move(core), slot, std::move(s),
                                                        std::move(context));
}

} // namespace http_detail

} // namespace sluice::net
