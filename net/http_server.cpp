// HTTP/1.1 server on Boost.Asio / Beast 1.74: accepting connections and the
// server's life cycle (start, stop_accepting, drain, stop).
//
// Shape (see http_server.hpp for the contract, server_core.hpp for the
// lifetimes):
//   * `threads` io_contexts, one thread each. One acceptor on context 0 hands
//     each accepted socket to the contexts round-robin; a connection then lives
//     on that one context for its whole life, so its state needs no locks.
//   * A connection (net/connection.cpp) reads requests with the server's
//     parser (net/request_parser.cpp), hands them to the request_handler one
//     at a time, and writes the answers.

#include "net/http_server.hpp"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <latch>
#include <mutex>
#include <system_error>
#include <thread>

#include "net/log.hpp"
#include "net/server_core.hpp"
#include "net/tls_context.hpp"

namespace sluice::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace http_detail {

/// Pause before accepting again after running out of descriptors.
constexpr std::chrono::milliseconds accept_retry_delay{50};

void log_line(const server_options& o, std::string_view peer, std::string_view what,
              const beast::error_code& ec) {
  const auto error = ec.message();
  if (peer.empty())
    log::warn("http I/O failed", {{"server", o.name}, {"op", what}, {"error", error}});
  else
    log::warn("http I/O failed",
              {{"server", o.name}, {"op", what}, {"client", peer}, {"error", error}});
}

server_core::server_core(server_options o, request_handler& h) : opts(std::move(o)), handler(&h) {
  const unsigned n = std::max(1u, opts.threads); // threads = 0 means 1
  slots.reserve(n);
  for (unsigned i = 0; i < n; ++i)
    slots.push_back(std::make_unique<io_slot>());
  sweep_interval = std::clamp(std::min(opts.idle_timeout, opts.request_timeout) / 8,
                              std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
  acceptor.emplace(slots[0]->ctx);
  accept_timer.emplace(slots[0]->ctx);
}

server_core::~server_core() {
  // The acceptor and timer belong to slots[0]: destroy them first.
  accept_timer.reset();
  acceptor.reset();
}

} // namespace http_detail

using namespace http_detail;

// ---------------------------------------------------------------------------
// http_request / responder

std::string_view http_request::header(std::string_view name) const noexcept {
  for (const auto& f : headers)
    if (beast::iequals(f.name, name))
      return f.value;
  return {};
}

void responder::send(http_response&& r) const {
  if (conn_)
    conn_->deliver(std::move(r));
}

void responder::send(ingest_reply&& reply, ingest_formatter format) && {
  if (conn_)
    connection::deliver(std::move(conn_), {std::move(reply), format});
}

// ---------------------------------------------------------------------------
// server_core: accepting

void server_core::do_accept() {
  if (draining.load(std::memory_order_acquire) || !acceptor->is_open())
    return;
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
  if (ec == asio::error::operation_aborted)
    return;
  if (ec) {
    if (draining.load(std::memory_order_acquire))
      return;
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space
        || ec == asio::error::no_memory
        || ec == boost::system::errc::too_many_files_open_in_system) {
      // Out of resources: back off instead of spinning on the error.
      log_line(opts, {}, "accept", ec);
      accept_timer->expires_after(accept_retry_delay);
      accept_timer->async_wait([this](beast::error_code e) {
        if (!e)
          do_accept();
      });
      return;
    }
    if (ec != asio::error::connection_aborted)
      log_line(opts, {}, "accept", ec);
    return do_accept();
  }

  beast::error_code ignored;
  s.set_option(tcp::no_delay(true), ignored);
  try {
    auto tls = opts.tls.enabled ? tls_context() : nullptr;
    auto c = tls ? make_tls_connection(shared_from_this(), slot, std::move(s), std::move(tls))
                 : make_plain_connection(shared_from_this(), slot, std::move(s));
    open.fetch_add(1, std::memory_order_seq_cst); // connection_closed() balances it
    asio::post(slot.ctx, [c = std::move(c)] { c->start(); });
  } catch (const std::exception& e) {
    log::error("http accept failed", {{"server", opts.name}, {"error", e.what()}});
  }

  // max_connections: stop accepting (new clients wait in the kernel's listen
  // backlog) until a connection closes. Chosen over accept-and-close because
  // it sheds nothing: a brief overload becomes latency, not errors. Pause
  // first, then re-check: connection_closed() decrements first, then checks
  // the flag, so one of the two always sees the other (both seq_cst).
  if (open.load(std::memory_order_seq_cst) >= opts.max_connections) {
    accept_paused.store(true, std::memory_order_seq_cst);
    if (open.load(std::memory_order_seq_cst) >= opts.max_connections
        || !accept_paused.exchange(false, std::memory_order_seq_cst))
      return;
  }
  do_accept();
}

void server_core::connection_closed() {
  const auto now_open = open.fetch_sub(1, std::memory_order_seq_cst) - 1;
  if (now_open < opts.max_connections && accept_paused.load(std::memory_order_seq_cst)
      && accept_paused.exchange(false, std::memory_order_seq_cst))
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
  if (!ec)
    return {addr, o.port};
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
    throw std::system_error(std::error_code(ec), std::string("http_server: ") + what + " " + o.host
                                                   + ":" + std::to_string(o.port));
}

} // namespace

http_server::http_server(server_options opts, request_handler& handler)
    : impl_(std::make_unique<impl>()) {
  impl_->core = std::make_shared<server_core>(std::move(opts), handler);
  auto& core = *impl_->core;
  if (core.opts.tls.enabled)
    core.set_tls_context(make_tls_context(core.opts.tls));
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

bool http_server::reload_tls(std::string& error) {
  auto& core = *impl_->core;
  if (!core.opts.tls.enabled)
    return true;
  try {
    core.set_tls_context(make_tls_context(core.opts.tls));
  } catch (const std::exception& e) {
    error = e.what();
    log::error("TLS reload failed, keeping the current certificate",
               {{"server", core.opts.name}, {"error", error}});
    return false;
  }
  log::info("TLS certificate and key reloaded", {{"server", core.opts.name},
                                                 {"cert_file", core.opts.tls.cert_file},
                                                 {"key_file", core.opts.tls.key_file}});
  std::fflush(stdout);
  return true;
}

std::size_t http_server::open_connections() const noexcept {
  return impl_->core->open.load(std::memory_order_relaxed);
}

void http_server::start() {
  std::lock_guard lock(impl_->mu);
  if (impl_->started || impl_->stopped)
    return;
  impl_->started = true;
  auto core = impl_->core;
  impl_->threads.reserve(core->slots.size());
  for (auto& slot : core->slots) {
    impl_->threads.emplace_back([&ctx = slot->ctx, name = core->opts.name] {
      // "ingest-io", "admin-io": what top -H and perf show (15 bytes at most).
      ::pthread_setname_np(::pthread_self(), (name + "-io").substr(0, 15).c_str());
      // A throwing handler must not take the whole I/O thread down.
      for (;;) {
        try {
          ctx.run();
          return;
        } catch (const std::exception& e) {
          log::error("http I/O thread caught an exception",
                     {{"server", name}, {"error", e.what()}});
        }
      }
    });
  }
  asio::post(core->slots[0]->ctx, [c = core.get()] { c->do_accept(); });
  for (auto& slot : core->slots)
    asio::post(slot->ctx, [s = slot.get(), every = core->sweep_interval] {
      s->sweeping = true;
      s->sweep(every);
    });
  // HOST:PORT, an IPv6 host in brackets ([::]:8080) so that the port is
  // what follows the last colon either way.
  const bool v6 = core->opts.host.find(':') != std::string::npos;
  std::printf("%s listening on %s%s%s:%u%s\n", core->opts.name.c_str(), v6 ? "[" : "",
              core->opts.host.c_str(), v6 ? "]" : "", static_cast<unsigned>(core->port),
              core->opts.tls.enabled ? " (TLS)" : "");
  std::fflush(stdout);
}

void http_server::stop_accepting() {
  auto& core = *impl_->core;
  if (core.draining.exchange(true, std::memory_order_acq_rel))
    return;
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
        if (i < s->conns.size() && s->conns[i]->idle())
          s->conns[i]->close();
    });
  }
}

bool http_server::drain(std::chrono::milliseconds timeout) {
  // Polls: drain runs once per shutdown, and a condition variable would cost
  // the hot path a notify check on every response.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto& core = *impl_->core;
  for (;;) {
    if (core.in_flight.load(std::memory_order_acquire) == 0
        && core.busy.load(std::memory_order_acquire) == 0)
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void http_server::stop() {
  // It joins the I/O threads, so it cannot run on one (e.g. inside handle()):
  // fail loudly rather than deadlock.
  for (const auto& slot : impl_->core->slots)
    if (slot->ctx.get_executor().running_in_this_thread() && !impl_->stopped) {
      log::error("http_server::stop() called on an I/O thread",
                 {{"server", impl_->core->opts.name}});
      std::abort();
    }
  std::lock_guard lock(impl_->mu);
  if (impl_->stopped)
    return;
  impl_->stopped = true;
  auto& core = *impl_->core;
  core.draining.store(true, std::memory_order_seq_cst);
  core.stopping.store(true, std::memory_order_seq_cst);

  auto close_all = [](io_slot& s) {
    s.sweeping = false;
    s.sweeper.cancel();
    while (!s.conns.empty())
      s.conns.back()->close();
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
    // already between its check and its post (server_core::post_unless_stopped).
    core.stopped.store(true, std::memory_order_seq_cst);
    while (core.senders.load(std::memory_order_seq_cst) != 0)
      std::this_thread::yield();
    for (auto& slot : core.slots) {
      slot->guard.reset();
      slot->ctx.stop();
    }
    for (auto& t : impl_->threads)
      t.join();
    impl_->threads.clear();
  } else {
    beast::error_code ec;
    core.acceptor->close(ec);
    core.stopped.store(true, std::memory_order_seq_cst);
    for (auto& slot : core.slots)
      slot->guard.reset();
  }
  // The threads are gone: run what is still queued (aborted completions,
  // late start()s and responses) here, so no handler holding a connection
  // (and through it the core) stays queued in a context nobody runs.
  for (bool again = true; again;) {
    again = false;
    for (auto& slot : core.slots) {
      slot->ctx.restart();
      if (slot->ctx.poll() != 0)
        again = true;
      close_all(*slot);
    }
  }
  // Answers that came after the last poll have nowhere to go.
  for (auto& slot : core.slots) {
    std::lock_guard lock(slot->answers_mu);
    slot->answers.clear();
  }
}

} // namespace sluice::net
