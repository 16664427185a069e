#include "net/tls_context.hpp"

#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace sluice::net {

namespace ssl = boost::asio::ssl;

std::shared_ptr<ssl::context> make_tls_context(const tls_options& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  // Below TLS 1.2 is refused by the version floor; the option bits say the
  // same to OpenSSL builds that look at them. No renegotiation, no
  // compression (CRIME), a fresh key per ephemeral exchange.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                   | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1
                   | ssl::context::single_dh_use | ssl::context::no_compression);
  if (SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION) != 1)
    throw std::runtime_error("TLS: cannot set the minimum protocol version to TLS 1.2");
  SSL_CTX_set_options(ctx->native_handle(), SSL_OP_NO_RENEGOTIATION);

  // A file that cannot be opened at all is said so with the system's
  // reason; OpenSSL would give only "asio.ssl error".
  for (auto* f : {&o.cert_file, &o.key_file})
    if (std::ifstream probe{*f}; !probe)
      throw std::runtime_error(std::string{f == &o.cert_file ? "TLS certificate" : "TLS key"}
                               + " file \"" + *f + "\" cannot be read: " + std::strerror(errno));
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(o.cert_file, ec);
  if (ec)
    throw std::runtime_error("TLS certificate file \"" + o.cert_file
                             + "\" cannot be used: " + ec.message());
  ctx->use_private_key_file(o.key_file, ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("TLS key file \"" + o.key_file + "\" cannot be used: " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("TLS key file \"" + o.key_file
                             + "\" does not belong to the certificate in \"" + o.cert_file + "\"");
  return ctx;
}

} // namespace sluice::net
