#include "bench/sluice_bench/load.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>

#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>

#include "bench/sluice_bench/otlp_logs.hpp"
#include "net/handler_memory.hpp"

namespace sluice::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
// Concrete executor types: with the polymorphic any_io_executor, every
// completion Beast posts goes through a type-erased function object that is
// allocated on the heap; with the io_context's own executor it comes from
// Asio's per-thread recycling allocator instead.
using executor_type = asio::io_context::executor_type;
using socket_type = asio::basic_stream_socket<tcp, executor_type>;
using timer_type =
  asio::basic_waitable_timer<std::chrono::steady_clock,
                             asio::wait_traits<std::chrono::steady_clock>, executor_type>;
using clock_type = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

/// Storage for one pending handler at a time (net/handler_memory.hpp): one
/// per operation chain of a connection (write, read, timer), so a request
/// costs no heap allocation. A second handler at once, or a bigger one,
/// falls back to operator new.
using handler_memory = sluice::net::handler_memory<1, 1024>;
using sluice::net::bind_memory;

/// The bits of a response the client needs, parsed without storing any
/// field: the status, X-AL-Sampled, and the start of the body (where
/// "accepted" is, or an OTLP partialSuccess). One is constructed in place per
/// response (a Beast parser is single-use); that costs no allocation.
class response_sink final : public http::basic_parser<false> {
public:
  int status = 0;
  bool sampled = false;
  std::array<char, 256> body{};
  std::size_t body_len = 0;
  bool truncated = false; ///< the body was longer than `body`

  std::string_view body_text() const noexcept { return {body.data(), body_len}; }

  /// "accepted" of a 202 body, or -1 when the body has none.
  long accepted() const noexcept {
    std::string_view b{body.data(), body_len};
    constexpr std::string_view key = "\"accepted\":";
    auto at = b.find(key);
    if (at == std::string_view::npos)
      return -1;
    long n = 0;
    bool any = false;
    for (auto i = at + key.size(); i < b.size() && b[i] >= '0' && b[i] <= '9'; ++i) {
      n = n * 10 + (b[i] - '0');
      any = true;
    }
    return any ? n : -1;
  }

private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       error_code&) override {}
  void on_response_impl(int code, beast::string_view, int, error_code&) override { status = code; }
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     error_code&) override {
    if (beast::iequals(name, "X-AL-Sampled") && beast::iequals(value, "true"))
      sampled = true;
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(beast::string_view s, error_code&) override {
    keep(s);
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view s, error_code&) override {
    keep(s);
    return s.size();
  }
  void on_finish_impl(error_code&) override {}

  void keep(beast::string_view s) noexcept {
    auto n = std::min(s.size(), body.size() - body_len);
    if (n < s.size())
      truncated = true;
    std::memcpy(body.data() + body_len, s.data(), n);
    body_len += n;
  }
};

/// The connection's socket as Beast's read sees it with --arrival-times:
/// each read waits until the socket is readable, then reads with recvmsg,
/// which also hands over the kernel's receive timestamp of the newest
/// segment read (SO_TIMESTAMPNS, set on the socket at connect). That is
/// when the answer reached this machine's socket, before this thread got
/// to it. As many system calls per read as Asio's own path: where Asio
/// first tries a read that finds nothing and then waits, this re-arms the
/// wait (epoll_ctl) and then reads. Lives as long as its connection;
/// `arrived` is the connection's.
class stamping_reader {
public:
  using executor_type = sluice::bench::executor_type;

  stamping_reader(socket_type& sock, std::optional<clock_type::time_point>& arrived) noexcept
      : sock_(sock), arrived_(arrived) {}

  executor_type get_executor() noexcept { return sock_.get_executor(); }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    wait(buffers, std::forward<Handler>(handler));
  }

private:
  template <class MutableBuffers, class Handler>
  void wait(const MutableBuffers& buffers, Handler&& handler) {
    sock_.async_wait(socket_type::wait_read,
                     [this, buffers, h = std::forward<Handler>(handler)](error_code ec) mutable {
                       std::size_t n = 0;
                       if (!ec && !read(buffers, n, ec))
                         return wait(buffers, std::move(h)); // woken without data: wait again
                       std::move(h)(ec, n);
                     });
  }

  /// One recvmsg without waiting. False when there was nothing to read yet.
  template <class MutableBuffers>
  bool read(const MutableBuffers& buffers, std::size_t& n, error_code& ec) {
    constexpr std::size_t max_iov = 8;
    iovec iov[max_iov];
    std::size_t k = 0;
    for (auto it = asio::buffer_sequence_begin(buffers);
         it != asio::buffer_sequence_end(buffers) && k < max_iov; ++it) {
      asio::mutable_buffer b(*it);
      iov[k++] = {b.data(), b.size()};
    }
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(timespec))];
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = k;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ssize_t got = ::recvmsg(sock_.native_handle(), &m, MSG_DONTWAIT);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return false;
      ec = error_code(errno, boost::system::system_category());
      return true;
    }
    if (got == 0) {
      ec = asio::error::eof;
      return true;
    }
    n = static_cast<std::size_t>(got);
    for (auto* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
        continue;
      timespec at;
      std::memcpy(&at, CMSG_DATA(c), sizeof at);
      // The stamp is CLOCK_REALTIME; latencies are on the steady clock. Its
      // age, read off the real-time clock now, carries over to the other.
      timespec now_real;
      ::clock_gettime(CLOCK_REALTIME, &now_real);
      const auto now = clock_type::now();
      const std::int64_t age_ns = (std::int64_t{now_real.tv_sec} - at.tv_sec) * 1'000'000'000
                                  + (now_real.tv_nsec - at.tv_nsec);
      arrived_ = now - std::chrono::nanoseconds(std::max<std::int64_t>(age_ns, 0));
    }
    return true;
  }

  socket_type& sock_;
  std::optional<clock_type::time_point>& arrived_;
};

/// The layout of one request: where the token and the sequence digits of
/// each message sit in the pre-built bytes.
struct request_layout {
  std::string bytes;        ///< with conn digits 000000 and req digits 0…0
  std::size_t token_at = 0; ///< offset of the secret
  std::size_t token_len = 0;
  /// Offset of each message's conn digits; its req digits follow them after
  /// "-r". Its msg digits are fixed per position and written once.
  std::vector<std::size_t> seq_at;
  std::size_t body_bytes = 0;
  std::size_t message_bytes = 0;
};

/// The native message with the bseq of message `msg` of a request:
/// {"message":"sluice-bench","level":"info","bseq":"<run>-c…-r…-m…","pad":"xx…"}
std::string native_message(const bench_options& o, const std::string& run_id, std::uint32_t msg) {
  std::string out = "{\"message\":\"sluice-bench\",\"level\":\"info\",\"bseq\":\""
                    + format_bseq(run_id, seq_key(0, 0, msg)) + "\"";
  const std::string pad_open = ",\"pad\":\"";
  std::size_t fixed = out.size() + pad_open.size() + 2; // + "\"}"
  if (o.message_bytes > fixed)
    out += pad_open + std::string(o.message_bytes - fixed, 'x') + "\"";
  out += "}";
  return out;
}

request_layout make_layout(const bench_options& o, const std::string& run_id,
                           std::string_view first_secret) {
  request_layout l;
  std::string body;
  const unsigned n = o.batch;
  if (is_otlp(o.scen)) {
    otlp_logs_spec spec;
    spec.encoding = o.scen == scenario::otlp_proto ? otlp_encoding::protobuf : otlp_encoding::json;
    spec.run_id = run_id;
    spec.records = n;
    spec.text_bytes = o.message_bytes;
    // One time for the whole run: exporters stamp each record, but the time
    // only orders and labels what is stored, and a fixed one keeps every
    // record the same size.
    spec.time_ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
    body = otlp_logs_body(spec);
    // The size one more record adds, framing included.
    spec.records = 2;
    auto two = otlp_logs_body(spec).size();
    spec.records = 1;
    l.message_bytes = two - otlp_logs_body(spec).size();
  } else if (o.scen == scenario::batch) {
    body += '[';
    for (unsigned i = 0; i < n; ++i) {
      if (i)
        body += ',';
      auto msg = native_message(o, run_id, i);
      l.message_bytes = msg.size();
      body += msg;
    }
    body += ']';
  } else {
    body = native_message(o, run_id, 0);
    l.message_bytes = body.size();
  }
  l.body_bytes = body.size();

  std::string_view target = is_otlp(o.scen) ? "/otlp/v1/logs" : "/messages";
  std::string_view type =
    o.scen == scenario::otlp_proto ? "application/x-protobuf" : "application/json";
  std::string headers = "POST " + std::string{target} + " HTTP/1.1\r\nHost: " + o.ingest.host + ":"
                        + std::to_string(o.ingest.port) + "\r\nContent-Type: " + std::string{type}
                        + "\r\nAuthorization: Bearer ";
  l.token_at = headers.size();
  l.token_len = first_secret.size();
  headers += first_secret;
  headers += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  l.bytes = headers + body;

  // Find each message's bseq rather than compute where it is: one way for
  // every encoding. Each is unique and they come in order, so the search
  // resumes after the previous one.
  l.seq_at.reserve(n);
  std::size_t from = headers.size();
  for (unsigned i = 0; i < n; ++i) {
    auto bseq = format_bseq(run_id, seq_key(0, 0, i));
    auto at = l.bytes.find(bseq, from);
    if (at == std::string::npos)
      throw std::logic_error("the request template lacks the bseq of message " + std::to_string(i));
    l.seq_at.push_back(at + run_id_chars + 2);
    from = at + bseq.size();
  }
  return l;
}

struct shared_state {
  load_plan plan;
  request_layout layout;
  tcp::endpoint target;
  clock_type::time_point t0;
  std::atomic<std::uint64_t> issued{0}; ///< --requests: requests handed out so far
};

class worker;

/// One keep-alive connection with one request in flight at a time.
/// Invariant: at most one write and one read are pending; the buffer `req_`
/// is patched only when neither is.
class connection {
public:
  connection(worker& w, std::uint32_t index);
  /// Connects and starts sending.
  void start();
  /// Called on the worker's thread at stop: a pending pacing or reconnect
  /// wait ends at once; a request in flight is answered first.
  void stop() { timer_.cancel(); }
  /// Open loop: the worker's pacer says this connection's request is due
  /// (intended at `due`), or, with `go` false, that sending has stopped.
  void paced(clock_type::time_point due, bool go);
  /// Called at the drain timeout: requests in flight are abandoned.
  void abort() {
    error_code ignored;
    sock_.close(ignored);
    timer_.cancel();
  }

private:
  void connect();
  void on_connect(error_code ec);
  void next();
  void send(clock_type::time_point started);
  void on_io(error_code ec, const char* what);
  void complete();
  void failed();
  void go_idle();
  std::uint32_t pick_token();
  std::uint64_t random() noexcept {
    // xorshift64*: cheap and good enough to spread requests over tokens.
    rng_ ^= rng_ >> 12;
    rng_ ^= rng_ << 25;
    rng_ ^= rng_ >> 27;
    return rng_ * 2685821657736338717ull;
  }

  worker& w_;
  shared_state& s_;
  // Declared before the socket and the timer: their pending handlers are
  // destroyed (into this memory) when those are.
  handler_memory write_mem_, read_mem_, wait_mem_;
  socket_type sock_;
  timer_type timer_;
  std::string req_;
  beast::flat_buffer buf_;
  std::optional<response_sink> parser_;
  /// --arrival-times: the last segment of the answer in flight reached the
  /// socket then (set by reader_; empty until it has).
  std::optional<clock_type::time_point> arrived_;
  stamping_reader reader_{sock_, arrived_};
  const std::uint32_t index_;
  std::uint32_t next_req_ = 0;
  std::uint64_t paced_ = 0; ///< requests sent under --rate
  std::uint64_t token_cursor_;
  std::uint64_t rng_;
  std::uint32_t last_token_;

  // The request in flight.
  std::uint32_t cur_req_ = 0;
  std::uint32_t cur_token_ = 0;
  bool cur_after_revoke_ = false;
  clock_type::time_point cur_start_;
  int pending_ = 0;
  bool failed_ = false;
  bool idle_ = false;
};

/// One client thread: its io_context, its connections and its share of the
/// results. Nothing here is touched from another thread until it ended.
class worker {
public:
  worker(shared_state& s, std::vector<std::uint32_t> indices) : s_(s) {
    for (auto i : indices)
      conns_.push_back(std::make_unique<connection>(*this, i));
  }

  ~worker() {
    // Normally nothing is pending here (run() returned because nothing was).
    // After a failure, let the aborted handlers run while the connections,
    // whose memory they live in, still exist.
    for (auto& c : conns_)
      c->abort();
    deadline_.cancel();
    drain_.cancel();
    pacer_.cancel();
    io_.restart();
    io_.poll();
  }

  void run() {
    const auto& o = *s_.plan.opt;
    active_ = static_cast<unsigned>(conns_.size());
    if (o.requests == 0) {
      deadline_.expires_at(s_.t0
                           + std::chrono::duration_cast<clock_type::duration>(
                             std::chrono::duration<double>(o.duration_s)));
      deadline_.async_wait([this](error_code ec) {
        if (ec == asio::error::operation_aborted)
          return; // every connection ended before the deadline
        stop();
      });
    }
    for (auto& c : conns_)
      c->start();
    try {
      io_.run();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "sluice-bench: client thread failed: %s\n", e.what());
      ++result.errors[std::string{"client thread: "} + e.what()];
    }
  }

  /// Stops sending; answers in flight are awaited up to --drain-timeout.
  void stop() {
    if (stopping_)
      return;
    stopping_ = true;
    pacer_.cancel();
    while (!due_.empty()) {
      auto c = due_.top().second;
      due_.pop();
      c->paced({}, false);
    }
    for (auto& c : conns_)
      c->stop();
    drain_.expires_after(std::chrono::duration_cast<clock_type::duration>(
      std::chrono::duration<double>(s_.plan.opt->drain_timeout_s)));
    drain_.async_wait([this](error_code ec) {
      if (ec == asio::error::operation_aborted)
        return; // everything was answered in time
      aborted_ = true;
      for (auto& c : conns_)
        c->abort();
    });
  }

  /// A connection finished for good (exactly once each).
  void connection_done() {
    if (--active_ > 0)
      return;
    // Nothing may keep io_.run() going once the last connection is done.
    stopping_ = true;
    deadline_.cancel();
    drain_.cancel();
  }

  /// Open loop: `c` sends its next request at `due`. One pacer timer per
  /// worker, waking for the earliest due request and releasing every one due
  /// within the next `pacing_window`: a timer wait per request would cost a
  /// thread wake-up per request and make the client, not the server, the
  /// thing measured.
  void schedule(connection* c, clock_type::time_point due) {
    due_.push({due, c});
    arm_pacer();
  }

  void note_error(const char* what, const error_code& ec) {
    std::string key = std::string{what} + ": " + ec.message();
    if (result.errors.size() < 64 || result.errors.count(key))
      ++result.errors[key];
  }

  /// --timeline: counts an answer that came at `at` after `latency_ns`.
  void note_timeline(clock_type::time_point at, std::uint64_t latency_ns) {
    auto k = static_cast<std::size_t>((at - s_.t0) / timeline_slot_width);
    auto& t = result.timeline;
    if (k >= t.size())
      t.resize(std::max(k + 1, t.size() * 2)); // amortized; only with the flag
    ++t[k].answers;
    t[k].max_ns = std::max(t[k].max_ns, latency_ns);
  }

  asio::io_context& io() noexcept { return io_; }
  shared_state& shared() noexcept { return s_; }
  bool stopping() const noexcept { return stopping_; }
  bool aborted() const noexcept { return aborted_; }

  load_result result;
  clock_type::time_point last_answer{};

private:
  static constexpr auto pacing_window = std::chrono::microseconds(500);

  void arm_pacer() {
    if (pacer_armed_ || due_.empty() || stopping_)
      return;
    pacer_armed_ = true;
    pacer_.expires_at(due_.top().first);
    pacer_.async_wait([this](error_code ec) {
      pacer_armed_ = false;
      if (ec == asio::error::operation_aborted)
        return; // stop() released every waiting connection
      auto horizon = clock_type::now() + pacing_window;
      while (!due_.empty() && due_.top().first <= horizon && !stopping_) {
        auto [due, c] = due_.top();
        due_.pop();
        c->paced(due, true);
      }
      arm_pacer();
    });
  }

  shared_state& s_;
  asio::io_context io_{1};
  using pending_send = std::pair<clock_type::time_point, connection*>;
  std::priority_queue<pending_send, std::vector<pending_send>, std::greater<>> due_;
  timer_type pacer_{io_.get_executor()};
  bool pacer_armed_ = false;
  timer_type deadline_{io_.get_executor()};
  timer_type drain_{io_.get_executor()};
  std::vector<std::unique_ptr<connection>> conns_;
  unsigned active_ = 0;
  bool stopping_ = false;
  bool aborted_ = false;
};

connection::connection(worker& w, std::uint32_t index)
    : w_(w), s_(w.shared()), sock_(w.io().get_executor()), timer_(w.io().get_executor()),
      index_(index), rng_(0x9E3779B97F4A7C15ull * (std::uint64_t{index} + 1)),
      last_token_(UINT32_MAX) {
  const auto& l = s_.layout;
  req_ = l.bytes;
  for (auto at : l.seq_at)
    write_fixed(req_.data() + at, index_, conn_digits);
  token_cursor_ = index_ % s_.plan.tokens->minted;
  buf_.reserve(16 * 1024);
}

void connection::start() { connect(); }

void connection::connect() {
  error_code ignored;
  sock_.close(ignored);
  buf_.clear();
  sock_.async_connect(s_.target, bind_memory(wait_mem_, [this](error_code ec) { on_connect(ec); }));
}

void connection::on_connect(error_code ec) {
  if (ec == asio::error::operation_aborted)
    return go_idle(); // closed by abort() at the drain timeout
  if (ec) {
    w_.note_error("connect", ec);
    if (w_.stopping())
      return go_idle();
    timer_.expires_after(std::chrono::milliseconds(100));
    timer_.async_wait(bind_memory(wait_mem_, [this](error_code ec) {
      if (ec == asio::error::operation_aborted || w_.stopping())
        return go_idle();
      connect();
    }));
    return;
  }
  error_code ignored;
  sock_.set_option(tcp::no_delay{true}, ignored);
  if (s_.plan.opt->arrival_times) {
    int on = 1;
    if (::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0)
      w_.note_error("SO_TIMESTAMPNS", error_code(errno, boost::system::system_category()));
  }
  next();
}

void connection::next() {
  if (w_.stopping())
    return go_idle();
  const auto& o = *s_.plan.opt;
  if (o.requests > 0 && s_.issued.fetch_add(1, std::memory_order_relaxed) >= o.requests)
    return go_idle();
  if (o.rate > 0) {
    // Open loop: request k of connection i is due at t0 + (i + k * C) / R,
    // so the connections together send R requests per second, evenly spaced.
    double due_s = (index_ + static_cast<double>(paced_++) * o.connections) / o.rate;
    auto due =
      s_.t0
      + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(due_s));
    if (due > clock_type::now())
      return w_.schedule(this, due);
    // Late (the previous answer took longer than the interval): send now,
    // and count the latency from when it was due, so a slow server is not
    // hidden by the client waiting for it (coordinated omission).
    ++w_.result.sent_late;
    return send(due);
  }
  send(clock_type::now());
}

void connection::paced(clock_type::time_point due, bool go) {
  if (!go || w_.stopping())
    return go_idle();
  // Released a little early (the pacer releases what is due within its
  // window): count from the actual send, or an answer faster than the
  // window would come back before its start (a negative latency). Released
  // late: count from when it was due, as next() does.
  const auto now = clock_type::now();
  w_.result.send_lag.record(
    now > due ? static_cast<std::uint64_t>(std::chrono::nanoseconds(now - due).count()) : 0);
  send(std::min(due, now));
}

std::uint32_t connection::pick_token() {
  const auto& o = *s_.plan.opt;
  const auto& set = *s_.plan.tokens;
  if (o.scen == scenario::mixed) {
    auto invalid = set.tokens.size() - set.minted;
    double u = static_cast<double>(random() >> 11) * 0x1.0p-53;
    if (invalid > 0 && u < o.invalid_share)
      return static_cast<std::uint32_t>(set.minted + random() % invalid);
    return static_cast<std::uint32_t>(random() % set.minted);
  }
  // Round robin over every token: connection i takes tokens i, i + C, …
  auto t = static_cast<std::uint32_t>(token_cursor_);
  token_cursor_ = (token_cursor_ + o.connections) % set.minted;
  return t;
}

void connection::send(clock_type::time_point started) {
  const auto& l = s_.layout;
  auto& r = w_.result;
  auto tok = pick_token();
  if (tok != last_token_) {
    std::memcpy(req_.data() + l.token_at, s_.plan.tokens->tokens[tok].secret.data(), l.token_len);
    last_token_ = tok;
  }
  cur_req_ = next_req_++;
  char digits[req_digits];
  write_fixed(digits, cur_req_, req_digits);
  for (auto at : l.seq_at)
    std::memcpy(req_.data() + at + conn_digits + 2, digits, req_digits);
  cur_token_ = tok;
  cur_start_ = started;
  failed_ = false;
  parser_.emplace();
  parser_->body_limit(1 << 20);
  // Read right before the bytes go out: when the flag is already set, the
  // revoke call returned before this request was sent.
  cur_after_revoke_ = s_.plan.revoked && s_.plan.revoked[tok].load(std::memory_order_acquire);
  if (cur_after_revoke_)
    ++r.sent_after_revoke;
  ++r.requests_sent;
  r.bytes_sent += req_.size();
  pending_ = 2;
  asio::async_write(
    sock_, asio::buffer(req_),
    bind_memory(write_mem_, [this](error_code ec, std::size_t) { on_io(ec, "write"); }));
  auto on_read = bind_memory(read_mem_, [this](error_code ec, std::size_t) { on_io(ec, "read"); });
  if (s_.plan.opt->arrival_times) {
    arrived_.reset();
    http::async_read(reader_, buf_, *parser_, std::move(on_read));
  } else {
    http::async_read(sock_, buf_, *parser_, std::move(on_read));
  }
}

void connection::on_io(error_code ec, const char* what) {
  --pending_;
  if (ec == asio::error::operation_aborted) {
    // Our own close: abort() at the drain timeout, or the other half of this
    // request failed first. Either way the request has no answer.
    failed_ = true;
  } else if (ec && !failed_) {
    failed_ = true;
    w_.note_error(what, ec);
    error_code ignored;
    sock_.close(ignored); // ends the other half at once
  }
  if (pending_ > 0)
    return;
  if (failed_)
    return failed();
  complete();
}

void connection::complete() {
  const auto& o = *s_.plan.opt;
  auto now = clock_type::now();
  auto& r = w_.result;
  auto& p = *parser_;
  auto latency_ns = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(now - cur_start_).count());
  r.latency.record(latency_ns);
  if (o.arrival_times) {
    if (arrived_) {
      // An answer arrives after its request was sent and before it is read.
      // Carrying the stamp over to the steady clock reads two clocks one
      // after the other, so it may land a little outside: within the slack
      // it is clamped; further out, the stamps are wrong.
      constexpr std::int64_t slack_ns = 50'000;
      const auto latency = static_cast<std::int64_t>(latency_ns);
      const auto arrival = static_cast<std::int64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(*arrived_ - cur_start_).count());
      if (arrival < -slack_ns || arrival > latency + slack_ns)
        ++r.misstamped;
      r.arrival.record(static_cast<std::uint64_t>(std::clamp<std::int64_t>(arrival, 0, latency)));
    } else {
      ++r.unstamped;
    }
  }
  if (!o.timeline.empty())
    w_.note_timeline(now, latency_ns);
  ++r.responses;
  w_.last_answer = now;
  unsigned status = p.status > 0 && p.status < 600 ? static_cast<unsigned>(p.status) : 599;
  ++r.statuses[status];
  auto& cc = r.by_class[static_cast<std::size_t>(s_.plan.tokens->tokens[cur_token_].cls)];
  ++cc.requests;
  // OTLP/HTTP answers a successful export 200, with an
  // ExportLogsServiceResponse that is empty unless records were rejected.
  const bool otlp = is_otlp(o.scen);
  if (status == (otlp ? 200u : 202u)) {
    ++cc.accepted;
    if (cur_after_revoke_)
      ++r.accepted_after_revoke;
    long accepted = otlp ? static_cast<long>(o.batch) : p.accepted();
    if (otlp) {
      auto partial = read_otlp_response(o.scen == scenario::otlp_proto ? otlp_encoding::protobuf
                                                                       : otlp_encoding::json,
                                        p.body_text(), p.truncated);
      if (partial.present) {
        ++r.otlp_partial;
        if (partial.rejected > 0)
          r.otlp_rejected += static_cast<std::uint64_t>(partial.rejected);
        if (r.otlp_first_error.empty())
          r.otlp_first_error = partial.message.empty() ? "(no errorMessage)" : partial.message;
        // Which records were rejected is not said: the request is ambiguous
        // unless none were.
        accepted =
          partial.rejected < 0 ? -1 : std::max(0L, static_cast<long>(o.batch) - partial.rejected);
      }
    }
    if (accepted > 0)
      r.messages_acked += static_cast<std::uint64_t>(accepted);
    sent_request sr{seq_key(index_, cur_req_, 0), cur_token_, o.batch};
    if (p.sampled) {
      ++r.sampled; // acknowledged, but 1 in N of these is not stored
      r.ambiguous.push_back(sr);
    } else if (accepted != static_cast<long>(o.batch)) {
      ++r.partial_acks;
      r.ambiguous.push_back(sr);
    } else {
      r.acked.push_back(sr);
    }
  } else if (status == 401) {
    ++cc.unauthorized;
  } else if (status == 429) {
    ++cc.rate_limited;
  } else {
    ++cc.other;
  }
  bool keep = p.keep_alive();
  parser_.reset();
  if (!keep) {
    ++r.reconnects;
    if (w_.stopping())
      return go_idle();
    return connect();
  }
  next();
}

void connection::failed() {
  const auto& o = *s_.plan.opt;
  auto& r = w_.result;
  ++r.statuses[0];
  auto& cc = r.by_class[static_cast<std::size_t>(s_.plan.tokens->tokens[cur_token_].cls)];
  ++cc.requests;
  ++cc.other;
  // Sent but unanswered: the server may or may not have stored it.
  r.ambiguous.push_back({seq_key(index_, cur_req_, 0), cur_token_, o.batch});
  parser_.reset();
  buf_.clear();
  if (w_.stopping() || w_.aborted())
    return go_idle();
  ++r.reconnects;
  // A short pause, so a server that drops every request does not turn the
  // client into a busy loop.
  timer_.expires_after(std::chrono::milliseconds(10));
  timer_.async_wait(bind_memory(wait_mem_, [this](error_code ec) {
    if (ec == asio::error::operation_aborted || w_.stopping())
      return go_idle();
    connect();
  }));
}

void connection::go_idle() {
  if (idle_)
    return;
  idle_ = true;
  error_code ignored;
  sock_.close(ignored);
  timer_.cancel();
  w_.connection_done();
}

} // namespace

struct load_driver::impl {
  shared_state shared;
  std::vector<std::unique_ptr<worker>> workers;
  std::vector<std::thread> threads;
};

load_driver::load_driver(load_plan plan) : impl_(std::make_unique<impl>()) {
  impl_->shared.plan = std::move(plan);
}

load_driver::~load_driver() {
  for (auto& t : impl_->threads)
    if (t.joinable())
      t.join();
}

clock_type::time_point load_driver::start() {
  auto& s = impl_->shared;
  const auto& o = *s.plan.opt;
  const auto& set = *s.plan.tokens;
  if (set.minted == 0)
    throw std::runtime_error("no tokens to send with");
  // The token is patched in place: every secret must have the same length.
  for (const auto& t : set.tokens)
    if (t.secret.size() != set.tokens[0].secret.size())
      throw std::runtime_error("secrets of different lengths (" + t.id + ")");
  s.layout = make_layout(o, s.plan.run_id, set.tokens[0].secret);
  {
    asio::io_context io;
    tcp::resolver resolver{io};
    auto found = resolver.resolve(o.ingest.host, std::to_string(o.ingest.port));
    if (found.empty())
      throw std::runtime_error("cannot resolve " + o.ingest.host);
    s.target = found.begin()->endpoint();
  }
  std::vector<std::vector<std::uint32_t>> split(o.threads);
  for (std::uint32_t c = 0; c < o.connections; ++c)
    split[c % o.threads].push_back(c);
  for (auto& part : split)
    impl_->workers.push_back(std::make_unique<worker>(s, std::move(part)));
  s.t0 = clock_type::now();
  for (auto& w : impl_->workers)
    impl_->threads.emplace_back([w = w.get()] { w->run(); });
  return s.t0;
}

load_result load_driver::wait() {
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  const auto& s = impl_->shared;
  load_result out;
  clock_type::time_point last = s.t0;
  for (auto& w : impl_->workers) {
    auto& r = w->result;
    out.latency.merge(r.latency);
    out.send_lag.merge(r.send_lag);
    out.arrival.merge(r.arrival);
    out.unstamped += r.unstamped;
    out.misstamped += r.misstamped;
    out.sent_late += r.sent_late;
    for (std::size_t i = 0; i < out.statuses.size(); ++i)
      out.statuses[i] += r.statuses[i];
    out.requests_sent += r.requests_sent;
    out.responses += r.responses;
    out.messages_acked += r.messages_acked;
    out.bytes_sent += r.bytes_sent;
    out.reconnects += r.reconnects;
    out.sampled += r.sampled;
    out.partial_acks += r.partial_acks;
    out.otlp_partial += r.otlp_partial;
    out.otlp_rejected += r.otlp_rejected;
    if (out.otlp_first_error.empty())
      out.otlp_first_error = r.otlp_first_error;
    out.sent_after_revoke += r.sent_after_revoke;
    out.accepted_after_revoke += r.accepted_after_revoke;
    for (std::size_t c = 0; c < token_class_count; ++c) {
      auto& a = out.by_class[c];
      const auto& b = r.by_class[c];
      a.requests += b.requests;
      a.accepted += b.accepted;
      a.unauthorized += b.unauthorized;
      a.rate_limited += b.rate_limited;
      a.other += b.other;
    }
    if (out.timeline.size() < r.timeline.size())
      out.timeline.resize(r.timeline.size());
    for (std::size_t k = 0; k < r.timeline.size(); ++k) {
      out.timeline[k].answers += r.timeline[k].answers;
      out.timeline[k].max_ns = std::max(out.timeline[k].max_ns, r.timeline[k].max_ns);
    }
    out.acked.insert(out.acked.end(), r.acked.begin(), r.acked.end());
    out.ambiguous.insert(out.ambiguous.end(), r.ambiguous.begin(), r.ambiguous.end());
    for (auto& [k, n] : r.errors)
      out.errors[k] += n;
    last = std::max(last, w->last_answer);
  }
  if (out.responses == 0)
    last = clock_type::now();
  // Slots past the last answer (the vectors grow by doubling) say nothing.
  while (!out.timeline.empty() && out.timeline.back().answers == 0)
    out.timeline.pop_back();
  out.elapsed_s = std::chrono::duration<double>(last - s.t0).count();
  out.request_bytes = s.layout.bytes.size();
  out.body_bytes = s.layout.body_bytes;
  out.message_bytes = s.layout.message_bytes;
  impl_->workers.clear();
  return out;
}

std::string make_run_id() {
  static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::random_device rd;
  std::string out(run_id_chars, '0');
  for (auto& c : out)
    c = alphabet[rd() % 36];
  return out;
}

} // namespace sluice::bench
