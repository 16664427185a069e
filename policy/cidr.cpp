#include "policy/cidr.hpp"

#include "policy/hex.hpp"

namespace sluice {

namespace {

constexpr std::uint8_t v4_bits = 32;
constexpr std::uint8_t v6_bits = 128;

// The 12-byte head of an IPv4-mapped IPv6 address (::ffff:0:0/96).
constexpr std::uint8_t mapped_prefix_bits = 96;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// Exactly four decimal octets separated by dots. A leading zero is refused:
// some parsers read "010" as octal 8, so "010.0.0.1" means different
// addresses to different programs.
bool parse_v4(std::string_view s, std::uint8_t* out) noexcept {
  std::size_t pos = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (pos >= s.size() || s[pos] != '.')
        return false;
      ++pos;
    }
    auto start = pos;
    unsigned value = 0;
    while (pos < s.size() && is_digit(s[pos]) && pos - start < 3)
      value = value * 10 + static_cast<unsigned>(s[pos++] - '0');
    auto n = pos - start;
    if (n == 0 || (n > 1 && s[start] == '0') || value > 255)
      return false;
    out[octet] = static_cast<std::uint8_t>(value);
  }
  return pos == s.size();
}

// RFC 4291 section 2.2 text: eight groups of 1 to 4 hex digits, at most one
// "::" standing for one or more zero groups, optionally ending in a dotted
// quad that fills the last two groups.
bool parse_v6(std::string_view s, std::array<std::uint8_t, 16>& out) noexcept {
  std::array<std::uint16_t, 8> groups{};
  std::size_t count = 0;          // groups read, the embedded quad counting two
  std::optional<std::size_t> gap; // how many groups precede "::", if any
  std::size_t pos = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = 0;
    pos = 2;
  }
  while (pos < s.size()) {
    auto colon = s.find(':', pos);
    auto segment = s.substr(pos, colon == std::string_view::npos ? s.size() - pos : colon - pos);
    if (segment.find('.') != std::string_view::npos) {
      // The dotted quad may only be the very last thing.
      std::uint8_t quad[4];
      if (colon != std::string_view::npos || count + 2 > 8 || !parse_v4(segment, quad))
        return false;
      groups[count++] = static_cast<std::uint16_t>(quad[0] << 8 | quad[1]);
      groups[count++] = static_cast<std::uint16_t>(quad[2] << 8 | quad[3]);
      break;
    }
    if (segment.empty() || segment.size() > 4 || count == 8)
      return false;
    unsigned value = 0;
    for (auto c : segment) {
      auto h = hex::digit_value(c);
      if (h < 0)
        return false;
      value = value << 4 | static_cast<unsigned>(h);
    }
    groups[count++] = static_cast<std::uint16_t>(value);
    pos += segment.size();
    if (pos == s.size())
      break;
    ++pos; // the colon
    if (pos < s.size() && s[pos] == ':') {
      if (gap)
        return false; // a second "::" would make the address ambiguous
      gap = count;
      ++pos;
    } else if (pos == s.size()) {
      return false; // "1:2:" ends in a lone colon
    }
  }
  if (gap ? count > 7 : count != 8)
    return false;
  // Slide the groups after the gap to the end; the gap is zeros.
  std::array<std::uint16_t, 8> full{};
  for (std::size_t i = 0; i < count; ++i)
    full[!gap || i < *gap ? i : i + (8 - count)] = groups[i];
  for (std::size_t i = 0; i < 8; ++i) {
    out[2 * i] = static_cast<std::uint8_t>(full[i] >> 8);
    out[2 * i + 1] = static_cast<std::uint8_t>(full[i] & 0xff);
  }
  return true;
}

bool is_v4_mapped(const std::array<std::uint8_t, 16>& b) noexcept {
  for (std::size_t i = 0; i < 10; ++i)
    if (b[i] != 0)
      return false;
  return b[10] == 0xff && b[11] == 0xff;
}

struct parsed_ip {
  ip_address address;
  bool mapped = false; ///< written as IPv6, held as IPv4
};

std::optional<parsed_ip> parse_ip_text(std::string_view text) noexcept {
  parsed_ip p;
  if (text.find(':') == std::string_view::npos) {
    if (!parse_v4(text, p.address.bytes.data()))
      return std::nullopt;
    return p;
  }
  std::array<std::uint8_t, 16> b{};
  if (!parse_v6(text, b))
    return std::nullopt;
  if (is_v4_mapped(b)) {
    for (std::size_t i = 0; i < 4; ++i)
      p.address.bytes[i] = b[12 + i];
    p.mapped = true;
    return p;
  }
  p.address.v6 = true;
  p.address.bytes = b;
  return p;
}

constexpr std::uint8_t full_bits(const ip_address& a) noexcept { return a.v6 ? v6_bits : v4_bits; }

// Whether the first `prefix` bits of a and b agree.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 std::uint8_t prefix) noexcept {
  std::size_t whole = prefix / 8;
  for (std::size_t i = 0; i < whole; ++i)
    if (a[i] != b[i])
      return false;
  unsigned rest = prefix % 8;
  if (rest == 0)
    return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

bool host_bits_clear(const ip_address& a, std::uint8_t prefix) noexcept {
  std::size_t bytes = full_bits(a) / 8;
  for (std::size_t i = 0; i < bytes; ++i) {
    unsigned first_bit = static_cast<unsigned>(i) * 8;
    std::uint8_t host_mask = 0xff;
    if (first_bit + 8 <= prefix)
      host_mask = 0;
    else if (first_bit < prefix)
      host_mask = static_cast<std::uint8_t>(0xff >> (prefix - first_bit));
    if ((a.bytes[i] & host_mask) != 0)
      return false;
  }
  return true;
}

// A prefix length: decimal, no sign, no leading zero ("/08" is a typo).
std::optional<std::uint8_t> parse_prefix(std::string_view s) noexcept {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0'))
    return std::nullopt;
  unsigned v = 0;
  for (auto c : s) {
    if (!is_digit(c))
      return std::nullopt;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > v6_bits)
    return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back()))
    s.remove_suffix(1);
  return s;
}

// Membership in a list of proxies. Unlike ip_allowlist::allows, an empty list
// holds nobody: with no proxy configured no one may speak for the client.
bool is_trusted(const ip_allowlist& proxies, const ip_address& a) noexcept {
  for (auto& range : proxies.ranges())
    if (range.contains(a))
      return true;
  return false;
}

} // namespace

std::optional<ip_address> parse_ip(std::string_view text) noexcept {
  auto p = parse_ip_text(text);
  if (!p)
    return std::nullopt;
  return p->address;
}

std::string to_string(const ip_address& a) {
  std::string out;
  if (!a.v6) {
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0)
        out.push_back('.');
      out += std::to_string(a.bytes[i]);
    }
    return out;
  }
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i)
    groups[i] = static_cast<unsigned>(a.bytes[2 * i]) << 8 | a.bytes[2 * i + 1];
  // RFC 5952 section 4.2: "::" replaces the longest run of two or more zero
  // groups, the first one when runs tie.
  std::size_t best_at = 8, best_len = 1;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    auto start = i;
    while (i < 8 && groups[i] == 0)
      ++i;
    if (i - start > best_len) {
      best_at = start;
      best_len = i - start;
    }
  }
  constexpr std::string_view digits = "0123456789abcdef";
  for (std::size_t i = 0; i < 8;) {
    if (i == best_at) {
      out += "::";
      i += best_len;
      continue;
    }
    if (!out.empty() && out.back() != ':')
      out.push_back(':');
    // Leading zeros dropped (RFC 5952 section 4.1).
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      auto nibble = (groups[i] >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        out.push_back(digits[nibble]);
        started = true;
      }
    }
    ++i;
  }
  return out;
}

bool cidr::contains(const ip_address& a) const noexcept {
  return a.v6 == network.v6 && same_prefix(network.bytes, a.bytes, prefix);
}

std::optional<cidr> parse_cidr(std::string_view text) noexcept {
  auto slash = text.find('/');
  auto p = parse_ip_text(text.substr(0, slash));
  if (!p)
    return std::nullopt;
  cidr c;
  c.network = p->address;
  c.prefix = full_bits(c.network);
  if (slash != std::string_view::npos) {
    auto prefix = parse_prefix(text.substr(slash + 1));
    if (!prefix)
      return std::nullopt;
    if (p->mapped) {
      // "::ffff:10.0.0.0/104" is 10.0.0.0/8. A shorter prefix would take in
      // the ffff bits, which are set: host bits, refused like any other.
      if (*prefix < mapped_prefix_bits)
        return std::nullopt;
      *prefix = static_cast<std::uint8_t>(*prefix - mapped_prefix_bits);
    }
    if (*prefix > full_bits(c.network))
      return std::nullopt;
    c.prefix = *prefix;
  }
  if (!host_bits_clear(c.network, c.prefix))
    return std::nullopt;
  return c;
}

std::string to_string(const cidr& c) {
  auto out = to_string(c.network);
  if (c.prefix != full_bits(c.network)) {
    out.push_back('/');
    out += std::to_string(c.prefix);
  }
  return out;
}

std::optional<ip_allowlist> ip_allowlist::parse(const std::vector<std::string>& entries,
                                                std::string& bad, std::size_t limit) {
  if (entries.size() > limit) {
    bad.clear();
    return std::nullopt;
  }
  std::vector<cidr> ranges;
  ranges.reserve(entries.size());
  for (auto& entry : entries) {
    auto c = parse_cidr(entry);
    if (!c) {
      bad = entry;
      return std::nullopt;
    }
    ranges.push_back(*c);
  }
  return ip_allowlist{std::move(ranges)};
}

std::string ip_allowlist::problem(const std::vector<std::string>& entries, const std::string& bad,
                                  std::size_t limit) {
  // An empty `bad` is also what an empty entry leaves: the size tells.
  if (entries.size() > limit)
    return "has more than " + std::to_string(limit) + " entries";
  return "has \"" + bad + "\", which is not an IP address or CIDR range";
}

bool ip_allowlist::allows(const ip_address& a) const noexcept {
  if (ranges_.empty())
    return true;
  for (auto& range : ranges_)
    if (range.contains(a))
      return true;
  return false;
}

bool ip_allowlist::allows(std::string_view text) const noexcept {
  if (ranges_.empty())
    return true;
  auto a = parse_ip(text);
  return a && allows(*a);
}

std::vector<std::string> ip_allowlist::to_strings() const {
  std::vector<std::string> out;
  out.reserve(ranges_.size());
  for (auto& range : ranges_)
    out.push_back(to_string(range));
  return out;
}

std::string client_ip(std::string_view peer, std::string_view xff,
                      const ip_allowlist& trusted_proxies) {
  auto from = parse_ip(peer);
  if (!from || !is_trusted(trusted_proxies, *from))
    return std::string{peer};
  if (trim_blanks(xff).empty())
    return std::string{peer};
  // Walk from the right: each trusted proxy appended the address it saw. The
  // first untrusted one is the client as the nearest trusted proxy saw it;
  // everything left of it came from the client and is never looked at, so a
  // forged entry, garbage or not, cannot change the answer.
  ip_address leftmost;
  auto rest = xff;
  while (true) {
    auto comma = rest.rfind(',');
    auto entry = trim_blanks(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    auto a = parse_ip(entry);
    if (!a)
      return std::string{peer};
    if (!is_trusted(trusted_proxies, *a))
      return to_string(*a);
    leftmost = *a;
    if (comma == std::string_view::npos)
      break;
    rest = rest.substr(0, comma);
  }
  // Every hop is a proxy of ours: the first one is as close to the client as
  // we can know.
  return to_string(leftmost);
}

} // namespace sluice
