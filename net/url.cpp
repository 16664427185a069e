#include "net/url.hpp"

#include <cstdint>

#include "policy/hex.hpp"

namespace sluice::net {

namespace {

/// The byte of the escape "%XY" at s[i], or -1 when s[i] starts none.
int escaped_byte(std::string_view s, std::size_t i) noexcept {
  if (s[i] != '%' || i + 2 >= s.size())
    return -1;
  auto hi = hex::digit_value(s[i + 1]);
  auto lo = hex::digit_value(s[i + 2]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

} // namespace

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      auto b = escaped_byte(s, i);
      if (b < 0)
        return std::nullopt;
      out.push_back(static_cast<char>(b));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

void decode_path_escapes(std::string_view path, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (auto b = escaped_byte(path, i); b >= 0) {
      out.push_back(static_cast<char>(b));
      i += 2;
    } else {
      out.push_back(path[i]);
    }
  }
}

std::string redact_encoded(std::string_view text, std::string (*redact)(std::string_view)) {
  auto plain = redact(text);
  if (text.find('%') == std::string_view::npos)
    return plain;
  std::string decoded;
  decode_path_escapes(text, decoded);
  auto redacted = redact(decoded);
  if (redacted == decoded)
    return plain;
  std::string out;
  out.reserve(redacted.size());
  constexpr char hex[] = "0123456789ABCDEF";
  for (unsigned char c : redacted) {
    if (c >= 0x20 && c < 0x7f && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto eq = part.find('=');
    auto key = percent_decode(part.substr(0, eq));
    auto value =
      percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
    if (key && value)
      out.emplace_back(std::move(*key), std::move(*value));
  }
  return out;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = part.find('=');
    if (part.substr(0, eq) != name)
      continue;
    return percent_decode(eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1));
  }
  return std::nullopt;
}

std::optional<query_refusal> refused_query_param(std::string_view query, std::string_view allowed) {
  // Bit i: the i-th name of `allowed` was given (lists hold a dozen at most;
  // a name past the 64th is not checked for repeats).
  std::uint64_t given = 0;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (part.empty())
      continue;
    auto raw = part.substr(0, part.find('='));
    auto name = percent_decode(raw);
    if (!name)
      return query_refusal{std::string{raw}};
    std::size_t index = 0;
    bool known = false;
    for (auto rest = allowed; !rest.empty(); ++index) {
      auto sp = rest.find(' ');
      if (rest.substr(0, sp) == *name) {
        known = true;
        break;
      }
      rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    }
    if (!known)
      return query_refusal{std::move(*name)};
    if (index < 64) {
      auto bit = std::uint64_t{1} << index;
      if (given & bit)
        return query_refusal{std::move(*name), true};
      given |= bit;
    }
  }
  return std::nullopt;
}

} // namespace sluice::net
