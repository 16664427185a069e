#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sluice::net {

/// Decodes %XX escapes and '+' (as space, form style); nullopt on a bad escape.
std::optional<std::string> percent_decode(std::string_view s);

/// `path` with its %XX escapes decoded into `out` (replacing what it held);
/// '+' and escapes that are not two hex digits stay as sent. For the access
/// log, whose redaction must see a secret sent encoded (`%61l_…`).
void decode_path_escapes(std::string_view path, std::string& out);

/// `text` as `redact` shows it, also when a secret in it was sent
/// percent-encoded (`/x%61l_…`): when decoding the %XX escapes lets `redact`
/// find one that it did not find before, the decoded text is redacted and
/// every byte that is not printable ASCII or a space (and '%') is escaped
/// again; otherwise `redact(text)`. For what an error echoes of a request.
std::string redact_encoded(std::string_view text, std::string (*redact)(std::string_view));

/// Splits a query string ("a=1&b=x%20y") into decoded pairs, in order. Pairs
/// with bad escapes are dropped; a key without '=' gets an empty value.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);

/// The decoded value of the first `name` in `query`; nullopt when absent.
std::optional<std::string> query_param(std::string_view query, std::string_view name);

/// Why a query is refused: a parameter the endpoint does not define, or one
/// given more than once (which of two values would count is not a guess a
/// server should make: `?limit=5&limit=500`).
struct query_refusal {
  std::string name; ///< decoded; as sent when it does not decode
  bool repeated = false;
};

/// The first parameter of `query` that is not one of `allowed` (names
/// separated by single spaces) or repeats one given before; nullopt when
/// neither. The one rule of both ports: a parameter an endpoint does not
/// define is refused, never ignored, and each is given at most once.
std::optional<query_refusal> refused_query_param(std::string_view query, std::string_view allowed);

} // namespace sluice::net
