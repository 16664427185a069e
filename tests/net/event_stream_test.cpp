// Streamed responses (net/event_stream.hpp) through the real http_server,
// seen from a raw loopback client: chunked framing, keep-alive comments, the
// end a source asks for, a clean end when the server drains, and the source
// released once the client goes.

#include "net/event_stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "net/http_server.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace sluice::net;

namespace {

std::atomic<int> live_sources{0};

/// Hands out the batches queued with push(), one per poll (an empty batch
/// when none is queued), answering from the polling thread itself.
class scripted_source final : public event_source {
public:
  scripted_source() { ++live_sources; }
  ~scripted_source() override { --live_sources; }

  void poll(std::function<void(stream_batch&&)> done) override {
    ++polls;
    stream_batch b;
    {
      std::lock_guard lock(mu_);
      if (!queue_.empty()) {
        b = std::move(queue_.front());
        queue_.pop_front();
      }
    }
    done(std::move(b));
  }

  void push(std::string events, bool end = false) {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(events), false, end});
  }

  std::atomic<int> polls{0};

private:
  std::mutex mu_;
  std::deque<stream_batch> queue_;
};

/// Answers every request with a stream of the one source.
class stream_handler final : public request_handler {
public:
  explicit stream_handler(stream_settings s) : settings_(s) {}

  void handle(const http_request&, responder res) override {
    auto src = std::make_shared<scripted_source>();
    src->settings = settings_;
    {
      std::lock_guard lock(mu_);
      source_ = src;
    }
    http_response r;
    r.content_type = "text/event-stream";
    r.typed_when_empty = true;
    r.stream = std::move(src);
    res.send(std::move(r));
  }

  http_response refusal(unsigned status, std::string_view why) override {
    return http_response{status, "text/plain", std::string(why), {}, {}};
  }

  /// The source of the last stream (kept weakly: the stream owns it).
  std::shared_ptr<scripted_source> source() {
    std::lock_guard lock(mu_);
    return source_.lock();
  }

private:
  stream_settings settings_;
  std::mutex mu_;
  std::weak_ptr<scripted_source> source_;
};

/// Reads one streamed response: the head, then the chunked body.
class stream_client {
public:
  explicit stream_client(std::uint16_t port) : sock_(io_) {
    sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    timeval tv{5, 0};
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string req = "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n";
    asio::write(sock_, asio::buffer(req));
    while (raw_.find("\r\n\r\n") == std::string::npos)
      BOOST_REQUIRE(more());
    auto end = raw_.find("\r\n\r\n");
    head = raw_.substr(0, end + 2);
    raw_.erase(0, end + 4);
  }

  /// Body text until it contains `text` (true), or the stream ends or 5 s
  /// pass (false).
  bool read_until(const std::string& text) {
    for (;;) {
      decode();
      if (body.find(text) != std::string::npos)
        return true;
      if (ended || !more())
        return false;
    }
  }

  /// Reads until the connection closes; true when the body ended with its
  /// terminating chunk before that.
  bool read_to_close() {
    while (more())
      decode();
    decode();
    return ended;
  }

  void close() { sock_.close(); }

  std::string head;
  std::string body;   ///< de-chunked
  bool ended = false; ///< the terminating chunk came

private:
  bool more() {
    char tmp[4096];
    boost::system::error_code ec;
    auto n = sock_.read_some(asio::buffer(tmp), ec);
    if (ec)
      return false;
    raw_.append(tmp, n);
    return true;
  }

  void decode() {
    for (;;) {
      auto eol = raw_.find("\r\n");
      if (eol == std::string::npos || ended)
        return;
      auto size = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (raw_.size() < eol + 2 + size + 2)
        return;
      BOOST_REQUIRE(raw_.compare(eol + 2 + size, 2, "\r\n") == 0);
      if (size == 0)
        ended = true;
      body += raw_.substr(eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
    }
  }

  asio::io_context io_;
  tcp::socket sock_;
  std::string raw_;
};

server_options options() {
  server_options o;
  o.name = "test";
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 1;
  return o;
}

stream_settings fast(std::chrono::milliseconds keepalive = 60s) {
  stream_settings s;
  s.poll_interval = 20ms;
  s.keepalive = keepalive;
  return s;
}

template <class F>
bool eventually(F f) {
  for (int i = 0; i < 250; ++i) {
    if (f())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_stream_suite)

BOOST_AUTO_TEST_CASE(events_are_sent_chunked_and_the_source_ends_the_stream) {
  stream_handler h(fast());
  http_server server(options(), h);
  server.start();
  stream_client c(server.port());
  BOOST_TEST(c.head.find("HTTP/1.1 200 OK\r\n") == 0u);
  BOOST_TEST(c.head.find("Content-Type: text/event-stream\r\n") != std::string::npos);
  BOOST_TEST(c.head.find("Transfer-Encoding: chunked\r\n") != std::string::npos);
  BOOST_TEST(c.head.find("Content-Length") == std::string::npos);

  std::shared_ptr<scripted_source> src;
  BOOST_REQUIRE(eventually([&] { return (src = h.source()) != nullptr; }));
  src->push("id: 1\nevent: message\ndata: {\"a\":1}\n\n");
  BOOST_TEST(c.read_until("data: {\"a\":1}\n\n"));
  src->push("id: 2\nevent: message\ndata: {\"a\":2}\n\n", true);
  src.reset();
  BOOST_TEST(c.read_to_close());
  BOOST_TEST(c.body
             == "id: 1\nevent: message\ndata: {\"a\":1}\n\n"
                "id: 2\nevent: message\ndata: {\"a\":2}\n\n");
  BOOST_TEST(eventually([] { return live_sources.load() == 0; }));
  server.stop();
}

BOOST_AUTO_TEST_CASE(keep_alive_comments_when_idle) {
  stream_handler h(fast(100ms));
  http_server server(options(), h);
  server.start();
  stream_client c(server.port());
  BOOST_TEST(c.read_until(": keep-alive\n\n: keep-alive\n\n"));
  server.stop();
}

BOOST_AUTO_TEST_CASE(draining_ends_the_stream_cleanly_and_drain_waits_for_it) {
  stream_handler h(fast());
  http_server server(options(), h);
  server.start();
  stream_client c(server.port());
  std::shared_ptr<scripted_source> src;
  BOOST_REQUIRE(eventually([&] { return (src = h.source()) != nullptr; }));
  const int before = src->polls.load();
  BOOST_TEST(eventually([&] { return src->polls.load() > before + 2; })); // it polls on
  src.reset();
  server.stop_accepting();
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(server.drain(5s));
  const bool prompt = std::chrono::steady_clock::now() - t0 < 2s;
  BOOST_TEST(prompt);
  BOOST_TEST(c.read_to_close()); // the terminating chunk came before the close
  server.stop();
}

BOOST_AUTO_TEST_CASE(a_client_that_goes_releases_the_source) {
  stream_handler h(fast());
  http_server server(options(), h);
  server.start();
  {
    stream_client c(server.port());
    BOOST_REQUIRE(eventually([&] { return h.source() != nullptr; }));
    BOOST_TEST(live_sources.load() == 1);
    c.close();
  }
  BOOST_TEST(eventually([] { return live_sources.load() == 0; }));
  BOOST_TEST(eventually([&] { return server.open_connections() == 0; }));
  server.stop();
}

BOOST_AUTO_TEST_SUITE_END()
