#include "net/decompress.hpp"

#include <zlib.h>

#include <boost/beast/core/string.hpp>

#include "net/http_server.hpp"

namespace sluice::net {

content_coding content_coding_of(const http_request& req) noexcept {
  // One pass: the first line's value, and whether another follows.
  const header_field* found = nullptr;
  for (const auto& f : req.headers)
    if (boost::beast::iequals(f.name, "content-encoding")) {
      if (found)
        return content_coding::unsupported;
      found = &f;
    }
  return parse_content_coding(found ? found->value : std::string_view{});
}

content_coding parse_content_coding(std::string_view header) noexcept {
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
    header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t'))
    header.remove_suffix(1);
  namespace beast = boost::beast;
  if (header.empty() || beast::iequals(header, "identity"))
    return content_coding::identity;
  if (beast::iequals(header, "gzip") || beast::iequals(header, "x-gzip"))
    return content_coding::gzip;
  if (beast::iequals(header, "deflate"))
    return content_coding::deflate;
  return content_coding::unsupported;
}

namespace {

/// Owns a z_stream set up for inflating; ends it on scope exit.
struct inflater {
  z_stream z{};
  bool ok = false;
  explicit inflater(content_coding coding) {
    // 15 + 16: a gzip wrapper only; 15 + 32 for deflate: zlib or gzip, as
    // clients that say "deflate" send either (raw deflate is refused).
    ok = inflateInit2(&z, coding == content_coding::gzip ? 15 + 16 : 15 + 32) == Z_OK;
  }
  ~inflater() {
    if (ok)
      inflateEnd(&z);
  }
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;
};

} // namespace

problem inflate_body(content_coding coding, std::string_view in, std::size_t max_bytes,
                     std::string& out) {
  out.clear();
  inflater inf{coding};
  if (!inf.ok)
    return make_problem(errc::internal, "cannot start decompression");
  auto& z = inf.z;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  // Grow the output in steps, never past max_bytes + 1: one byte more than
  // allowed is enough to know the body is too large.
  constexpr std::size_t step = 64 << 10;
  for (;;) {
    auto have = out.size();
    auto room = std::min(step, max_bytes + 1 - have);
    out.resize(have + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + have);
    z.avail_out = static_cast<uInt>(room);
    int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(have + room - z.avail_out);
    if (out.size() > max_bytes)
      return make_problem(errc::request_too_large, "the body is larger than "
                                                     + std::to_string(max_bytes)
                                                     + " bytes once decompressed");
    if (rc == Z_STREAM_END) {
      if (z.avail_in != 0)
        return make_problem(errc::invalid_argument,
                            "the body has data after its compressed stream");
      return {};
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0)
      return make_problem(errc::invalid_argument, "the compressed body ends too early");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      return make_problem(errc::invalid_argument,
                          std::string{"the body is not valid "}
                            + (coding == content_coding::gzip ? "gzip" : "deflate") + " data");
  }
}

} // namespace sluice::net
