#pragma once

// The HTTP/1.1 request parser of the server: Beast's basic_parser with the
// server's limits and framing rules, recording a request into buffers that
// are reused from one request to the next (no allocation per request in
// steady state). The connection (net/connection.cpp) feeds it the bytes it
// reads; fuzzers and tests feed it raw bytes directly, through the same
// code, with read_request().
//
// This header is free of Beast and Asio: only request_parser.cpp compiles
// Beast's parser.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/http_server.hpp"

namespace sluice::net {

/// The limits a request is read under: server_options' values.
struct request_limits {
  /// The request line plus every header field, as sent. Over it: 414 when
  /// the request line alone does not fit, else 431.
  std::size_t max_header_bytes = default_max_header_bytes;
  /// The body, de-chunked. Over it: 413 (at once when Content-Length says so).
  std::size_t max_request_bytes = default_max_request_bytes;
};

/// Where reading one request stands after feeding bytes.
enum class read_state : std::uint8_t {
  /// Everything usable was consumed; the request is not complete yet.
  need_more,
  /// The header is complete, is HTTP/1.1, carries `Expect: 100-continue`, and
  /// a body follows: the server answers "100 Continue", then feeds the rest.
  /// Reported once per request.
  expect_continue,
  /// One whole request: request() describes it. Bytes after `consumed`
  /// belong to the next request (pipelining).
  complete,
  /// The request cannot be served: answer refusal() and close the
  /// connection (its framing cannot be trusted any more).
  refused,
};

/// The outcome of one feed().
struct read_result {
  read_state state = read_state::need_more;
  /// Bytes of the input used. The caller drops them; the rest (an incomplete
  /// header, a partial chunk header, the next request) is fed again, with
  /// more bytes appended, in the next call.
  std::size_t consumed = 0;
};

/// Why a request is refused while it is read. The text names the rule
/// broken and the limit, never the input (it may hold secrets).
struct read_refusal {
  unsigned status = 0; ///< 400, 413, 414 or 431
  std::string why;
};

/// Reads requests one at a time. Construct once (per connection), then for
/// each request: reset(), feed() until the state is no longer need_more
/// (answering expect_continue as it comes), then request() or refusal().
///
/// Framing rules on top of Beast's parser (RFC 9112 section 6): a request
/// with Transfer-Encoding is refused (400) unless its only transfer coding
/// is `chunked` and it has no Content-Length and is HTTP/1.1; conflicting
/// Content-Length values are refused (400). A request without either has no
/// body.
class request_reader {
public:
  explicit request_reader(const request_limits& limits);
  ~request_reader();
  request_reader(const request_reader&) = delete;
  request_reader& operator=(const request_reader&) = delete;

  /// Starts the next request. Buffers keep their capacity.
  void reset();

  /// Parses as much of `input` as it can. `input` must start with the first
  /// byte not consumed by the previous call (for this request). Never call
  /// again after complete or refused without reset().
  read_result feed(std::string_view input);

  /// Whether any byte of this request has been fed.
  bool got_some() const noexcept;
  /// Whether the request line and header fields are complete.
  bool header_done() const noexcept;

  /// After complete: the request. Its views point into this reader and are
  /// valid until the next reset() or feed(). peer_ip is left empty for the
  /// caller to fill.
  http_request& request() noexcept;
  /// The HTTP minor version of the request (10 or 11), once the header is done.
  int version() const noexcept;

  /// After refused: the status and text to answer with.
  const read_refusal& refusal() const noexcept;

  /// Releases the body buffer if one request grew it past `keep_bytes`, so a
  /// single large upload does not pin memory on an idle connection.
  void trim(std::size_t keep_bytes);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Reads one request from `bytes` as the server does when they all arrive
/// at once: feeds them to `reader` (reset first), passing the
/// expect_continue step, until the request is complete or refused, or the
/// bytes run out (need_more). The entry point for fuzzers and tests.
read_result read_request(request_reader& reader, std::string_view bytes);

} // namespace sluice::net
