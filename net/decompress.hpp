#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "policy/errors.hpp"

namespace sluice::net {

/// A request body's Content-Encoding, as far as Sluice takes it.
enum class content_coding : std::uint8_t { identity, gzip, deflate, unsupported };

/// Reads a Content-Encoding header: empty or "identity" is identity; "gzip"
/// (or "x-gzip") and "deflate" are inflated; anything else (a list of
/// codings, br, zstd) is unsupported (415).
content_coding parse_content_coding(std::string_view header) noexcept;

struct http_request;

/// The coding of `req`'s body: its Content-Encoding field as
/// parse_content_coding reads it; unsupported when the field comes in
/// several lines, which make one list of codings (RFC 9110 5.3), refused
/// like "gzip, identity" is.
content_coding content_coding_of(const http_request& req) noexcept;

/// Inflates `in` (gzip or deflate, zlib) into `out` (cleared first), stopping
/// as soon as more than `max_bytes` came out: a decompression bomb costs at
/// most that much memory and time. Returns ok; request_too_large when the
/// output would pass `max_bytes`; invalid_argument when the data is not a
/// complete stream of that coding.
problem inflate_body(content_coding coding, std::string_view in, std::size_t max_bytes,
                     std::string& out);

} // namespace sluice::net
