#include "bench/sluice_bench/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <stdexcept>

namespace sluice::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct admin_client::impl {
  asio::io_context io;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  endpoint_spec where;
  std::string authorization;
  std::string host;
  bool connected = false;

  void connect() {
    stream.close();
    buffer.clear();
    asio::ip::tcp::resolver resolver{io};
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(resolver.resolve(where.host, std::to_string(where.port)));
    stream.socket().set_option(asio::ip::tcp::no_delay{true});
    connected = true;
  }

  admin_reply once(std::string_view method, std::string_view target, std::string_view body) {
    if (!connected)
      connect();
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    req.set(http::field::authorization, authorization);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::string{body};
    }
    req.prepare_payload();
    // Revocations wait for the ingest pipeline and read-back pages can be
    // large: generous, but a hung server still ends the run.
    stream.expires_after(std::chrono::seconds(120));
    http::write(stream, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::read(stream, buffer, parser);
    auto& res = parser.get();
    if (!res.keep_alive())
      connected = false;
    return {res.result_int(), std::move(res.body())};
  }
};

admin_client::admin_client(endpoint_spec where, std::string bearer_token)
    : impl_(std::make_unique<impl>()) {
  impl_->host = where.host + ":" + std::to_string(where.port);
  impl_->where = std::move(where);
  impl_->authorization = "Bearer " + bearer_token;
}

admin_client::~admin_client() = default;

admin_reply admin_client::request(std::string_view method, std::string_view target,
                                  std::string_view body) {
  try {
    return impl_->once(method, target, body);
  } catch (const boost::system::system_error&) {
    // Most likely a kept-alive connection the server closed (idle timeout):
    // one fresh connection. Setup requests are idempotent enough for this (a
    // repeated mint makes one unused token at worst).
    impl_->connected = false;
  }
  try {
    return impl_->once(method, target, body);
  } catch (const boost::system::system_error& e) {
    impl_->connected = false;
    throw std::runtime_error("admin " + std::string{method} + " " + std::string{target} + ": "
                             + e.code().message());
  }
}

std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
        || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

} // namespace sluice::bench
