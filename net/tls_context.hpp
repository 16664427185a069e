#pragma once

// The OpenSSL context of a TLS port, made from the configured PEM files.
// Internal to the HTTP server (http_server.cpp, connection.cpp): it pulls
// in Asio's SSL headers.

#include <boost/asio/ssl/context.hpp>

#include <memory>

#include "net/http_server.hpp"

namespace sluice::net {

/// A server context for `o`: TLS 1.2 and 1.3 only, the certificate chain
/// and key read from o.cert_file and o.key_file, and the key checked
/// against the certificate. Throws std::runtime_error naming the file and
/// OpenSSL's reason when they cannot be used.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const tls_options& o);

} // namespace sluice::net
