#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// An IPv4 or IPv6 address. IPv4 addresses and IPv4-mapped IPv6 addresses
/// (::ffff:a.b.c.d) are the same address: both are held as IPv4.
struct ip_address {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{}; ///< IPv4 in bytes[0..3]

  friend bool operator==(const ip_address&, const ip_address&) = default;
};

/// Parses "192.0.2.7", "2001:db8::1", "::ffff:192.0.2.7" (no port, no zone,
/// no brackets; leading zeros in IPv4 octets refused). nullopt otherwise.
std::optional<ip_address> parse_ip(std::string_view text) noexcept;
/// Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest run of
/// zero groups as "::").
std::string to_string(const ip_address& a);

/// A CIDR range; a plain address is a /32 (IPv4) or /128 (IPv6) range.
struct cidr {
  ip_address network; ///< host bits cleared
  std::uint8_t prefix = 0;

  bool contains(const ip_address& a) const noexcept;
  friend bool operator==(const cidr&, const cidr&) = default;
};

/// Parses "10.0.0.0/8", "2001:db8::/32" or a plain address. Host bits set
/// below the prefix ("10.0.0.1/8") are refused (a typo more often than not),
/// as is a prefix beyond 32 / 128.
std::optional<cidr> parse_cidr(std::string_view text) noexcept;
/// Canonical text: "10.0.0.0/8"; a full-length range prints as the address.
std::string to_string(const cidr& c);

/// An IP allowlist: empty allows every address.
class ip_allowlist {
public:
  ip_allowlist() = default;
  explicit ip_allowlist(std::vector<cidr> ranges) : ranges_(std::move(ranges)) {}

  /// Entries a token's allowlist may hold.
  static constexpr std::size_t max_entries = 100;

  /// Parses every entry; on the first bad one returns nullopt and sets `bad`
  /// to it. At most `limit` entries: more is an error too, with `bad` empty
  /// (tell it from an empty entry by the size of `entries`).
  static std::optional<ip_allowlist> parse(const std::vector<std::string>& entries,
                                           std::string& bad, std::size_t limit = max_entries);
  /// What parse() refused, worded to follow the setting's name: "has more
  /// than 100 entries", or "has \"x\", which is not an IP address or CIDR
  /// range" (the same `entries`, `bad` and `limit`).
  static std::string problem(const std::vector<std::string>& entries, const std::string& bad,
                             std::size_t limit = max_entries);

  bool empty() const noexcept { return ranges_.empty(); }
  bool allows(const ip_address& a) const noexcept;
  /// Allows the address in `text`; an address that does not parse is refused
  /// unless the list is empty.
  bool allows(std::string_view text) const noexcept;
  const std::vector<cidr>& ranges() const noexcept { return ranges_; }
  /// Canonical entries, in order.
  std::vector<std::string> to_strings() const;

  friend bool operator==(const ip_allowlist&, const ip_allowlist&) = default;

private:
  std::vector<cidr> ranges_;
};

/// The client's address of a request: the socket peer, unless the peer is a
/// trusted proxy; then the right-most address of X-Forwarded-For that is not
/// a trusted proxy (entries right of it were added by trusted proxies; those
/// left of it are the client's word and could be forged). When every entry is
/// trusted, the left-most one; when the header is absent or an entry does not
/// parse, the peer. `xff` is the header's value (several headers joined with
/// ", "); entries are separated by commas with optional spaces.
std::string client_ip(std::string_view peer, std::string_view xff,
                      const ip_allowlist& trusted_proxies);

} // namespace sluice
