// Admin requests (net/admin/*.cpp): every operation's decoder, as the admin
// routes call them. The input's first byte picks the operation (one of the
// alternatives of admin_request); then a line with the path's {id}, a line
// with the query string, and the rest is the body. One json_body is reused
// across inputs, as the admin port's thread does.
// Invariants: no crash, no UB, no leak; a decoder that refuses leaves no
// request behind and names the problem; one that accepts yields its type.

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "net/admin/requests.hpp"
#include "net/url.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;
using namespace sluice::net;

namespace {

constexpr std::size_t operations = std::variant_size_v<admin_request> - 1; // not monostate

template <std::size_t... I>
constexpr std::array<admin_decoder, sizeof...(I)> make_decoders(std::index_sequence<I...>) {
  return {&decode_as<std::variant_alternative_t<I + 1, admin_request>>...};
}
constexpr auto decoders = make_decoders(std::make_index_sequence<operations>{});

/// The next line of `in` (up to '\n', which is dropped); all of it if none.
std::string_view line(std::string_view& in) {
  auto nl = in.find('\n');
  auto out = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static json_body json;
  auto rest = sluice::fuzz::as_text(data + 1, size - 1);
  auto op = data[0] % operations;
  auto path_id = line(rest);
  auto query = parse_query(line(rest));
  admin_input in{path_id, query, rest, 1'700'000'000'000'000, json};
  admin_request req;
  auto p = decoders[op](in, req);
  if (p) {
    require(std::holds_alternative<std::monostate>(req), "a refusal leaves no request");
    require(!p.message.empty(), "a refusal names its problem");
  } else {
    require(req.index() == op + 1, "an accepted request has the operation's type");
  }
  return 0;
}
