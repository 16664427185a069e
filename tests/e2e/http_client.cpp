#include "tests/e2e/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cctype>

namespace sluice::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct http_client::impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  std::uint16_t port;
  bool connected = false;

  void connect() {
    stream.close();
    buffer.clear();
    stream.connect(asio::ip::tcp::endpoint{asio::ip::make_address("127.0.0.1"), port});
    stream.socket().set_option(asio::ip::tcp::no_delay{true});
    connected = true;
  }

  http_result once(std::string_view method, std::string_view target, std::string_view body,
                   const header_list& headers, std::string_view content_type) {
    if (!connected)
      connect();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    bool chunked = false;
    for (auto& [k, v] : headers) {
      // A chunked body is the serializer's to frame: it writes the body as
      // one chunk and no Content-Length (what OpenTelemetry's exporters send).
      if (boost::beast::iequals(k, "transfer-encoding") && boost::beast::iequals(v, "chunked")) {
        chunked = true;
        continue;
      }
      req.set(k, v);
    }
    if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
      if (!content_type.empty())
        req.set(http::field::content_type, content_type);
      req.body() = std::string{body};
      if (chunked)
        req.chunked(true);
      else
        req.prepare_payload();
    }
    stream.expires_after(std::chrono::seconds(60));
    http::write(stream, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    parser.skip(method == "HEAD");
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    http_result out;
    out.status = res.result_int();
    for (auto& f : res) {
      std::string name{f.name_string()};
      for (auto& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string{f.value()};
    }
    out.body = std::move(res.body());
    if (!res.keep_alive())
      connected = false;
    return out;
  }
};

http_client::http_client(std::uint16_t port) : impl_(std::make_unique<impl>()) {
  impl_->port = port;
}

http_client::~http_client() = default;
http_client::http_client(http_client&&) noexcept = default;
http_client& http_client::operator=(http_client&&) noexcept = default;

http_result http_client::request(std::string_view method, std::string_view target,
                                 std::string_view body, const header_list& headers,
                                 std::string_view content_type) {
  try {
    return impl_->once(method, target, body, headers, content_type);
  } catch (const boost::system::system_error&) {
    // A kept-alive connection the server closed meanwhile: one fresh try.
    impl_->connected = false;
    return impl_->once(method, target, body, headers, content_type);
  }
}

} // namespace sluice::e2e
