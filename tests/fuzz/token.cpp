// Token and id parsing: secret format checks (policy/token_format), public
// ids (policy/ids), base62, IP addresses and CIDR ranges (policy/cidr), and
// the redaction of secrets from paths (net/auth). The input is tried as each.
// Invariants: no crash, no UB; a secret that passes the format check has its
// kind's prefix and exact length (so has_secret_shape takes it), and a
// changed checksum character fails it;
// ids, addresses and ranges that parse format back to text that parses to the
// same value (and an id to the very same bytes); a redacted path keeps no
// segment that looks like a secret.

#include <cstdint>
#include <string>

#include "net/auth.hpp"
#include "policy/base62.hpp"
#include "policy/cidr.hpp"
#include "policy/ids.hpp"
#include "policy/token_format.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto text = sluice::fuzz::as_text(data, size);

  if (auto kind = sluice::check_secret_format(text)) {
    auto prefix = sluice::token_prefix(*kind);
    require(text.substr(0, prefix.size()) == prefix, "a secret starts with its kind's prefix");
    require(text.size() == prefix.size() + sluice::entropy_chars + sluice::checksum_chars,
            "a secret has its exact length");
    require(sluice::looks_like_secret(text), "a valid secret looks like one");
    // The gateway hashes only what has the shape (actors/app/runtime.cpp).
    require(sluice::has_secret_shape(text), "a valid secret has the shape the gateway hashes");
    std::string changed{text};
    auto& last = changed.back();
    last = last == 'A' ? 'B' : 'A';
    require(!sluice::check_secret_format(changed), "a changed checksum fails");
  }
  (void)sluice::display_hint(text);
  if (auto kind = sluice::parse_token_kind(text))
    require(sluice::to_string(*kind) == text, "a token kind names itself");

  for (auto k : {sluice::id_kind::tenant, sluice::id_kind::user, sluice::id_kind::system,
                 sluice::id_kind::token, sluice::id_kind::approval, sluice::id_kind::event,
                 sluice::id_kind::message})
    if (auto id = sluice::parse_id(k, text))
      require(sluice::format_id(k, *id) == text, "an id formats back to the same bytes");

  if (auto n = sluice::base62::decode(text))
    require(sluice::base62::decode(sluice::base62::encode_fixed(*n, text.size())) == n,
            "base62 round trip");

  if (auto ip = sluice::parse_ip(text)) {
    auto again = sluice::parse_ip(sluice::to_string(*ip));
    require(again && *again == *ip, "an address round-trips through its canonical text");
  }
  if (auto range = sluice::parse_cidr(text)) {
    auto again = sluice::parse_cidr(sluice::to_string(*range));
    require(again && *again == *range, "a range round-trips through its canonical text");
    require(range->contains(range->network), "a range contains its network address");
  }
  // As an X-Forwarded-For header behind a trusted proxy.
  static const sluice::ip_allowlist trusted{{*sluice::parse_cidr("127.0.0.0/8")}};
  (void)sluice::client_ip("127.0.0.1", text, trusted);

  auto redacted = sluice::net::path_without_secrets(text);
  std::string_view rest = redacted;
  while (!rest.empty()) {
    auto slash = rest.find('/');
    auto segment = rest.substr(0, slash);
    require(!sluice::looks_like_secret(segment), "no secret left in a redacted path");
    if (slash == std::string_view::npos)
      break;
    rest.remove_prefix(slash + 1);
  }
  return 0;
}
