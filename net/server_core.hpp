#pragma once

// State the HTTP server shares between its accept/lifecycle code
// (http_server.cpp) and its connections (connection.cpp). Internal to the
// server: nothing outside those two files includes this header.
//
// Lifetimes:
//   * server_core (shared) owns the io_contexts and the acceptor. The public
//     http_server holds one reference, every connection another, so a
//     responder that outlives the server (a gateway actor still holding it)
//     keeps the contexts its socket and timers belong to alive; its send is
//     then dropped.
//   * A connection is owned by its context's registry (io_slot::conns) from
//     start() to close() (on its own thread), plus by its pending completion
//     handlers and by the responders handed out. The registry reference means
//     a connection is only ever destroyed after close(), so the destructor
//     never needs to touch the per-context registry from a foreign thread.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "net/gateway.hpp"
#include "net/http_server.hpp"

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace sluice::net {

namespace http_detail {

/// The concrete executor (not any_io_executor): every composed operation
/// copies its executor, and the type-erased one costs more to copy.
using executor_type = boost::asio::io_context::executor_type;
using socket_type = boost::asio::ip::tcp::socket::rebind_executor<executor_type>::other;

/// "<name>: http <what> from <peer>: <error>" on stderr.
void log_line(const server_options& o, std::string_view peer, std::string_view what,
              const boost::beast::error_code& ec);

/// The answer to one request, on its way to the connection's thread: a
/// response, or (with `format`) a gateway's ingest reply that `format` turns
/// into the connection's own reused response there.
struct pending_answer {
  pending_answer() = default;
  pending_answer(http_response&& r) : response(std::move(r)) {}
  pending_answer(ingest_reply&& r, ingest_formatter f) : reply(std::move(r)), format(f) {}

  http_response response; ///< the answer, unless `format` is set
  ingest_reply reply;     ///< with `format`: what it builds the response from
  ingest_formatter format = nullptr;
};

/// One io_context with its thread's bookkeeping.
struct io_slot {
  // Concurrency hint 1: one thread runs this context (other threads still
  // post to it and register sockets on it, which stays safe).
  boost::asio::io_context ctx{1};
  boost::asio::executor_work_guard<executor_type> guard{ctx.get_executor()};
  /// Closes the connections whose deadline passed (connection::deadline_),
  /// once every sweep interval: one timer per thread, where a timed socket
  /// operation of Beast's basic_stream costs a timer wait (an allocation and
  /// a timer-queue update) per read and per write. After ctx: cancelled and
  /// destroyed before it.
  boost::asio::steady_timer sweeper{ctx};
  bool sweeping = false; ///< ctx's thread: cleared by stop(), ends the sweeps
  /// Connections living on ctx, touched only on ctx's thread (or by stop()
  /// once the threads are joined). Swap-removed via connection::slot_index_.
  std::vector<std::shared_ptr<connection>> conns;

  /// An answer sent from another thread, waiting for ctx's thread.
  struct answer {
    std::shared_ptr<connection> to;
    pending_answer what;
  };
  /// Answers from foreign threads gather here; whoever finds the queue
  /// empty posts one handler that takes them all (run_answers). A group
  /// commit that answers 64 requests of this thread so costs it one post and
  /// at most one wake-up, not 64. Guarded by answers_mu.
  std::vector<answer> answers;
  std::mutex answers_mu;
  /// ctx's thread only: the batch being run; swapped with `answers`, so
  /// both keep their capacity and steady state allocates nothing.
  std::vector<answer> running_answers;
  /// ctx's thread only: an end-of-turn call to the handler is queued
  /// (see request_handler::end_of_turn).
  bool turn_end_queued = false;

  /// ctx's thread: closes every connection whose deadline is past, then
  /// waits `every` and does it again (until `sweeping` is cleared).
  void sweep(std::chrono::milliseconds every);

  /// Any thread: queues `a` for connection `to` (which lives on ctx).
  void post_answer(std::shared_ptr<connection> to, pending_answer&& a);
  /// ctx's thread: hands every queued answer to its connection.
  void run_answers();
};

/// The unit of memory that cores hand each other (x86-64, most ARM64): two
/// atomics written by different threads belong on different ones.
inline constexpr std::size_t cache_line_bytes = 64;

/// State shared by the server object and every connection.
struct server_core : std::enable_shared_from_this<server_core> {
  server_core(server_options o, request_handler& h);
  ~server_core();

  void do_accept();
  void on_accept(const boost::beast::error_code& ec, socket_type s, io_slot& slot);
  void connection_closed();

  server_options opts;
  request_handler* handler; ///< outlives the threads; never used after stop()
  std::vector<std::unique_ptr<io_slot>> slots;
  std::optional<boost::asio::ip::tcp::acceptor> acceptor; ///< slots[0]'s thread only
  std::optional<boost::asio::steady_timer> accept_timer;  ///< slots[0]'s thread only
  std::size_t next_slot = 0;                              ///< slots[0]'s thread only
  std::uint16_t port = 0;
  /// How often each I/O thread looks for connections past their deadline: an
  /// eighth of the shorter timeout, within [10 ms, 1 s], so a timeout fires
  /// at most that much late (never early).
  std::chrono::milliseconds sweep_interval{1000};

  // Three cache lines, apart by who writes them: the flags (read on every
  // answer, written only by stop_accepting() and stop()); open, in_flight
  // and busy (written by the I/O threads on each request); senders (written
  // twice per answer by the threads that answer from elsewhere, such as the
  // storage actor's). On one line, those threads would pull it from each
  // other on every request, and the readers of the flags with them.

  /// stop_accepting() or stop() called.
  alignas(cache_line_bytes) std::atomic<bool> draining{false};
  std::atomic<bool> stopping{false}; ///< stop() called: new connections close
  std::atomic<bool> stopped{false};  ///< threads gone: responses are dropped
  std::atomic<bool> accept_paused{false};
  /// Accepted sockets not yet closed.
  alignas(cache_line_bytes) std::atomic<std::size_t> open{0};
  /// Handed to the handler, and its answer not yet on the connection's
  /// thread (counted down there, connection::accept_answer).
  std::atomic<std::size_t> in_flight{0};
  /// Requests whose header has been read and whose response is not yet
  /// fully written (or whose connection closed): what drain() waits for.
  std::atomic<std::size_t> busy{0};
  /// Foreign threads currently inside post_unless_stopped (see stop()).
  alignas(cache_line_bytes) std::atomic<std::size_t> senders{0};

  /// Any thread handing work to an I/O context: runs `post` (which posts it)
  /// unless the server has stopped. The senders/stopped handshake (both
  /// seq_cst) guarantees stop() either sees the post before flushing the
  /// contexts or this call sees `stopped` and drops the work: nothing is left
  /// queued in a context nobody runs.
  template <class Post>
  void post_unless_stopped(Post&& post) {
    senders.fetch_add(1, std::memory_order_seq_cst);
    if (!stopped.load(std::memory_order_seq_cst))
      std::forward<Post>(post)();
    senders.fetch_sub(1, std::memory_order_seq_cst);
  }

  /// The TLS context new connections use (null: plain TCP). Replaced whole by
  /// a reload; a connection keeps the one it started with alive.
  std::shared_ptr<boost::asio::ssl::context> tls_context() const {
    std::lock_guard lock(tls_mu);
    return tls;
  }
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> c) {
    std::lock_guard lock(tls_mu);
    tls = std::move(c);
  }

private:
  mutable std::mutex tls_mu; ///< taken once per accept and per reload
  std::shared_ptr<boost::asio::ssl::context> tls;
};

} // namespace http_detail

/// What the server, its registry and responders see of a connection; the
/// stream-specific state machine is http_detail::basic_connection
/// (connection.cpp). Mutable members are touched only on the connection's
/// own thread; core_ and slot_ never change.
class connection : public std::enable_shared_from_this<connection> {
public:
  virtual ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// On its thread: registers with its slot and reads the first request.
  virtual void start() = 0;
  /// On its thread: closes the socket, cancels everything, unregisters.
  virtual void close() = 0;
  /// On its thread: waiting for a request of which no byte has arrived.
  virtual bool idle() const noexcept = 0;

  /// Any thread: the handler's answer (the first one per request counts).
  void deliver(http_detail::pending_answer&& a);
  /// The same, for a caller that hands over its reference to `c` (a
  /// responder answering once): from a foreign thread no reference count
  /// is touched, which would pull the connection's count from its thread.
  static void deliver(std::shared_ptr<connection>&& c, http_detail::pending_answer&& a);

protected:
  connection(std::shared_ptr<http_detail::server_core> core, http_detail::io_slot& slot) noexcept
      : core_(std::move(core)), slot_(slot) {}

  /// On its thread: the answer to the request being handled.
  virtual void on_answer(http_detail::pending_answer&& a) = 0;
  /// On its thread: passes `a` to on_answer if it is the first answer to
  /// the request being handled (awaiting_), and counts it answered.
  void accept_answer(http_detail::pending_answer&& a);

  /// On its thread: enters / leaves the slot's registry.
  void register_in_slot();
  void unregister_from_slot() noexcept;

  // Declared first so it is destroyed last: it owns the io_context that the
  // derived class's socket and timers are registered with.
  std::shared_ptr<http_detail::server_core> core_;
  http_detail::io_slot& slot_;
  /// True while the handler owes this connection an answer. exchange(false)
  /// decides which answer counts and who decrements core_->in_flight: on
  /// the connection's thread (accept_answer), or in the destructor. Atomic
  /// for the destructor, which runs wherever the last reference goes.
  std::atomic<bool> awaiting_{false};

  using clock_type = std::chrono::steady_clock;
  static constexpr clock_type::time_point no_deadline = clock_type::time_point::max();
  /// On its thread: the pending read or write must be done by then, or the
  /// slot's sweep (io_slot::sweep) closes the connection. no_deadline while
  /// nothing is timed (a request with the handler, a stream's watching read).
  clock_type::time_point deadline_ = no_deadline;
  /// Times what is pending now: `d` from this moment.
  void deadline_in(std::chrono::milliseconds d) noexcept { deadline_ = clock_type::now() + d; }

private:
  friend struct http_detail::io_slot; // run_answers() calls accept_answer()
  std::size_t slot_index_ = static_cast<std::size_t>(-1);
};

namespace http_detail {

/// A connection for an accepted plain-TCP socket, not yet started (the
/// caller posts start() onto `slot`'s context).
std::shared_ptr<connection> make_plain_connection(std::shared_ptr<server_core> core, io_slot& slot,
                                                  socket_type&& s);

/// The same for TLS: the handshake comes first, with `context`, which the
/// connection keeps alive for its whole life.
std::shared_ptr<connection> make_tls_connection(std::shared_ptr<server_core> core, io_slot& slot,
                                                socket_type&& s,
                                                std::shared_ptr<boost::asio::ssl::context> context);

} // namespace http_detail

} // namespace sluice::net
