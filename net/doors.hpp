#pragma once

// Which door a request path leads to: the one classification of paths. The
// ingest routes dispatch on it (ingest_routes::handle), and the server counts
// every response under it (net/http_server.cpp, policy/metrics.hpp): one
// counting place per port, and the routes stay free of metrics. A path no
// door claims is "other", answered 404. Header-only: a few comparisons.

#include <string_view>

#include "policy/metrics.hpp"

namespace sluice::net {

/// The ingest port's doors.
inline http_door ingest_door_of(std::string_view path) noexcept {
  if (path == "/messages")
    return http_door::native;
  if (path == "/otlp/v1/logs")
    return http_door::otlp_logs;
  if (path == "/otlp/v1/traces")
    return http_door::otlp_traces;
  if (path == "/api/public/ingestion")
    return http_door::langfuse;
  // The token is the rest of the path: only the prefix is looked at, so no
  // secret ever reaches a label.
  if (path.starts_with("/webhooks/"))
    return http_door::webhook;
  if (path == "/systems/me")
    return http_door::whoami;
  if (path == "/healthz" || path == "/readyz")
    return http_door::health;
  return http_door::other;
}

/// The admin port's doors.
inline http_door admin_door_of(std::string_view path) noexcept {
  if (path == "/metrics")
    return http_door::metrics;
  if (path == "/healthz" || path == "/readyz")
    return http_door::health;
  if (path == "/api/v1/openapi.json")
    return http_door::openapi;
  if (path.starts_with("/api/v1/"))
    return http_door::admin;
  // The web portal's pages and files (net/portal.hpp); "/" leads to them.
  if (path == "/" || path == "/portal" || path.starts_with("/portal/"))
    return http_door::portal;
  return http_door::other;
}

} // namespace sluice::net
