// The server's HTTP/1.1 request parser (net/request_parser), fed raw bytes as
// a client sends them, under the server's default limits and a small header
// limit. The first input byte picks where the rest is cut in two, as TCP may
// deliver it.
// Invariants: no crash, no UB, no leak; the state and the bytes consumed say
// the same as the input; a complete request's parts lie inside what it
// consumed, its path and query are its target split at '?', and its body is at
// most the body limit; a refusal is one of the statuses the server answers
// with, with a text; and a request cut in two reads exactly as the whole one
// (method, target, headers, body; or the same refusal): how the bytes arrive
// never changes what they mean. (One leeway: a malformed request line may be
// refused at once, or only once more bytes arrive, perhaps for another
// reason; see below.)

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "net/request_parser.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;
using namespace sluice::net;

namespace {

/// What a read came to, copied out of the reader's buffers.
struct outcome {
  read_state state = read_state::need_more;
  unsigned status = 0;
  std::string method, target, body;
  std::string headers; ///< "name: value\n" each
  bool keep_alive = false;

  bool operator==(const outcome&) const = default;
};

outcome describe(request_reader& r, read_state state) {
  outcome o;
  o.state = state;
  if (state == read_state::refused) {
    o.status = r.refusal().status;
    require(o.status == 400 || o.status == 413 || o.status == 414 || o.status == 431,
            "a refusal is 400, 413, 414 or 431");
    require(!r.refusal().why.empty(), "a refusal says why");
  } else if (state == read_state::complete) {
    auto& req = r.request();
    o.method = req.method_text;
    o.target = req.target;
    o.body = req.body;
    o.keep_alive = req.keep_alive;
    for (auto& h : req.headers) {
      o.headers.append(h.name).append(": ").append(h.value).push_back('\n');
    }
    auto q = req.target.find('?');
    require(req.path == req.target.substr(0, q), "the path is the target up to '?'");
    require(req.query
              == (q == std::string_view::npos ? std::string_view{} : req.target.substr(q + 1)),
            "the query is the target after '?'");
  }
  return o;
}

/// Feeds `first`, then `second`, as the connection does: unconsumed bytes are
/// kept and fed again with what arrives next.
outcome read_in_two(request_reader& r, std::string_view first, std::string_view second) {
  r.reset();
  std::string pending;
  read_result res;
  for (auto part : {first, second}) {
    pending.append(part);
    for (;;) {
      res = r.feed(pending);
      require(res.consumed <= pending.size(), "never consumes more than it was given");
      pending.erase(0, res.consumed);
      if (res.state != read_state::expect_continue)
        break;
    }
    if (res.state == read_state::complete || res.state == read_state::refused)
      return describe(r, res.state);
  }
  return describe(r, res.state);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  auto cut_byte = data[0];
  auto bytes = sluice::fuzz::as_text(data + 1, size - 1);

  for (auto limits : {request_limits{}, request_limits{256, 1024}}) {
    request_reader whole{limits};
    auto res = read_request(whole, bytes);
    require(res.consumed <= bytes.size(), "never consumes more than it was given");
    auto a = describe(whole, res.state);
    if (res.state == read_state::complete)
      require(a.body.size() <= limits.max_request_bytes, "a body is within the limit");

    auto cut = bytes.empty() ? 0 : cut_byte % (bytes.size() + 1);
    request_reader parts{limits};
    auto b = read_in_two(parts, bytes.substr(0, cut), bytes.substr(cut));
    // Beast checks a request line as soon as it ends, but once it had to wait
    // for more bytes it checks it only when the whole header is in (or the
    // header limit is reached): a bad line may be refused at once (400) or
    // later (400, or 431 at the limit). Either way it is refused, never read
    // as a request.
    auto refused_or_waits = [](const outcome& o) {
      return o.state == read_state::refused || o.state == read_state::need_more;
    };
    bool refused_either_way = (a.state == read_state::refused || b.state == read_state::refused)
                              && refused_or_waits(a) && refused_or_waits(b);
    if (!(a == b) && !refused_either_way) {
      std::fprintf(stderr,
                   "whole: state %d status %u target [%s]; cut at %zu: state %d "
                   "status %u target [%s]\n",
                   static_cast<int>(a.state), a.status, a.target.c_str(), cut,
                   static_cast<int>(b.state), b.status, b.target.c_str());
      require(false, "a request cut in two reads as the whole one");
    }
  }
  return 0;
}
