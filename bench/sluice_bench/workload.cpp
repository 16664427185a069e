#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

std::string_view to_string(token_class c) noexcept {
  switch (c) {
    case token_class::normal: return "normal";
    case token_class::limited: return "limited";
    case token_class::revoked: return "revoked";
    case token_class::invalid: return "invalid";
  }
  return "?";
}

std::optional<token_class> parse_token_class(std::string_view s) noexcept {
  for (auto c :
       {token_class::normal, token_class::limited, token_class::revoked, token_class::invalid})
    if (to_string(c) == s)
      return c;
  return std::nullopt;
}

std::string format_bseq(std::string_view run_id, std::uint64_t key) {
  std::string out{run_id};
  out += "-c";
  out.append(conn_digits, '0');
  write_fixed(out.data() + out.size() - conn_digits, key >> (req_bits + msg_bits), conn_digits);
  out += "-r";
  out.append(req_digits, '0');
  write_fixed(out.data() + out.size() - req_digits, (key >> msg_bits) & ((1ull << req_bits) - 1),
              req_digits);
  out += "-m";
  out.append(msg_digits, '0');
  write_fixed(out.data() + out.size() - msg_digits, key & ((1ull << msg_bits) - 1), msg_digits);
  return out;
}

std::optional<std::uint64_t> parse_bseq(std::string_view run_id, std::string_view s) noexcept {
  constexpr std::size_t size = run_id_chars + 2 + conn_digits + 2 + req_digits + 2 + msg_digits;
  if (s.size() != size || s.substr(0, run_id_chars) != run_id)
    return std::nullopt;
  std::size_t pos = run_id_chars;
  auto field = [&](char tag, std::size_t width, std::uint64_t& out) {
    if (s[pos] != '-' || s[pos + 1] != tag)
      return false;
    pos += 2;
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + width, out);
    pos += width;
    return ec == std::errc{} && end == s.data() + pos;
  };
  std::uint64_t conn = 0, req = 0, msg = 0;
  if (!field('c', conn_digits, conn) || !field('r', req_digits, req)
      || !field('m', msg_digits, msg))
    return std::nullopt;
  if (conn >= (1ull << conn_bits) || req >= (1ull << req_bits) || msg >= (1ull << msg_bits))
    return std::nullopt;
  return seq_key(static_cast<std::uint32_t>(conn), static_cast<std::uint32_t>(req),
                 static_cast<std::uint32_t>(msg));
}

} // namespace sluice::bench
