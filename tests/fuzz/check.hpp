#pragma once

// What every fuzz target shares: how an invariant that does not hold is
// reported (a message, then abort, which libFuzzer records as a crash with the
// input), and the JSON validity check the decoders' outputs are held to.

#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace sluice::fuzz {

/// Aborts with `what` when `ok` is false: a broken invariant is a crash.
inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

/// True when `text` is one complete, valid JSON document.
inline bool valid_json(std::string_view text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  return parser.parse(simdjson::padded_string{text}).get(doc) == simdjson::SUCCESS;
}

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

} // namespace sluice::fuzz
