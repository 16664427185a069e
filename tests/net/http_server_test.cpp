// http_server, seen from a client: raw bytes over loopback TCP, so the tests
// control framing exactly (pipelining, garbage, chunking) and assert what a
// client would see. No Beast here: it would double this file's compile time.

#include "net/http_server.hpp"

#include "net/gateway.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>

#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace sluice::net;

namespace {

/// Echoes the request as JSON-ish text. "/later", "/twice", "/hold" and
/// "/handover" are answered from another std::thread: "/later" at once,
/// "/twice" at once and then again with a 500 (which must be ignored),
/// "/hold" when release() is called, "/handover" at once with a reply that
/// the connection's thread turns into the response (as the storage actor
/// answers ingest), handing over the responder's reference. "/empty"
/// answers 204.
class test_handler final : public request_handler {
public:
  test_handler() : worker_([this] { run(); }) {}
  ~test_handler() override {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void handle(const http_request& req, responder res) override {
    http_response r;
    r.status = 200;
    r.content_type = "application/json";
    r.body = "{\"method\":\"" + std::string(req.method_text) + "\",\"path\":\""
             + std::string(req.path) + "\",\"query\":\"" + std::string(req.query)
             + "\",\"x-test\":\"" + std::string(req.header("X-Test")) + "\",\"body\":\""
             + std::string(req.body) + "\"}";
    r.headers.emplace_back("X-Echo-Headers", std::to_string(req.headers.size()));
    if (req.path == "/empty") {
      res.send(http_response{204, "application/json", "", {}, {}});
    } else if (req.path == "/later" || req.path == "/twice" || req.path == "/hold"
               || req.path == "/handover") {
      std::lock_guard lock(mu_);
      queue_.push_back({std::move(res), std::move(r), req.path == "/hold", req.path == "/twice",
                        req.path == "/handover"});
      cv_.notify_all();
    } else {
      res.send(std::move(r));
    }
  }

  /// "/refused-early" is refused on its header alone (a token check would).
  std::optional<http_response> answer_before_body(const http_request& head) override {
    if (head.path != "/refused-early")
      return std::nullopt;
    ++early_answers;
    return http_response{401, "application/json", "{\"early\":true}", {}, {}};
  }

  http_response refusal(unsigned status, std::string_view why) override {
    ++refusals;
    return http_response{status, "text/plain", "refused: " + std::string(why), {}, {}};
  }

  /// Lets the worker thread answer the held requests.
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  std::atomic<int> refusals{0};
  std::atomic<int> early_answers{0};
  /// "/twice" answers whose second send has been made.
  std::atomic<int> second_sends{0};
  /// "/handover" answers about to be sent, and how many of their responses
  /// were built on the thread that sent them (should be none).
  std::atomic<int> handovers{0};
  static inline std::atomic<int> built_on_sender{0};

private:
  struct job {
    responder res;
    http_response r;
    bool hold;
    bool twice;
    bool handover = false;
  };

  /// "/handover"'s formatter: runs on the connection's thread.
  static void accepted_response(sluice::ingest_reply&& reply, http_response& into) {
    if (std::this_thread::get_id() == sender_id)
      ++built_on_sender;
    into.status = 202;
    into.content_type = "application/json";
    into.body = "{\"accepted\":" + std::to_string(reply.accepted) + "}";
  }
  static inline std::atomic<std::thread::id> sender_id{};

  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] {
        if (quit_)
          return true;
        for (auto& j : queue_)
          if (!j.hold || released_)
            return true;
        return false;
      });
      if (quit_)
        return;
      for (auto it = queue_.begin(); it != queue_.end();) {
        if (it->hold && !released_) {
          ++it;
          continue;
        }
        job j = std::move(*it);
        it = queue_.erase(it);
        lock.unlock();
        if (j.handover) {
          sender_id = std::this_thread::get_id();
          sluice::ingest_reply reply;
          reply.accepted = 7;
          ++handovers;
          std::move(j.res).send(std::move(reply), &accepted_response);
        } else {
          j.res.send(std::move(j.r)); // from this foreign thread
          if (j.twice) {
            j.res.send(http_response{500, "text/plain", "second send ignored", {}, {}});
            ++second_sends;
          }
        }
        lock.lock();
      }
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<job> queue_;
  bool released_ = false;
  bool quit_ = false;
  std::thread worker_;
};

struct response {
  unsigned status = 0;
  std::string status_line;
  std::map<std::string, std::string> headers; // lower-case names
  std::string body;
  bool has(const std::string& name) const { return headers.count(name) != 0; }
  std::string get(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return s;
}

/// A blocking HTTP/1.1 client over one TCP connection; reads every response
/// by its Content-Length (no body for HEAD, 1xx, 204, 304).
class client {
public:
  explicit client(std::uint16_t port) : sock_(io_) {
    sock_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    // A test that hangs would be worse than one that fails.
    timeval tv{5, 0};
    ::setsockopt(sock_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void write(const std::string& bytes) { asio::write(sock_, asio::buffer(bytes)); }

  response read_response(bool head = false) {
    response r;
    const auto end = read_until("\r\n\r\n");
    const std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t pos = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, pos);
    BOOST_REQUIRE_MESSAGE(status_line.rfind("HTTP/1.1 ", 0) == 0, "status line: " + status_line);
    r.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
    r.status_line = status_line;
    while (pos != std::string::npos) {
      const std::size_t next = head_text.find("\r\n", pos + 2);
      const std::string line =
        head_text.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
      pos = next;
      const auto colon = line.find(':');
      if (colon == std::string::npos)
        continue;
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ')
        value.erase(0, 1);
      r.headers[lower(line.substr(0, colon))] = value;
    }
    const bool no_body = head || r.status < 200 || r.status == 204 || r.status == 304;
    if (!no_body && r.has("content-length")) {
      const auto n = std::stoul(r.get("content-length"));
      fill(n);
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
    }
    return r;
  }

  /// True when the server closed the connection (EOF or reset) with no
  /// further bytes.
  bool closed_by_server() {
    if (!buf_.empty())
      return false;
    char c;
    boost::system::error_code ec;
    const auto n = sock_.read_some(asio::buffer(&c, 1), ec);
    return n == 0 && (ec == asio::error::eof || ec == asio::error::connection_reset);
  }

  /// True when bytes arrive within `wait`.
  bool readable_within(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!buf_.empty() || sock_.available() > 0)
        return true;
      std::this_thread::sleep_for(5ms);
    }
    return false;
  }

  const std::string& buffered() const { return buf_; }

private:
  std::size_t read_until(const std::string& delim) {
    for (;;) {
      const auto p = buf_.find(delim);
      if (p != std::string::npos)
        return p;
      more();
    }
  }
  void fill(std::size_t n) {
    while (buf_.size() < n)
      more();
  }
  void more() {
    char tmp[4096];
    boost::system::error_code ec;
    const auto n = sock_.read_some(asio::buffer(tmp), ec);
    if (ec)
      throw boost::system::system_error(ec, "client read");
    buf_.append(tmp, n);
  }

  asio::io_context io_;
  tcp::socket sock_;
  std::string buf_;
};

server_options test_options() {
  server_options o;
  o.name = "test";
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  o.max_request_bytes = 1024;
  o.max_header_bytes = 2048;
  return o;
}

/// A started server with its handler.
struct fixture {
  explicit fixture(server_options o = test_options()) : server(std::move(o), handler) {
    server.start();
  }
  test_handler handler;
  http_server server;
};

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_server_suite)

BOOST_AUTO_TEST_CASE(port_zero_gives_a_real_port) {
  fixture f;
  BOOST_TEST(f.server.port() != 0);
  BOOST_TEST(f.server.options().name == "test");
  client c(f.server.port());
  c.write(get("/"));
  BOOST_TEST(c.read_response().status == 200u);
}

BOOST_AUTO_TEST_CASE(bind_failure_throws_system_error) {
  fixture f;
  auto o = test_options();
  o.port = f.server.port();
  test_handler h;
  // The port is taken (reuse_address does not allow two listeners).
  BOOST_CHECK_THROW(http_server(o, h), std::system_error);
}

BOOST_AUTO_TEST_CASE(keep_alive_serves_several_requests_on_one_connection) {
  fixture f;
  client c(f.server.port());
  for (int i = 0; i < 5; ++i) {
    c.write(
      get("/items/" + std::to_string(i) + "?a=1&b=%20x", "X-Test: v" + std::to_string(i) + "\r\n"));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.get("content-type") == "application/json");
    BOOST_TEST(!r.has("connection"));
    BOOST_TEST(r.get("x-echo-headers") == "2");
    BOOST_TEST(r.body
               == "{\"method\":\"GET\",\"path\":\"/items/" + std::to_string(i)
                    + "\",\"query\":\"a=1&b=%20x\",\"x-test\":\"v" + std::to_string(i)
                    + "\",\"body\":\"\"}");
    BOOST_TEST(r.get("content-length") == std::to_string(r.body.size()));
  }
  // A fresh request state each time: a header sent once does not stick.
  c.write(get("/"));
  BOOST_TEST(c.read_response().body.find("\"x-test\":\"\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(post_body_with_content_length) {
  fixture f;
  client c(f.server.port());
  c.write("POST /ingest HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world");
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"method\":\"POST\"") != std::string::npos);
  BOOST_TEST(r.body.find("\"body\":\"hello world\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(chunked_body_is_dechunked) {
  fixture f;
  client c(f.server.port());
  c.write("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
          "5\r\nhello\r\n6;ext=1\r\n world\r\n");
  std::this_thread::sleep_for(20ms); // the rest in a second segment
  c.write("1\r\n!\r\n0\r\n\r\n");
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"body\":\"hello world!\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(header_lookup_is_case_insensitive) {
  fixture f;
  client c(f.server.port());
  c.write(get("/", "x-TeSt: MiXed\r\n"));
  const auto r = c.read_response();
  BOOST_TEST(r.body.find("\"x-test\":\"MiXed\"") != std::string::npos);

  http_request req;
  const header_field fields[] = {{"Content-Type", "a"}, {"X-Test", "b"}, {"x-test", "c"}};
  req.headers = fields;
  BOOST_TEST(req.header("CONTENT-TYPE") == "a");
  BOOST_TEST(req.header("x-test") == "b"); // the first one
  BOOST_TEST(req.header("x-tes").empty());
  BOOST_TEST(req.header("missing").empty());
}

BOOST_AUTO_TEST_CASE(body_over_the_limit_gets_413_and_close) {
  fixture f;
  {
    client c(f.server.port());
    c.write("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n"
            + std::string(2000, 'x'));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.body.rfind("refused: ", 0) == 0);
    BOOST_TEST(r.get("connection") == "close");
    BOOST_TEST(c.closed_by_server());
  }
  {
    // Chunked: the limit applies to the de-chunked total.
    client c(f.server.port());
    std::string req = "POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 3; ++i)
      req += "200\r\n" + std::string(512, 'y') + "\r\n";
    req += "0\r\n\r\n";
    c.write(req);
    const auto r = c.read_response();
    BOOST_TEST(r.status == 413u);
    BOOST_TEST(r.get("connection") == "close");
    BOOST_TEST(c.closed_by_server());
  }
  BOOST_TEST(f.handler.refusals.load() == 2);
}

BOOST_AUTO_TEST_CASE(oversized_head_gets_431_or_414_and_close) {
  fixture f;
  {
    // Header over max_header_bytes.
    client c(f.server.port());
    c.write(get("/", "X-Big: " + std::string(4000, 'h') + "\r\n"));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 431u);
    BOOST_TEST(r.status_line == "HTTP/1.1 431 Request Header Fields Too Large");
    BOOST_TEST(r.get("connection") == "close");
    BOOST_TEST(c.closed_by_server());
  }
  {
    // The request line alone over it.
    client c(f.server.port());
    c.write(get("/" + std::string(4000, 'u')));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 414u);
    BOOST_TEST(r.status_line == "HTTP/1.1 414 URI Too Long");
    BOOST_TEST(c.closed_by_server());
  }
  BOOST_TEST(f.handler.refusals.load() == 2);
}

BOOST_AUTO_TEST_CASE(smuggled_request_behind_a_transfer_coding_is_never_served) {
  // RFC 9112 6.3: a final transfer coding other than chunked is answered 400
  // and the connection closed; what follows is not read as a request.
  fixture f;
  for (const std::string te : {"gzip", "chunked, gzip", "identity"}) {
    BOOST_TEST_CONTEXT(te) {
      client c(f.server.port());
      c.write("POST /smuggle HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: " + te
              + "\r\n\r\nGET /second HTTP/1.1\r\nHost: t\r\n\r\n");
      const auto r = c.read_response();
      BOOST_TEST(r.status == 400u);
      BOOST_TEST(r.body.find("Transfer-Encoding") != std::string::npos);
      BOOST_TEST(r.get("connection") == "close");
      BOOST_TEST(c.closed_by_server()); // and no second response
    }
  }
  for (const std::string h : {"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
                              "Content-Length: 3\r\nContent-Length: 4\r\n"}) {
    BOOST_TEST_CONTEXT(h) {
      client c(f.server.port());
      c.write("POST /x HTTP/1.1\r\nHost: t\r\n" + h + "\r\n3\r\nabc\r\n0\r\n\r\n");
      BOOST_TEST(c.read_response().status == 400u);
      BOOST_TEST(c.closed_by_server());
    }
  }
  BOOST_TEST(f.handler.refusals.load() == 5);
}

BOOST_AUTO_TEST_CASE(request_timeout_runs_from_the_first_byte) {
  auto o = test_options();
  o.request_timeout = 300ms;
  o.idle_timeout = 20s;
  fixture f(o);
  client c(f.server.port());
  const auto t0 = std::chrono::steady_clock::now();
  // One byte every 50 ms: the request line never completes in time.
  bool closed = false;
  for (const char ch : std::string("GET /slowly/trickled/request HTTP/1.1\r\nHost: t\r\n\r\n")) {
    try {
      c.write(std::string(1, ch));
    } catch (const std::exception&) {
      closed = true;
      break;
    }
    if (c.readable_within(50ms))
      break;
  }
  if (!closed)
    closed = c.closed_by_server();
  BOOST_TEST(closed);
  const auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST(took < 2s);
  BOOST_TEST(took >= 250ms);
}

BOOST_AUTO_TEST_CASE(the_request_timeout_does_not_run_while_the_handler_has_the_request) {
  // The timeout bounds the client (sending the request, taking the
  // response), not the server's own work on it: a slow answer still goes out.
  auto o = test_options();
  o.request_timeout = 100ms;
  o.idle_timeout = 20s;
  fixture f(o);
  client c(f.server.port());
  c.write(get("/hold"));
  std::this_thread::sleep_for(500ms); // five request timeouts, and several sweeps
  f.handler.release();
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"path\":\"/hold\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(garbage_gets_400_and_close) {
  fixture f;
  client c(f.server.port());
  c.write("THIS IS NOT HTTP\r\n\r\n");
  const auto r = c.read_response();
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.body.rfind("refused: ", 0) == 0);
  BOOST_TEST(r.get("connection") == "close");
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(f.handler.refusals.load() == 1);
}

BOOST_AUTO_TEST_CASE(head_has_content_length_but_no_body) {
  fixture f;
  client c(f.server.port());
  c.write(get("/h"));
  const auto g = c.read_response();
  c.write("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n");
  const auto h = c.read_response(/*head=*/true);
  BOOST_TEST(h.status == 200u);
  // The GET body echoes the method, so HEAD's is one byte shorter.
  BOOST_TEST(std::stoul(h.get("content-length")) == g.body.size() + 1);
  // No body bytes followed: the next response starts right away.
  c.write(get("/next"));
  BOOST_TEST(c.read_response().body.find("\"path\":\"/next\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_content_has_no_content_length) {
  fixture f;
  client c(f.server.port());
  c.write(get("/empty"));
  const auto r = c.read_response();
  BOOST_TEST(r.status == 204u);
  BOOST_TEST(!r.has("content-length"));
  BOOST_TEST(!r.has("content-type"));
  c.write(get("/after"));
  BOOST_TEST(c.read_response().status == 200u);
}

BOOST_AUTO_TEST_CASE(pipelined_requests_get_responses_in_order) {
  fixture f;
  client c(f.server.port());
  // The first one is answered later from another thread: the second must
  // still come second.
  c.write(get("/later") + "POST /second HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"
          + get("/third"));
  const auto r1 = c.read_response();
  const auto r2 = c.read_response();
  const auto r3 = c.read_response();
  BOOST_TEST(r1.body.find("\"path\":\"/later\"") != std::string::npos);
  BOOST_TEST(r2.body.find("\"path\":\"/second\",\"query\":\"\",\"x-test\":\"\",\"body\":\"abc\"")
             != std::string::npos);
  BOOST_TEST(r3.body.find("\"path\":\"/third\"") != std::string::npos);
}

// Found in review: an absolute URL as the target was 404 and an empty line
// before a request 400; RFC 9112 says to accept the one and ignore the other.
BOOST_AUTO_TEST_CASE(absolute_form_targets_and_empty_lines_between_requests_are_served) {
  fixture f;
  client c(f.server.port());
  // An old client's CRLF after a POST body, then the next request.
  c.write("POST http://t:8080/second?q=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc\r\n"
          + get("/third"));
  const auto r1 = c.read_response();
  const auto r2 = c.read_response();
  BOOST_TEST(r1.status == 200u);
  BOOST_TEST(r1.body.find("\"path\":\"/second\",\"query\":\"q=1\"") != std::string::npos);
  BOOST_TEST(r2.status == 200u);
  BOOST_TEST(r2.body.find("\"path\":\"/third\"") != std::string::npos);
}

// An empty line alone does not begin a request: the request timeout does not
// run for it (the idle timeout does), nor for a CR waiting for its LF.
BOOST_AUTO_TEST_CASE(an_empty_line_alone_does_not_start_the_request_timeout) {
  auto o = test_options();
  o.request_timeout = 200ms;
  o.idle_timeout = 20s;
  fixture f(o);
  client c(f.server.port());
  c.write(get("/first") + "\r\n");
  BOOST_TEST(c.read_response().status == 200u);
  std::this_thread::sleep_for(600ms); // three times the request timeout
  c.write("\r");
  std::this_thread::sleep_for(600ms);
  c.write("\n" + get("/after"));
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"path\":\"/after\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(answer_from_another_thread_and_only_the_first_counts) {
  fixture f;
  client c(f.server.port());
  for (int i = 0; i < 3; ++i) {
    c.write(get("/twice?i=" + std::to_string(i)));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 200u); // not the 500 sent second
    BOOST_TEST(r.body.find("\"query\":\"i=" + std::to_string(i) + "\"") != std::string::npos);
    // The next request only once the duplicate was sent: a duplicate that
    // arrived while the next request waits would be taken as its answer
    // (responses carry no request number; the gateway sends exactly once).
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (f.handler.second_sends.load() < i + 1 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    BOOST_TEST(f.handler.second_sends.load() == i + 1);
  }
  BOOST_TEST(!c.readable_within(50ms)); // nothing extra was written
  BOOST_TEST(f.server.in_flight() == 0u);
}

BOOST_AUTO_TEST_CASE(an_answer_handed_over_from_another_thread_is_built_on_the_connections) {
  fixture f;
  client c(f.server.port());
  for (int i = 0; i < 3; ++i) {
    c.write(get("/handover"));
    const auto r = c.read_response();
    BOOST_TEST(r.status == 202u);
    BOOST_TEST(r.body == "{\"accepted\":7}");
  }
  BOOST_TEST(f.handler.handovers.load() == 3);
  BOOST_TEST(test_handler::built_on_sender.load() == 0);
  BOOST_TEST(!c.readable_within(50ms)); // one response each, nothing more
  BOOST_TEST(f.server.in_flight() == 0u);
  // The connection goes on as before.
  c.write(get("/after"));
  BOOST_TEST(c.read_response().body.find("\"path\":\"/after\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(http10_keep_alive_and_close) {
  fixture f;
  {
    client c(f.server.port());
    c.write("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const auto r = c.read_response();
    BOOST_TEST(r.get("connection") == "keep-alive");
    c.write("GET /b HTTP/1.0\r\n\r\n");
    const auto r2 = c.read_response();
    BOOST_TEST(r2.get("connection") == "close");
    BOOST_TEST(c.closed_by_server());
  }
  {
    client c(f.server.port());
    c.write(get("/", "Connection: close\r\n"));
    BOOST_TEST(c.read_response().get("connection") == "close");
    BOOST_TEST(c.closed_by_server());
  }
}

BOOST_AUTO_TEST_CASE(expect_100_continue) {
  fixture f;
  client c(f.server.port());
  c.write("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
  const auto interim = c.read_response();
  BOOST_TEST(interim.status == 100u);
  c.write("data");
  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"body\":\"data\"") != std::string::npos);
}

// A refusal the header alone decides is sent instead of 100: the client
// need not send the body, and the connection ends after the answer.
BOOST_AUTO_TEST_CASE(expect_100_continue_gets_a_refusal_known_from_the_header_at_once) {
  fixture f;
  client c(f.server.port());
  c.write("POST /refused-early HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
          "Expect: 100-continue\r\n\r\n");
  const auto r = c.read_response();
  BOOST_TEST(r.status == 401u);
  BOOST_TEST(r.body == "{\"early\":true}");
  BOOST_TEST(r.get("connection") == "close");
  BOOST_TEST(c.closed_by_server());
  BOOST_TEST(f.handler.early_answers.load() == 1);
  // Without Expect, the same request is read whole and handled as usual.
  client plain(f.server.port());
  plain.write("POST /refused-early HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\ndata");
  const auto r2 = plain.read_response();
  BOOST_TEST(r2.status == 200u);
  BOOST_TEST(r2.body.find("\"body\":\"data\"") != std::string::npos);
  BOOST_TEST(f.handler.early_answers.load() == 1);
}

BOOST_AUTO_TEST_CASE(stop_accepting_and_drain_wait_for_a_late_answer) {
  fixture f;
  client idle(f.server.port());
  idle.write(get("/warmup"));
  BOOST_TEST(idle.read_response().status == 200u);

  client c(f.server.port());
  c.write(get("/hold"));
  for (int i = 0; i < 200 && f.server.in_flight() == 0; ++i)
    std::this_thread::sleep_for(5ms);
  BOOST_TEST(f.server.in_flight() == 1u);

  f.server.stop_accepting();
  BOOST_TEST(!f.server.drain(100ms)); // still held
  // The idle keep-alive connection is closed; new connections are refused.
  BOOST_TEST(idle.closed_by_server());
  // The acceptor closes on the I/O thread: on a loaded machine that can take
  // a moment, so try until a connection is refused (or give up after 5 s).
  bool refused = false;
  for (int i = 0; i < 250 && !refused; ++i) {
    try {
      client late(f.server.port());
      late.write(get("/"));
      late.read_response();
      std::this_thread::sleep_for(20ms);
    } catch (const std::exception&) {
      refused = true;
    }
  }
  BOOST_TEST(refused);

  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    f.handler.release();
  });
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(f.server.drain(5s));
  const bool waited_for_the_answer = std::chrono::steady_clock::now() - t0 >= 40ms;
  BOOST_TEST(waited_for_the_answer);
  releaser.join();
  BOOST_TEST(f.server.in_flight() == 0u);

  const auto r = c.read_response();
  BOOST_TEST(r.status == 200u);
  BOOST_TEST(r.body.find("\"path\":\"/hold\"") != std::string::npos);
  BOOST_TEST(r.get("connection") == "close");
  BOOST_TEST(c.closed_by_server());
  f.server.stop();
  f.server.stop(); // idempotent
}

BOOST_AUTO_TEST_CASE(max_connections_pauses_accepting) {
  auto o = test_options();
  o.max_connections = 1;
  fixture f(o);
  auto a = std::make_optional<client>(f.server.port());
  a->write(get("/a"));
  BOOST_TEST(a->read_response().status == 200u);
  client b(f.server.port()); // connects (kernel backlog) but is not accepted
  b.write(get("/b"));
  BOOST_TEST(!b.readable_within(200ms));
  a.reset(); // closing A frees the slot
  const auto r = b.read_response();
  BOOST_TEST(r.body.find("\"path\":\"/b\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(idle_timeout_closes_quiet_connections) {
  auto o = test_options();
  o.idle_timeout = 100ms;
  fixture f(o);
  client c(f.server.port());
  c.write(get("/"));
  BOOST_TEST(c.read_response().status == 200u);
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(c.closed_by_server());
  const bool closed_in_time = std::chrono::steady_clock::now() - t0 < 2s;
  BOOST_TEST(closed_in_time);
  // Found in review: each empty line restarted the idle timeout, so a client
  // could hold a connection open with a line feed now and then. Here one
  // every 50 ms for 1.5 s: the connection still closes after 100 ms.
  client quiet(f.server.port());
  const auto t1 = std::chrono::steady_clock::now();
  bool closed = false;
  for (int i = 0; i < 30 && !closed; ++i) {
    try {
      quiet.write("\r\n");
    } catch (const std::exception&) {
      closed = true;
    }
    std::this_thread::sleep_for(50ms);
  }
  if (!closed)
    closed = quiet.closed_by_server();
  BOOST_TEST(closed);
  const bool closed_despite_empty_lines = std::chrono::steady_clock::now() - t1 < 1s;
  BOOST_TEST(closed_despite_empty_lines);
}

BOOST_AUTO_TEST_CASE(responder_outliving_the_server_is_harmless) {
  // A handler that keeps the responder and answers after the server is gone.
  struct keeper final : request_handler {
    void handle(const http_request&, responder res) override {
      std::lock_guard lock(mu);
      kept = std::move(res);
    }
    http_response refusal(unsigned s, std::string_view) override { return {s, "", "", {}, {}}; }
    std::mutex mu;
    std::optional<responder> kept;
  } h;
  responder late; // outlives the server below
  bool got_it = false;
  {
    auto o = test_options();
    http_server s(o, h);
    s.start();
    client c(s.port());
    c.write(get("/"));
    for (int i = 0; i < 200 && s.in_flight() == 0; ++i)
      std::this_thread::sleep_for(5ms);
    BOOST_TEST(s.in_flight() == 1u);
    BOOST_TEST(!s.drain(20ms));
    s.stop();
    BOOST_TEST(c.closed_by_server());
    std::lock_guard lock(h.mu);
    if (h.kept) {
      late = std::move(*h.kept);
      h.kept.reset();
      got_it = true;
    }
  }
  BOOST_REQUIRE(got_it);
  late.send(http_response{}); // dropped, no crash
  late = responder{};         // last reference: the connection goes now
}

BOOST_AUTO_TEST_CASE(stop_without_start_and_destructor) {
  test_handler h;
  auto o = test_options();
  http_server s(o, h);
  BOOST_TEST(s.port() != 0);
  BOOST_TEST(s.drain(1ms));
  s.stop();
  s.start(); // after stop: does nothing
}

BOOST_AUTO_TEST_SUITE_END()
