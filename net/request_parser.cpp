#include "net/request_parser.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <vector>

#include "net/auth.hpp"

namespace sluice::net {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

// Initial capacities of the reusable buffers; they grow when a request needs
// more and keep that capacity (the point of reusing them).
constexpr std::size_t arena_bytes = 2 << 10;
constexpr std::size_t fields_reserve = 16;

method to_method(bhttp::verb v) noexcept {
  switch (v) {
    case bhttp::verb::get: return method::get;
    case bhttp::verb::head: return method::head;
    case bhttp::verb::post: return method::post;
    case bhttp::verb::put: return method::put;
    case bhttp::verb::patch: return method::patch;
    case bhttp::verb::delete_: return method::del;
    case bhttp::verb::options: return method::options;
    default: return method::other;
  }
}

/// An (offset, length) into the arena: offsets, not views, as the arena may
/// grow while the request is recorded. The header limit keeps the arena far
/// below 4 GiB, so 32 bits hold.
struct piece {
  std::uint32_t off = 0;
  std::uint32_t len = 0;
};

struct field_piece {
  piece name;
  piece value;
};

} // namespace

struct request_reader::impl {
  /// Records a request into the impl's buffers instead of a
  /// beast::http::fields (which allocates per field), and applies the
  /// framing rules Beast leaves to its user. Constructed afresh for every
  /// request (basic_parser has no reset).
  class parser final : public bhttp::basic_parser<true> {
  public:
    explicit parser(impl& s) noexcept : s_(s) {}

  private:
    void on_request_impl(bhttp::verb v, beast::string_view m, beast::string_view target,
                         int version, beast::error_code&) override {
      s_.verb = v;
      s_.version = version;
      s_.method = s_.record(m);
      s_.target = s_.record(target);
    }
    void on_response_impl(int, beast::string_view, int, beast::error_code& ec) override {
      ec = bhttp::error::bad_version; // unreachable for a request parser
    }
    // Beast has already checked Content-Length and Transfer-Encoding values
    // against each other (do_field) when this is called.
    void on_field_impl(bhttp::field f, beast::string_view name, beast::string_view value,
                       beast::error_code& ec) override {
      if (is_header_done()) {
        // A trailer field (after a chunked body). Held to the header limit
        // like the chunk-size lines, and not kept: a trailer is no place
        // for a credential or a content type (RFC 9110 6.5.1), and one that
        // joined the header fields could supply what the header lacked.
        s_.trailer_bytes += name.size() + value.size() + 4; // ": " and CRLF
        if (s_.trailer_bytes > s_.limits.max_header_bytes) {
          s_.refuse_framing_line();
          ec = bhttp::error::header_limit;
        }
        return;
      }
      s_.field_pieces.push_back({s_.record(name), s_.record(value)});
      switch (f) {
        case bhttp::field::transfer_encoding:
          // Only one field line whose one coding is "chunked" is accepted.
          s_.te_chunked_only = !s_.te_seen && beast::iequals(trim_ows(value), "chunked");
          s_.te_seen = true;
          break;
        case bhttp::field::content_length: s_.cl_seen = true; break;
        case bhttp::field::host:
          if (s_.host_lines < 2)
            ++s_.host_lines;
          break;
        case bhttp::field::expect:
          if (beast::iequals(trim_ows(value), "100-continue"))
            s_.expect_continue = true;
          break;
        case bhttp::field::authorization: s_.note_single(0, "Authorization"); break;
        case bhttp::field::content_type: s_.note_single(1, "Content-Type"); break;
        default:
          if (f == bhttp::field::unknown && beast::iequals(name, "x-api-key"))
            s_.note_single(2, "X-API-Key");
          break;
      }
    }
    void on_header_impl(beast::error_code& ec) override {
      if (!s_.repeated.empty()) {
        // Which of two credentials or content types counts is not a guess a
        // server should make (a proxy before it may have read the other).
        s_.refuse(400, "the " + s_.repeated + " header field is given more than once");
        ec = bhttp::error::bad_field;
        return;
      }
      // RFC 9112 6.1 and 6.3: a Transfer-Encoding this server cannot frame
      // by (a final coding other than chunked would make the body run to
      // the end of the connection; any other coding is one it does not
      // implement), one next to Content-Length, or one in an HTTP/1.0
      // request, makes the request's end uncertain: whatever follows could
      // be taken as a second request. Refused, and the connection closed.
      if (!s_.te_seen)
        return;
      if (s_.cl_seen)
        s_.refuse(400, "a request must not have both Transfer-Encoding and Content-Length");
      else if (!s_.te_chunked_only)
        s_.refuse(400, "Transfer-Encoding must be chunked (no other transfer coding is "
                       "supported)");
      else if (s_.version < 11)
        s_.refuse(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request");
      else
        return;
      ec = bhttp::error::bad_transfer_encoding;
    }
    void on_body_init_impl(const boost::optional<std::uint64_t>& length,
                           beast::error_code&) override {
      // body_limit has already refused a larger Content-Length; a chunked
      // body grows the string geometrically instead.
      if (length)
        s_.body.reserve(
          static_cast<std::size_t>(std::min<std::uint64_t>(*length, s_.limits.max_request_bytes)));
    }
    std::size_t on_body_impl(beast::string_view b, beast::error_code&) override {
      s_.body.append(b.data(), b.size());
      return b.size();
    }
    void on_chunk_header_impl(std::uint64_t size, beast::string_view extensions,
                              beast::error_code& ec) override {
      // Beast bounds neither a chunk-size line nor its extensions; a line
      // that arrived whole in one read would otherwise pass whatever its
      // length (the unconsumed-bytes check in feed() sees only one that is
      // still arriving).
      std::size_t digits = 1;
      for (auto v = size; v >= 16; v >>= 4)
        ++digits;
      if (digits + extensions.size() + 2 > s_.limits.max_header_bytes) {
        s_.refuse_framing_line();
        ec = bhttp::error::bad_chunk_extension;
      }
    }
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view b,
                                   beast::error_code&) override {
      s_.body.append(b.data(), b.size());
      return b.size();
    }
    void on_finish_impl(beast::error_code&) override {}

    impl& s_;
  };

  explicit impl(const request_limits& l) : limits(l) {
    arena.reserve(arena_bytes);
    field_pieces.reserve(fields_reserve);
    fields.reserve(fields_reserve);
  }

  piece record(std::string_view s) {
    piece p{static_cast<std::uint32_t>(arena.size()), static_cast<std::uint32_t>(s.size())};
    arena.append(s);
    return p;
  }
  std::string_view view(piece p) const noexcept { return {arena.data() + p.off, p.len}; }

  void refuse(unsigned status, std::string why) {
    refusal.status = status;
    refusal.why = std::move(why);
  }

  /// A header (with any empty lines before it) over the header limit.
  void refuse_header_size() {
    refuse(431, "the request header is larger than " + std::to_string(limits.max_header_bytes)
                  + " bytes");
  }

  /// A chunk-size line, or the trailer section, over the header limit.
  void refuse_framing_line() {
    refuse(400, "a chunk-size line or the trailer section is longer than the header limit of "
                  + std::to_string(limits.max_header_bytes) + " bytes");
  }

  /// A field that may be given once: `slot` counts its lines, `name` is how
  /// the refusal names it.
  void note_single(int slot, const char* name) {
    if (++single_lines[slot] == 2 && repeated.empty())
      repeated = name;
  }

  /// The refusal for a parse error, unless on_header_impl chose one.
  /// `unparsed` is the input the parser did not consume.
  void refuse_for(const beast::error_code& ec, std::string_view unparsed) {
    if (refusal.status != 0)
      return;
    if (ec == bhttp::error::header_limit) {
      // 414 when the request line does not end within the limit: then the
      // target is what is too long. Beast parses the request line only once
      // it has seen the header's end or the limit's worth of bytes; before
      // that the line is still at the start of `unparsed` (after the blank
      // lines allowed before it).
      bool line_fits = method.len != 0;
      if (!line_fits) {
        const auto start = std::min(unparsed.find_first_not_of("\r\n"), unparsed.size());
        line_fits =
          unparsed.substr(start, limits.max_header_bytes).find('\n') != std::string_view::npos;
      }
      if (!line_fits)
        return refuse(414, "the request line is longer than the header limit of "
                             + std::to_string(limits.max_header_bytes) + " bytes");
      return refuse_header_size();
    }
    if (ec == bhttp::error::body_limit)
      return refuse(413, "the request body is larger than "
                           + std::to_string(limits.max_request_bytes) + " bytes");
    if (ec == bhttp::error::bad_content_length)
      return refuse(400, "bad Content-Length: not a number, or two that differ, or next to "
                         "Transfer-Encoding");
    if (ec == bhttp::error::bad_transfer_encoding)
      return refuse(400, "Transfer-Encoding must be chunked, once, and not next to "
                         "Content-Length");
    // Beast's own messages name the rule ("bad method", "bad target", ...).
    refuse(400, "the request is not valid HTTP/1.1: " + ec.message());
  }

  request_limits limits;
  std::optional<parser> p;

  // The current request, recorded. Views handed out point into these.
  std::string arena;
  piece method;
  piece target;
  /// An absolute-form target without a path, as "/" and its query (request()).
  std::string origin_target;
  std::vector<field_piece> field_pieces;
  std::vector<header_field> fields;
  std::string body;
  http_request req;
  bhttp::verb verb = bhttp::verb::unknown;
  int version = 11;
  bool expect_continue = false;
  bool te_seen = false;
  bool te_chunked_only = false;
  bool cl_seen = false;
  std::uint8_t host_lines = 0; ///< Host field lines seen, up to 2
  /// Lines of Authorization, Content-Type and X-API-Key seen (see
  /// note_single), and the first of them given twice.
  std::array<std::uint8_t, 3> single_lines{};
  std::string repeated;
  /// Bytes of the trailer section's fields so far.
  std::size_t trailer_bytes = 0;
  /// Bytes of this request's header consumed so far (request line included).
  std::size_t header_bytes = 0;
  /// Bytes consumed after the header: the body, and for a chunked one its
  /// framing (chunk-size lines, extensions, the trailer section), which
  /// Beast's body limit does not count.
  std::size_t body_wire_bytes = 0;
  read_refusal refusal;
};

request_reader::request_reader(const request_limits& limits)
    : impl_(std::make_unique<impl>(limits)) {
  reset();
}

request_reader::~request_reader() = default;

void request_reader::reset() {
  auto& s = *impl_;
  s.arena.clear();
  s.field_pieces.clear();
  s.fields.clear();
  s.body.clear();
  s.method = s.target = {};
  s.verb = bhttp::verb::unknown;
  s.version = 11;
  s.expect_continue = s.te_seen = s.te_chunked_only = s.cl_seen = false;
  s.host_lines = 0;
  s.single_lines = {};
  s.repeated.clear();
  s.trailer_bytes = 0;
  s.header_bytes = 0;
  s.body_wire_bytes = 0;
  s.refusal.status = 0;
  s.refusal.why.clear();
  s.p.emplace(s);
  s.p->header_limit(static_cast<std::uint32_t>(
    std::min<std::size_t>(s.limits.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  s.p->body_limit(s.limits.max_request_bytes);
  // Stop after the header (to answer Expect: 100-continue), then eager.
  s.p->eager(false);
}

namespace {

/// The origin form of a request target (RFC 9112 3.2.1, "/path?query"), as
/// it comes, or taken from the absolute form ("http://host:80/path?query",
/// 3.2.2), which a server must accept: the part from the path on, empty
/// when there is none. The authority is not used (Sluice serves one site
/// per port). Anything else ("*", an authority alone) is left as it is and
/// matches no route.
std::string_view origin_part(std::string_view target) noexcept {
  if (target.empty() || target.front() == '/')
    return target;
  std::size_t scheme = 0;
  if (target.size() >= 7 && beast::iequals(target.substr(0, 7), "http://"))
    scheme = 7;
  else if (target.size() >= 8 && beast::iequals(target.substr(0, 8), "https://"))
    scheme = 8;
  else
    return target;
  // The authority ends at "/", "?" or "#" (RFC 3986 3.2); a fragment has
  // no place in a request, so what follows one is not a path either.
  const auto rest = target.find_first_of("/?#", scheme);
  return rest == std::string_view::npos || target[rest] == '#' ? std::string_view{}
                                                               : target.substr(rest);
}

} // namespace

read_result request_reader::feed(std::string_view input) {
  auto& s = *impl_;
  auto& p = *s.p;
  std::size_t used = 0;
  // RFC 9112 2.2: empty lines before the request line are ignored (some
  // clients end a POST body with an extra CRLF). They count towards the
  // header's size, so a stream of them is bounded like any header. A CR
  // alone at the end of the input waits for the byte after it.
  if (!p.got_some()) {
    while (used < input.size()
           && (input[used] == '\n'
               || (input[used] == '\r' && used + 1 < input.size() && input[used + 1] == '\n')))
      used += input[used] == '\r' ? 2 : 1;
    s.header_bytes += used;
    if (s.header_bytes > s.limits.max_header_bytes) {
      s.refuse_header_size();
      return {read_state::refused, used};
    }
    if (used == input.size() || (used + 1 == input.size() && input[used] == '\r'))
      return {read_state::need_more, used};
  }
  // Beast waits for a chunk-size line (with its extensions) or the trailer
  // section to end before it consumes any of it, and bounds neither: what it
  // leaves unconsumed the caller keeps buffering. Past the header, that is
  // held to the header limit, so a connection's buffer stays bounded.
  //
  // Beast also ends those lines only at CRLF: one ended by a bare LF would
  // wait for the request timeout. What it left unconsumed past the header
  // is framing (it takes chunk data as it comes), in which no LF may stand
  // alone, so one is refused at once. (An LF first in the rest has its CR
  // in the same unconsumed line too: Beast consumes whole lines.)
  auto need_more = [&]() -> read_result {
    if (!p.is_header_done())
      return {read_state::need_more, used};
    const auto rest = input.substr(used);
    if (rest.size() > s.limits.max_header_bytes) {
      s.refuse_framing_line();
      return {read_state::refused, used};
    }
    for (auto lf = rest.find('\n'); lf != std::string_view::npos; lf = rest.find('\n', lf + 1))
      if (lf == 0 || rest[lf - 1] != '\r') {
        s.refuse(400, "a chunk-size line or a trailer field does not end in CRLF");
        return {read_state::refused, used};
      }
    return {read_state::need_more, used};
  };
  for (;;) {
    // Beast's put() makes no progress on empty input once the header is
    // in; an empty call before that just says need_more.
    if (used == input.size() && (p.got_some() || input.empty()))
      return {read_state::need_more, used};
    beast::error_code ec;
    const bool in_header = !p.is_header_done();
    const auto n = p.put(boost::asio::const_buffer(input.data() + used, input.size() - used), ec);
    used += n;
    if (in_header)
      s.header_bytes += n;
    else
      s.body_wire_bytes += n;
    if (ec == bhttp::error::need_more)
      return need_more();
    if (ec) {
      s.refuse_for(ec, input.substr(used));
      return {read_state::refused, used};
    }
    // The framing of a chunked body takes no more than the body may: many
    // chunks with long extensions would otherwise make a request as long
    // on the wire as the client likes.
    if (s.body_wire_bytes - s.body.size() > s.limits.max_request_bytes) {
      s.refuse(413, "the chunked body's framing (chunk-size lines, extensions, trailer) is "
                    "larger than "
                      + std::to_string(s.limits.max_request_bytes) + " bytes");
      return {read_state::refused, used};
    }
    if (in_header && p.is_header_done() && s.header_bytes > s.limits.max_header_bytes) {
      // Beast's header_limit bounds the request line and the fields apart
      // when the header arrives in one piece, but the whole header when it
      // arrives in parts: the limit is applied to the whole header here, so
      // it holds however the bytes arrive. (With eager(false), the put()
      // that completes the header stops there: header_bytes is the header.)
      s.refuse_header_size();
      return {read_state::refused, used};
    }
    if (in_header && p.is_header_done()
        && (s.host_lines > 1 || (s.host_lines == 0 && s.version >= 11))) {
      // RFC 9112 3.2: an HTTP/1.1 request without Host, or any request with
      // two, is 400 (which authority it is for cannot be told, and two
      // readers of it could tell differently).
      s.refuse(400, s.host_lines > 1 ? "a request must have one Host header field, not two"
                                     : "an HTTP/1.1 request must have a Host header field");
      return {read_state::refused, used};
    }
    if (p.is_done())
      return {read_state::complete, used};
    if (p.is_header_done() && !p.eager()) {
      p.eager(true); // the body (or the rest of it) in as few calls as it comes
      if (s.expect_continue && s.version >= 11)
        return {read_state::expect_continue, used};
      continue;
    }
    if (n == 0)
      return need_more(); // no progress: wait for bytes
  }
}

bool request_reader::got_some() const noexcept { return impl_->p->got_some(); }

bool request_reader::header_done() const noexcept { return impl_->p->is_header_done(); }

int request_reader::version() const noexcept { return impl_->version; }

const read_refusal& request_reader::refusal() const noexcept { return impl_->refusal; }

http_request& request_reader::request() noexcept {
  auto& s = *impl_;
  s.fields.clear();
  for (const auto& fp : s.field_pieces)
    s.fields.push_back({s.view(fp.name), s.view(fp.value)});
  auto& r = s.req;
  r.verb = to_method(s.verb);
  r.method_text = s.view(s.method);
  const auto sent = s.view(s.target);
  r.target = origin_part(sent);
  if (r.target.size() < sent.size() && (r.target.empty() || r.target.front() == '?')) {
    // "http://host" or "http://host?q": an empty path is "/" (RFC 9112 3.2.2).
    s.origin_target.assign("/").append(r.target);
    r.target = s.origin_target;
  }
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string_view::npos ? std::string_view{} : r.target.substr(q + 1);
  r.headers = s.fields;
  r.body = s.body;
  r.peer_ip = {};
  r.keep_alive = s.p->keep_alive();
  return r;
}

void request_reader::trim(std::size_t keep_bytes) {
  if (impl_->body.capacity() > keep_bytes)
    std::string().swap(impl_->body);
}

read_result read_request(request_reader& reader, std::string_view bytes) {
  reader.reset();
  std::size_t used = 0;
  for (;;) {
    const auto r = reader.feed(bytes.substr(used));
    used += r.consumed;
    if (r.state != read_state::expect_continue)
      return {r.state, used};
  }
}

} // namespace sluice::net
