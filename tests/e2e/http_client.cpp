#include "tests/e2e/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <cctype>

namespace sluice::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct http_client::impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  /// Set for HTTPS: then `tls`, with a TCP stream of its own, is used instead
  /// of `stream`.
  std::unique_ptr<asio::ssl::context> tls_ctx;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::uint16_t port;
  bool connected = false;
  std::size_t connections = 0;

  void connect() {
    buffer.clear();
    const asio::ip::tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), port};
    if (tls_ctx) {
      tls.reset(); // a TLS stream is not reused after its connection ends
      tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io, *tls_ctx);
      auto& tcp = beast::get_lowest_layer(*tls);
      tcp.expires_after(std::chrono::seconds(60));
      tcp.connect(ep);
      tcp.socket().set_option(asio::ip::tcp::no_delay{true});
      tls->set_verify_mode(asio::ssl::verify_peer);
      tls->set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
      tls->handshake(asio::ssl::stream_base::client);
    } else {
      stream.close();
      stream.connect(ep);
      stream.socket().set_option(asio::ip::tcp::no_delay{true});
    }
    ++connections;
    connected = true;
  }

  http_result once(std::string_view method, std::string_view target, std::string_view body,
                   const header_list& headers, std::string_view content_type) {
    if (!connected)
      connect();
    if (tls)
      return exchange(*tls, beast::get_lowest_layer(*tls), method, target, body, headers,
                      content_type);
    return exchange(stream, stream, method, target, body, headers, content_type);
  }

  template <class Stream>
  http_result exchange(Stream& stream, beast::tcp_stream& tcp, std::string_view method,
                       std::string_view target, std::string_view body, const header_list& headers,
                       std::string_view content_type) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    bool chunked = false;
    for (std::size_t i = 0; i < headers.size(); ++i) {
      const auto& [k, v] = headers[i];
      // A chunked body is the serializer's to frame: it writes the body as
      // one chunk and no Content-Length (what OpenTelemetry's exporters send).
      if (boost::beast::iequals(k, "transfer-encoding") && boost::beast::iequals(v, "chunked")) {
        chunked = true;
        continue;
      }
      // A name given twice is sent as two field lines; once, it replaces the
      // client's own (Host).
      bool again = std::any_of(headers.begin(), headers.begin() + static_cast<std::ptrdiff_t>(i),
                               [&](const auto& h) { return boost::beast::iequals(h.first, k); });
      if (again)
        req.insert(k, v);
      else
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
    tcp.expires_after(std::chrono::seconds(60));
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

http_client::http_client(std::uint16_t port, std::string ca_file)
    : impl_(std::make_unique<impl>()) {
  impl_->port = port;
  impl_->tls_ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(impl_->tls_ctx->native_handle(), TLS1_2_VERSION);
  impl_->tls_ctx->load_verify_file(ca_file);
}

std::size_t http_client::connections() const noexcept { return impl_->connections; }

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
