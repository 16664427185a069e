// HTTP/1.1 server on Boost.Asio / Beast 1.74: the hot path of the gateway.
//
// Shape (see http_server.hpp for the contract):
//   * `threads` io_contexts, one thread each. One acceptor on context 0 hands
//     each accepted socket to the contexts round-robin; a connection then lives
//     on that one context for its whole life, so its state needs no locks.
//   * Parsing uses a basic_parser subclass that records everything into
//     per-connection buffers reused from one request to the next (an arena for
//     the request line and headers, a string for the de-chunked body): in
//     steady state a keep-alive request costs no heap allocation in this file
//     (socket operations use handler_memory). What remains, measured: ~1
//     small allocation per request inside Beast's per-operation timer wait,
//     which its internal handler type gives no way to redirect.
//   * Responses are serialized by hand into a per-connection string and sent
//     with one gather write (head + body).
//
// Lifetimes:
//   * server_core (shared) owns the io_contexts and the acceptor. The public
//     http_server holds one reference, every connection another, so a
//     responder that outlives the server (a gateway actor still holding it)
//     keeps the contexts its socket and timers belong to alive; its send is
//     then dropped.
//   * A connection is owned by its context's registry from start() to close()
//     (on its own thread), plus by its pending completion handlers and by the
//     responders handed out. The registry reference means a connection is only
//     ever destroyed after close(), so the destructor never needs to touch the
//     per-context registry from a foreign thread.

#include "net/http_server.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <latch>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "net/auth.hpp"

namespace sluice::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace http_detail {

/// The concrete executor (not any_io_executor): every composed operation
/// copies its executor, and the type-erased one costs more to copy.
using executor_type = asio::io_context::executor_type;
using socket_type = tcp::socket::rebind_executor<executor_type>::other;
using stream_type =
    beast::basic_stream<tcp, executor_type, beast::unlimited_rate_policy>;

// Initial capacities of the per-connection buffers. They grow when a request
// needs more and keep their capacity (that is the point), except the body,
// which is released after a request larger than body_keep_bytes so that one
// big upload does not pin megabytes on an idle keep-alive connection.
constexpr std::size_t read_buffer_bytes = 8 << 10;
constexpr std::size_t arena_bytes = 2 << 10;
constexpr std::size_t out_bytes = 512;
constexpr std::size_t body_keep_bytes = 64 << 10;
constexpr std::size_t fields_reserve = 16;
/// Longest we keep reading (and discarding) after a final "Connection:
/// close" response, so the peer sees the response rather than a reset caused
/// by closing with unread input (what nginx calls lingering close).
constexpr std::chrono::milliseconds linger_timeout{2000};
/// Pause before accepting again after running out of descriptors.
constexpr std::chrono::milliseconds accept_retry_delay{50};

void log_line(const server_options& o, std::string_view peer,
              std::string_view what, const beast::error_code& ec) {
  std::fprintf(stderr, "%s: http %.*s%s%.*s: %s\n", o.name.c_str(),
               static_cast<int>(what.size()), what.data(),
               peer.empty() ? "" : " from ", static_cast<int>(peer.size()),
               peer.data(), ec.message().c_str());
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    unsigned x = static_cast<unsigned char>(a[i]);
    unsigned y = static_cast<unsigned char>(b[i]);
    if (x - 'A' < 26u) x += 'a' - 'A'; // unsigned wrap: one compare for A..Z
    if (y - 'A' < 26u) y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

std::string_view reason_phrase(unsigned status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: break;
  }
  // RFC 9110: the phrase is informational; use the class's generic name.
  switch (status / 100) {
    case 1: return "Informational";
    case 2: return "Success";
    case 3: return "Redirection";
    case 4: return "Client Error";
    default: return "Server Error";
  }
}

method to_method(bhttp::verb v) noexcept {
  switch (v) {
    case bhttp::verb::get: return method::get;
    case bhttp::verb::head: return method::head;
    case bhttp::verb::post: return method::post;
    case bhttp::verb::put: return method::put;
    case bhttp::verb::patch: return method::patch;
    case bhttp::verb::delete_: return method::del;
    case bhttp::verb::options: return method::options;
    default: return method::other;
  }
}

/// A header name or value must not smuggle in a line break.
bool safe_header_text(std::string_view s) noexcept {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

/// Storage for the connection's own in-flight Asio operations (at most one
/// read or write at a time, plus the post that completes a buffered read).
/// Asio 1.74 recycles only one block per thread, and each request also keeps
/// a Beast timer wait in flight, so without this the socket and timer
/// operations evict each other and every request pays ~2 operator new.
/// Used only on the connection's thread (or single-threaded during stop()).
class handler_memory {
public:
  handler_memory() = default;
  handler_memory(const handler_memory&) = delete;
  handler_memory& operator=(const handler_memory&) = delete;

  void* allocate(std::size_t size) {
    if (size <= block_bytes)
      for (std::size_t i = 0; i < blocks; ++i)
        if (!used_[i]) {
          used_[i] = true;
          return storage_[i];
        }
    return ::operator new(size);
  }
  void deallocate(void* p) noexcept {
    for (std::size_t i = 0; i < blocks; ++i)
      if (p == storage_[i]) {
        used_[i] = false;
        return;
      }
    ::operator delete(p);
  }

private:
  static constexpr std::size_t block_bytes = 512;
  static constexpr std::size_t blocks = 2;
  alignas(std::max_align_t) unsigned char storage_[blocks][block_bytes];
  bool used_[blocks] = {};
};

/// The allocator Asio finds through a handler's allocator_type.
template <class T>
struct handler_allocator {
  using value_type = T;
  handler_memory* mem;

  explicit handler_allocator(handler_memory& m) noexcept : mem(&m) {}
  template <class U>
  handler_allocator(const handler_allocator<U>& o) noexcept : mem(o.mem) {}
  T* allocate(std::size_t n) { return static_cast<T*>(mem->allocate(sizeof(T) * n)); }
  void deallocate(T* p, std::size_t) noexcept { mem->deallocate(p); }
  template <class U>
  bool operator==(const handler_allocator<U>& o) const noexcept { return mem == o.mem; }
};

/// A completion handler whose operations live in a handler_memory. The
/// handler itself holds the connection (and so the memory) alive: Asio
/// frees an operation's block before it destroys the moved-out handler.
template <class F>
struct with_memory {
  using allocator_type = handler_allocator<void>;
  F f;
  handler_memory* mem;
  allocator_type get_allocator() const noexcept { return allocator_type(*mem); }
  template <class... Args>
  void operator()(Args&&... args) { f(std::forward<Args>(args)...); }
};

template <class F>
with_memory<F> bind_memory(handler_memory& m, F&& f) {
  return with_memory<F>{std::forward<F>(f), &m};
}

/// One io_context with its thread's bookkeeping.
struct io_slot {
  // Concurrency hint 1: one thread runs this context (other threads still
  // post to it and register sockets on it, which stays safe).
  asio::io_context ctx{1};
  asio::executor_work_guard<executor_type> guard{ctx.get_executor()};
  /// Connections living on ctx, touched only on ctx's thread (or by stop()
  /// once the threads are joined). Swap-removed via connection::slot_index_.
  std::vector<std::shared_ptr<connection>> conns;
};

/// State shared by the server object and every connection (see the
/// lifetime notes at the top of the file).
struct server_core : std::enable_shared_from_this<server_core> {
  server_core(server_options o, request_handler& h) : opts(std::move(o)), handler(&h) {
    const unsigned n = std::max(1u, opts.threads); // threads = 0 means 1
    slots.reserve(n);
    for (unsigned i = 0; i < n; ++i) slots.push_back(std::make_unique<io_slot>());
    acceptor.emplace(slots[0]->ctx);
    accept_timer.emplace(slots[0]->ctx);
  }
  ~server_core() {
    // The acceptor and timer belong to slots[0]: destroy them first.
    accept_timer.reset();
    acceptor.reset();
  }

  void do_accept();
  void on_accept(const beast::error_code& ec, socket_type s, io_slot& slot);
  void connection_closed();

  server_options opts;
  request_handler* handler; ///< outlives the threads; never used after stop()
  std::vector<std::unique_ptr<io_slot>> slots;
  std::optional<tcp::acceptor> acceptor;          ///< slots[0]'s thread only
  std::optional<asio::steady_timer> accept_timer; ///< slots[0]'s thread only
  std::size_t next_slot = 0;                      ///< slots[0]'s thread only
  std::uint16_t port = 0;

  std::atomic<bool> draining{false};   ///< stop_accepting() or stop() called
  std::atomic<bool> stopping{false};   ///< stop() called: new connections close
  std::atomic<bool> stopped{false};    ///< threads gone: responses are dropped
  std::atomic<bool> accept_paused{false};
  std::atomic<std::size_t> open{0};      ///< accepted sockets not yet closed
  std::atomic<std::size_t> in_flight{0}; ///< handed to the handler, unanswered
  /// Requests whose start line has been read and whose response is not yet
  /// fully written (or whose connection closed): what drain() waits for.
  std::atomic<std::size_t> busy{0};
  /// Foreign threads currently inside responder::send's post (see stop()).
  std::atomic<std::size_t> senders{0};
};

/// Records a request into the connection's reusable buffers instead of a
/// beast::http::fields (which allocates per field). Constructed afresh for
/// every request (basic_parser has no reset) inside connection::parser_.
class request_parser final : public bhttp::basic_parser<true> {
public:
  explicit request_parser(connection& c) noexcept : c_(c) {}

private:
  void on_request_impl(bhttp::verb v, beast::string_view m, beast::string_view target,
                       int version, beast::error_code& ec) override;
  void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override;
  void on_field_impl(bhttp::field f, beast::string_view name, beast::string_view value,
                     beast::error_code& ec) override;
  void on_header_impl(beast::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                         beast::error_code& ec) override;
  std::size_t on_body_impl(beast::string_view s, beast::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t remain, beast::string_view s,
                                 beast::error_code& ec) override;
  void on_finish_impl(beast::error_code&) override {}

  connection& c_; ///< owns this parser
};

} // namespace http_detail

using namespace http_detail;

/// One accepted TCP connection and its reusable buffers. Mutable members are
/// touched only on its context's thread, except awaiting_ (atomic), which
/// responder::send flips from any thread; core_ and slot_ never change.
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(std::shared_ptr<server_core> core, io_slot& slot, socket_type&& s);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// On its thread: registers with its slot and reads the first request.
  void start();
  /// Any thread: the handler's answer (first one per request counts).
  void deliver(http_response&& r);
  /// On its thread: closes the socket, cancels everything, unregisters.
  void close();
  /// On its thread: waiting for a request of which no byte has arrived.
  bool idle() const noexcept;

private:
  friend class http_detail::request_parser;

  enum class phase : std::uint8_t { reading, handling, writing, lingering, closed };

  /// An (offset, length) into arena_: offsets, not views, as arena_ may grow.
  struct piece {
    std::uint32_t off = 0;
    std::uint32_t len = 0;
  };
  struct field_piece {
    piece name;
    piece value;
  };

  void start_read();
  void on_read(beast::error_code ec);
  void dispatch_request();
  void on_response(http_response&& r);
  void refuse(unsigned status, std::string_view why);
  void write_response(http_response&& r);
  void on_write(beast::error_code ec);
  void linger();
  void do_linger_read();
  void finish_request() noexcept;
  std::string_view view(piece p) const noexcept { return {arena_.data() + p.off, p.len}; }

  // Parser hooks (called from inside async_read on this thread).
  void on_start_line(bhttp::verb v, std::string_view m, std::string_view target, int version);
  void on_field(bhttp::field f, std::string_view name, std::string_view value);
  void on_header_done(bool body_follows);

  // Declared first so it is destroyed last: it owns the io_context that
  // stream_'s socket and timers are registered with.
  std::shared_ptr<server_core> core_;
  io_slot& slot_;
  std::size_t slot_index_ = static_cast<std::size_t>(-1);
  handler_memory memory_; ///< before stream_: outlives the operations on it
  stream_type stream_;
  beast::flat_buffer buffer_;           ///< raw input; may hold pipelined bytes
  std::optional<request_parser> parser_; ///< fresh per request (no reset in Beast)
  std::string peer_ip_;

  // Per-request state, reused. The views in req_ point into arena_, fields_
  // and body_, which are not touched again until the response is written.
  std::string arena_;
  piece method_;
  piece target_;
  std::vector<field_piece> field_pieces_;
  std::vector<header_field> fields_;
  std::string body_;
  http_request req_;
  int version_ = 11;
  bool expect_continue_ = false;
  bool request_active_ = false; ///< counted in core_->busy
  bool close_after_ = false;    ///< the response being written is the last
  bool head_ = false;
  bool broken_ = false;         ///< a partial interim response went out
  http_door door_ = http_door::other; ///< of the current request, for metrics
  phase phase_ = phase::reading;
  /// True while the handler owes this connection an answer. exchange(false)
  /// decides which send counts and who decrements core_->in_flight.
  std::atomic<bool> awaiting_{false};

  // Response state, reused.
  std::string out_;          ///< status line + headers
  http_response response_;   ///< keeps the body alive during the write
  std::size_t discarded_ = 0; ///< bytes read and dropped while lingering
};

namespace http_detail {

void request_parser::on_request_impl(bhttp::verb v, beast::string_view m,
                                     beast::string_view target, int version,
                                     beast::error_code&) {
  c_.on_start_line(v, m, target, version);
}

void request_parser::on_response_impl(int, beast::string_view, int, beast::error_code& ec) {
  ec = bhttp::error::bad_version; // unreachable for a request parser
}

void request_parser::on_field_impl(bhttp::field f, beast::string_view name,
                                   beast::string_view value, beast::error_code&) {
  c_.on_field(f, name, value);
}

void request_parser::on_header_impl(beast::error_code&) { c_.on_header_done(!is_done()); }

void request_parser::on_body_init_impl(const boost::optional<std::uint64_t>& length,
                                       beast::error_code&) {
  // body_limit (== max_request_bytes) has already refused anything larger;
  // a chunked body grows the string geometrically instead.
  if (length)
    c_.body_.reserve(static_cast<std::size_t>(
        std::min<std::uint64_t>(*length, c_.core_->opts.max_request_bytes)));
}

std::size_t request_parser::on_body_impl(beast::string_view s, beast::error_code&) {
  c_.body_.append(s.data(), s.size());
  return s.size();
}

std::size_t request_parser::on_chunk_body_impl(std::uint64_t, beast::string_view s,
                                               beast::error_code&) {
  c_.body_.append(s.data(), s.size());
  return s.size();
}

} // namespace http_detail

// ---------------------------------------------------------------------------
// http_request / responder

std::string_view http_request::header(std::string_view name) const noexcept {
  for (const auto& f : headers)
    if (iequals(f.name, name)) return f.value;
  return {};
}

void responder::send(http_response&& r) const {
  if (conn_) conn_->deliver(std::move(r));
}

// ---------------------------------------------------------------------------
// connection

connection::connection(std::shared_ptr<server_core> core, io_slot& slot, socket_type&& s)
    : core_(std::move(core)), slot_(slot), stream_(std::move(s)) {
  beast::error_code ec;
  const auto ep = stream_.socket().remote_endpoint(ec);
  if (!ec) peer_ip_ = ep.address().to_string();
  buffer_.reserve(read_buffer_bytes);
  arena_.reserve(arena_bytes);
  field_pieces_.reserve(fields_reserve);
  fields_.reserve(fields_reserve);
  out_.reserve(out_bytes);
}

connection::~connection() {
  // Only reached after close() (the registry holds a reference until then).
  // A handler that dropped every responder without answering still owes an
  // answer: count it as answered so in_flight() does not stay up forever.
  if (awaiting_.exchange(false, std::memory_order_acq_rel))
    core_->in_flight.fetch_sub(1, std::memory_order_release);
}

void connection::start() {
  if (core_->stopping.load(std::memory_order_acquire)) {
    close(); // not registered yet: close() only releases the socket
    return;
  }
  slot_index_ = slot_.conns.size();
  slot_.conns.push_back(shared_from_this());
  start_read();
}

bool connection::idle() const noexcept {
  return phase_ == phase::reading && buffer_.size() == 0 &&
         !(parser_ && parser_->got_some());
}

void connection::start_read() {
  if (core_->draining.load(std::memory_order_acquire)) {
    // stop_accepting(): no new request on this connection.
    close();
    return;
  }
  phase_ = phase::reading;
  arena_.clear();
  field_pieces_.clear();
  fields_.clear();
  body_.clear();
  expect_continue_ = false;
  version_ = 11;

  parser_.emplace(*this);
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(
      core_->opts.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(core_->opts.max_request_bytes);

  // Idle timeout until the start line is in (on_start_line switches to the
  // request timeout); pipelined bytes already buffered are a request.
  stream_.expires_after(buffer_.size() ? core_->opts.request_timeout
                                       : core_->opts.idle_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    bind_memory(memory_, [self = shared_from_this()](beast::error_code ec,
                                                                     std::size_t) {
                      self->on_read(ec);
                    }));
}

void connection::on_start_line(bhttp::verb v, std::string_view m, std::string_view target,
                               int version) {
  // Called before any later read_some of this message: the new expiry
  // applies to the rest of the request.
  stream_.expires_after(core_->opts.request_timeout);
  if (!request_active_) {
    request_active_ = true;
    core_->busy.fetch_add(1, std::memory_order_relaxed);
  }
  version_ = version;
  req_.verb = to_method(v);
  method_ = {static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(m.size())};
  arena_.append(m);
  target_ = {static_cast<std::uint32_t>(arena_.size()),
             static_cast<std::uint32_t>(target.size())};
  arena_.append(target);
}

void connection::on_field(bhttp::field f, std::string_view name, std::string_view value) {
  // header_limit bounds the arena far below 4 GiB, so 32-bit offsets hold.
  field_piece fp;
  fp.name = {static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(name.size())};
  arena_.append(name);
  fp.value = {static_cast<std::uint32_t>(arena_.size()),
              static_cast<std::uint32_t>(value.size())};
  arena_.append(value);
  field_pieces_.push_back(fp);
  if (f == bhttp::field::expect && iequals(value, "100-continue")) expect_continue_ = true;
}

void connection::on_header_done(bool body_follows) {
  // RFC 9110 10.1.1: answer "Expect: 100-continue" (HTTP/1.1 only) before
  // reading a body the client is holding back; curl waits a second otherwise.
  // No write of ours is pending here (the previous response is complete), so
  // these 25 bytes cannot interleave with another response.
  if (!expect_continue_ || !body_follows || version_ < 11) return;
  static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
  // Not Asio's send(): on a full send buffer it would block this thread.
  const auto n = ::send(stream_.socket().native_handle(), cont.data(), cont.size(),
                        MSG_DONTWAIT | MSG_NOSIGNAL);
  // Nothing sent (buffer full): the client sends the body after its own
  // timeout. Part sent: the byte stream is unusable, close after the read.
  if (n > 0 && static_cast<std::size_t>(n) != cont.size()) {
    broken_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }
}

void connection::on_read(beast::error_code ec) {
  if (phase_ == phase::closed) return; // closed by stop_accepting()/stop()
  if (ec) {
    if (ec == asio::error::operation_aborted) return close();
    // The peer left, or went quiet past a timeout: nothing to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == asio::error::eof || ec == asio::error::connection_reset ||
        ec == asio::error::broken_pipe || ec == beast::error::timeout)
      return close();
    if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit ||
        ec == bhttp::error::buffer_overflow)
      return refuse(413, ec == bhttp::error::header_limit ? "request header too large"
                                                          : "request body too large");
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
      return refuse(400, ec.message());
    log_line(core_->opts, peer_ip_, "read", ec);
    return close();
  }
  if (broken_) return close(); // a partly sent "100 Continue" (see above)
  dispatch_request();
}

void connection::dispatch_request() {
  fields_.clear();
  for (const auto& fp : field_pieces_) fields_.push_back({view(fp.name), view(fp.value)});
  req_.method_text = view(method_);
  req_.target = view(target_);
  const auto q = req_.target.find('?');
  req_.path = req_.target.substr(0, q);
  req_.query = q == std::string_view::npos ? std::string_view{} : req_.target.substr(q + 1);
  req_.headers = fields_;
  req_.body = body_;
  req_.peer_ip = peer_ip_;
  req_.keep_alive = parser_->keep_alive();
  head_ = req_.verb == method::head;
  door_ = core_->opts.door_of ? core_->opts.door_of(req_.path) : http_door::other;

  phase_ = phase::handling;
  awaiting_.store(true, std::memory_order_release);
  core_->in_flight.fetch_add(1, std::memory_order_relaxed);
  // The handler may answer inline (deliver() then starts the write before
  // handle() returns): nothing below may touch per-request state.
  try {
    core_->handler->handle(req_, responder(shared_from_this()));
  } catch (const std::exception& e) {
    // The path only, without secrets: a query may hold ?api_key=, a webhook path its token.
    std::fprintf(stderr, "%s: http handler threw on %s: %s\n", core_->opts.name.c_str(),
                 path_without_secrets(req_.path).c_str(), e.what());
    deliver(http_response{500, "text/plain", "internal error\n", {}, {}});
  } catch (...) {
    std::fprintf(stderr, "%s: http handler threw on %s\n", core_->opts.name.c_str(),
                 path_without_secrets(req_.path).c_str());
    deliver(http_response{500, "text/plain", "internal error\n", {}, {}});
  }
}

void connection::deliver(http_response&& r) {
  // Only the first send for the current request counts. (The responder does
  // not carry a request number, so a late duplicate send for request N that
  // arrives while request N+1 is with the handler would be taken as N+1's
  // answer; the gateway sends exactly once.)
  if (!awaiting_.exchange(false, std::memory_order_acq_rel)) return;
  core_->in_flight.fetch_sub(1, std::memory_order_release);

  auto ex = slot_.ctx.get_executor();
  if (ex.running_in_this_thread()) {
    // Already on the connection's thread (typically inside handle()):
    // no post, no allocation.
    on_response(std::move(r));
    return;
  }
  // From a foreign thread. The senders/stopped handshake (both seq_cst)
  // guarantees stop() either sees this post before flushing the contexts or
  // this send sees `stopped` and drops the response: nothing is left queued
  // in a context nobody runs.
  core_->senders.fetch_add(1, std::memory_order_seq_cst);
  if (!core_->stopped.load(std::memory_order_seq_cst)) {
    asio::post(ex, [self = shared_from_this(), r = std::move(r)]() mutable {
      self->on_response(std::move(r));
    });
  }
  core_->senders.fetch_sub(1, std::memory_order_seq_cst);
}

void connection::on_response(http_response&& r) {
  if (phase_ != phase::handling) return; // closed meanwhile (stop())
  close_after_ = !req_.keep_alive || core_->draining.load(std::memory_order_acquire);
  write_response(std::move(r));
}

void connection::refuse(unsigned status, std::string_view why) {
  // The request never reached the handler; answer and close. Count it in
  // busy so drain() waits for the refusal too.
  if (!request_active_) {
    request_active_ = true;
    core_->busy.fetch_add(1, std::memory_order_relaxed);
  }
  http_response r;
  try {
    r = core_->handler->refusal(status, why);
  } catch (...) {
    r = http_response{status, "text/plain", std::string(why) + "\n", {}, {}};
  }
  close_after_ = true;
  head_ = false;
  door_ = http_door::other; // never routed: its path may not even be known
  write_response(std::move(r));
}

void connection::write_response(http_response&& r) {
  response_ = std::move(r);
  if (response_.status < 100 || response_.status > 999) response_.status = 500;
  const unsigned status = response_.status;
  // The one place every response of this port passes (handler answers,
  // refusals before routing, a throwing handler's 500): counted here, once.
  if (auto* m = core_->opts.metrics) m->request(core_->opts.metrics_port, door_, status);
  // 1xx, 204 and 304 never carry a body; 1xx and 204 carry no Content-Length
  // (RFC 9110 8.6). A 304's Content-Length would describe the representation
  // it stands for, which we do not know: omit it too.
  const bool no_body_status = status < 200 || status == 204 || status == 304;

  out_.clear();
  out_ += "HTTP/1.1 ";
  char num[24];
  out_.append(num, std::to_chars(num, num + sizeof num, status).ptr);
  out_ += ' ';
  out_ += reason_phrase(status);
  out_ += "\r\n";
  if (!no_body_status && (!response_.body.empty() || response_.typed_when_empty) &&
      !response_.content_type.empty() &&
      safe_header_text(response_.content_type)) {
    out_ += "Content-Type: ";
    out_ += response_.content_type;
    out_ += "\r\n";
  }
  if (!no_body_status) {
    // For HEAD: the length of the body a GET would have had.
    out_ += "Content-Length: ";
    out_.append(num, std::to_chars(num, num + sizeof num, response_.body.size()).ptr);
    out_ += "\r\n";
  }
  for (const auto& [name, value] : response_.headers) {
    if (name.empty() || !safe_header_text(name) || !safe_header_text(value)) {
      std::fprintf(stderr, "%s: http dropped an unsafe response header\n",
                   core_->opts.name.c_str());
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
  stream_.expires_after(core_->opts.request_timeout);
  asio::async_write(stream_, bufs,
                    bind_memory(memory_, [self = shared_from_this()](beast::error_code ec,
                                                                     std::size_t) {
                      self->on_write(ec);
                    }));
}

void connection::finish_request() noexcept {
  if (request_active_) {
    request_active_ = false;
    core_->busy.fetch_sub(1, std::memory_order_release);
  }
}

void connection::on_write(beast::error_code ec) {
  if (phase_ == phase::closed) return;
  finish_request();
  if (ec) {
    if (ec != asio::error::operation_aborted && ec != asio::error::broken_pipe &&
        ec != asio::error::connection_reset && ec != beast::error::timeout)
      log_line(core_->opts, peer_ip_, "write", ec);
    return close();
  }
  if (close_after_) return linger();
  // Keep steady-state capacity, but not what one big request left behind.
  if (body_.capacity() > body_keep_bytes) std::string().swap(body_);
  if (response_.body.capacity() > body_keep_bytes) std::string().swap(response_.body);
  start_read();
}

void connection::linger() {
  phase_ = phase::lingering;
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return close();
  discarded_ = 0;
  stream_.expires_after(std::min(linger_timeout, core_->opts.request_timeout));
  buffer_.clear();
  do_linger_read();
}

void connection::do_linger_read() {
  stream_.async_read_some(
      buffer_.prepare(read_buffer_bytes),
      bind_memory(memory_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
        if (self->phase_ == phase::closed) return;
        self->discarded_ += n;
        // Until EOF, error, timeout, or a body's worth.
        if (ec || self->discarded_ > self->core_->opts.max_request_bytes) return self->close();
        self->do_linger_read();
      }));
}

void connection::close() {
  if (phase_ == phase::closed) return;
  phase_ = phase::closed;
  // The registry may hold the last reference: keep this alive until return.
  auto keep = shared_from_this();
  stream_.close(); // cancels pending reads/writes and the timers
  finish_request();
  if (slot_index_ < slot_.conns.size()) {
    auto& v = slot_.conns;
    if (slot_index_ != v.size() - 1) {
      v[slot_index_] = std::move(v.back());
      v[slot_index_]->slot_index_ = slot_index_;
    }
    v.pop_back();
    slot_index_ = static_cast<std::size_t>(-1);
  }
  core_->connection_closed();
}

// ---------------------------------------------------------------------------
// server_core: accepting

void server_core::do_accept() {
  if (draining.load(std::memory_order_acquire) || !acceptor->is_open()) return;
  io_slot& slot = *slots[next_slot];
  next_slot = (next_slot + 1) % slots.size();
  // The socket is created on the target context: the connection's I/O never
  // touches context 0 again. `this` is safe: this handler runs (or is
  // destroyed) inside slots[0]->ctx, which the core owns.
  acceptor->async_accept(slot.ctx, [this, &slot](beast::error_code ec, socket_type s) {
    on_accept(ec, std::move(s), slot);
  });
}

void server_core::on_accept(const beast::error_code& ec, socket_type s, io_slot& slot) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) {
    if (draining.load(std::memory_order_acquire)) return;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
        ec == asio::error::no_memory ||
        ec == boost::system::errc::too_many_files_open_in_system) {
      // Out of resources: back off instead of spinning on the error.
      log_line(opts, {}, "accept", ec);
      accept_timer->expires_after(accept_retry_delay);
      accept_timer->async_wait([this](beast::error_code e) {
        if (!e) do_accept();
      });
      return;
    }
    if (ec != asio::error::connection_aborted) log_line(opts, {}, "accept", ec);
    return do_accept();
  }

  beast::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  try {
    auto c = std::make_shared<connection>(shared_from_this(), slot, std::move(s));
    open.fetch_add(1, std::memory_order_seq_cst); // connection_closed() balances it
    asio::post(slot.ctx, [c = std::move(c)] { c->start(); });
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: http accept: %s\n", opts.name.c_str(), e.what());
  }

  // max_connections: stop accepting (new clients wait in the kernel's listen
  // backlog) until a connection closes. Chosen over accept-and-close because
  // it sheds nothing: a brief overload becomes latency, not errors. Pause
  // first, then re-check: connection_closed() decrements first, then checks
  // the flag, so one of the two always sees the other (both seq_cst).
  if (open.load(std::memory_order_seq_cst) >= opts.max_connections) {
    accept_paused.store(true, std::memory_order_seq_cst);
    if (open.load(std::memory_order_seq_cst) >= opts.max_connections ||
        !accept_paused.exchange(false, std::memory_order_seq_cst))
      return;
  }
  do_accept();
}

void server_core::connection_closed() {
  const auto now_open = open.fetch_sub(1, std::memory_order_seq_cst) - 1;
  if (now_open < opts.max_connections && accept_paused.load(std::memory_order_seq_cst) &&
      accept_paused.exchange(false, std::memory_order_seq_cst))
    asio::post(slots[0]->ctx, [this] { do_accept(); });
}

} // namespace sluice::net

// ---------------------------------------------------------------------------
// http_server

namespace sluice::net {

struct http_server::impl {
  std::shared_ptr<server_core> core;
  std::vector<std::thread> threads;
  std::mutex mu; ///< serializes start() and stop()
  bool started = false;
  bool stopped = false;
};

namespace {

tcp::endpoint resolve_endpoint(const server_options& o) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(o.host, ec);
  if (!ec) return {addr, o.port};
  // Not an address literal: resolve the name (startup only, so blocking).
  asio::io_context ctx;
  tcp::resolver r(ctx);
  auto results = r.resolve(o.host, std::to_string(o.port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    throw std::system_error(ec ? std::error_code(ec)
                               : std::make_error_code(std::errc::invalid_argument),
                            "http_server: cannot resolve host '" + o.host + "'");
  return results.begin()->endpoint();
}

void throw_if(const beast::error_code& ec, const char* what, const server_options& o) {
  if (ec)
    throw std::system_error(std::error_code(ec), std::string("http_server: ") + what + " " +
                                                     o.host + ":" + std::to_string(o.port));
}

} // namespace

http_server::http_server(server_options opts, request_handler& handler)
    : impl_(std::make_unique<impl>()) {
  impl_->core = std::make_shared<server_core>(std::move(opts), handler);
  auto& core = *impl_->core;
  const auto ep = resolve_endpoint(core.opts);
  auto& a = *core.acceptor;
  beast::error_code ec;
  a.open(ep.protocol(), ec);
  throw_if(ec, "open", core.opts);
  a.set_option(asio::socket_base::reuse_address(true), ec);
  throw_if(ec, "reuse_address", core.opts);
  a.bind(ep, ec);
  throw_if(ec, "bind", core.opts);
  a.listen(asio::socket_base::max_listen_connections, ec);
  throw_if(ec, "listen", core.opts);
  core.port = a.local_endpoint(ec).port();
  throw_if(ec, "local_endpoint", core.opts);
}

http_server::~http_server() { stop(); }

std::uint16_t http_server::port() const noexcept { return impl_->core->port; }

const server_options& http_server::options() const noexcept { return impl_->core->opts; }

std::size_t http_server::in_flight() const noexcept {
  return impl_->core->in_flight.load(std::memory_order_acquire);
}

std::size_t http_server::open_connections() const noexcept {
  return impl_->core->open.load(std::memory_order_relaxed);
}

void http_server::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopped) return;
  impl_->started = true;
  auto core = impl_->core;
  impl_->threads.reserve(core->slots.size());
  for (auto& slot : core->slots) {
    impl_->threads.emplace_back([&ctx = slot->ctx, name = core->opts.name] {
      // A throwing handler must not take the whole I/O thread down.
      for (;;) {
        try {
          ctx.run();
          return;
        } catch (const std::exception& e) {
          std::fprintf(stderr, "%s: http I/O thread caught: %s\n", name.c_str(), e.what());
        }
      }
    });
  }
  asio::post(core->slots[0]->ctx, [c = core.get()] { c->do_accept(); });
  std::printf("%s listening on %s:%u\n", core->opts.name.c_str(), core->opts.host.c_str(),
              static_cast<unsigned>(core->port));
  std::fflush(stdout);
}

void http_server::stop_accepting() {
  auto& core = *impl_->core;
  if (core.draining.exchange(true, std::memory_order_acq_rel)) return;
  std::lock_guard lock(impl_->mu);
  if (!impl_->started || impl_->stopped) {
    beast::error_code ec;
    core.acceptor->close(ec); // no thread touches it yet (or any more)
    return;
  }
  asio::post(core.slots[0]->ctx, [c = &core] {
    beast::error_code ec;
    c->acceptor->close(ec);
    c->accept_timer->cancel();
  });
  // Idle connections close now; busy ones after their current response
  // (start_read() and on_response() check `draining`).
  for (auto& slot : core.slots) {
    asio::post(slot->ctx, [s = slot.get()] {
      for (std::size_t i = s->conns.size(); i-- > 0;)
        if (i < s->conns.size() && s->conns[i]->idle()) s->conns[i]->close();
    });
  }
}

bool http_server::drain(std::chrono::milliseconds timeout) {
  // Polls: drain runs once per shutdown, and a condition variable would cost
  // the hot path a notify check on every response.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto& core = *impl_->core;
  for (;;) {
    if (core.in_flight.load(std::memory_order_acquire) == 0 &&
        core.busy.load(std::memory_order_acquire) == 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void http_server::stop() {
  // It joins the I/O threads, so it cannot run on one (e.g. inside handle()):
  // fail loudly rather than deadlock.
  for (const auto& slot : impl_->core->slots)
    if (slot->ctx.get_executor().running_in_this_thread() && !impl_->stopped) {
      std::fprintf(stderr, "%s: http_server::stop() called on an I/O thread\n",
                   impl_->core->opts.name.c_str());
      std::abort();
    }
  std::lock_guard lock(impl_->mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  auto& core = *impl_->core;
  core.draining.store(true, std::memory_order_seq_cst);
  core.stopping.store(true, std::memory_order_seq_cst);

  auto close_all = [](io_slot& s) {
    while (!s.conns.empty()) s.conns.back()->close();
  };
  if (impl_->started) {
    // Close the acceptor and every connection on their own threads.
    std::latch done(static_cast<std::ptrdiff_t>(core.slots.size() + 1));
    asio::post(core.slots[0]->ctx, [&core, &done] {
      beast::error_code ec;
      core.acceptor->close(ec);
      core.accept_timer->cancel();
      done.count_down();
    });
    for (auto& slot : core.slots)
      asio::post(slot->ctx, [s = slot.get(), &close_all, &done] {
        close_all(*s);
        done.count_down();
      });
    done.wait();
    // From here on foreign sends are dropped; wait out any send that is
    // already between its check and its post (see connection::deliver).
    core.stopped.store(true, std::memory_order_seq_cst);
    while (core.senders.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
    for (auto& slot : core.slots) {
      slot->guard.reset();
      slot->ctx.stop();
    }
    for (auto& t : impl_->threads) t.join();
    impl_->threads.clear();
  } else {
    beast::error_code ec;
    core.acceptor->close(ec);
    core.stopped.store(true, std::memory_order_seq_cst);
    for (auto& slot : core.slots) slot->guard.reset();
  }
  // The threads are gone: run what is still queued (aborted completions,
  // late start()s and responses) here, so no handler holding a connection
  // (and through it the core) stays queued in a context nobody runs.
  for (bool again = true; again;) {
    again = false;
    for (auto& slot : core.slots) {
      slot->ctx.restart();
      if (slot->ctx.poll() != 0) again = true;
      close_all(*slot);
    }
  }
}

} // namespace sluice::net
