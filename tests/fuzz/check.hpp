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

/// True when `text` is one complete, valid JSON document. An integer too
/// large for 64 bits is valid JSON (RFC 8259 sets no range) but simdjson's DOM
/// refuses it (NUMBER_ERROR) and stops there: such a document counts as valid,
/// unchecked past that number.
inline bool valid_json(std::string_view text) {
  static simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto err = parser.parse(simdjson::padded_string{text}).get(doc);
  return err == simdjson::SUCCESS || err == simdjson::NUMBER_ERROR;
}

/// The input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

} // namespace sluice::fuzz
