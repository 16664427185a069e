// Langfuse ingestion bodies (net/langfuse): POST /api/public/ingestion.
// Invariants: no crash, no UB, no leak; a decoded batch holds at most
// max_events messages, each valid JSON inside the batch's bytes, with one id
// per message; the 207 answer is valid JSON; a refused body stores nothing.

#include <cstdint>
#include <string>
#include <vector>

#include "net/langfuse.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t max_events = 100;
  sluice::net::langfuse_batch out;
  if (auto p = sluice::net::decode_langfuse(sluice::fuzz::as_text(data, size), max_events, out)) {
    require(out.batch.items.empty(), "a refused body stores nothing");
    return 0;
  }
  const auto& batch = out.batch;
  require(batch.items.size() <= max_events, "no more than max_events messages");
  require(out.ids.size() == batch.items.size(), "one id per message");
  for (const auto& m : batch.items) {
    require(std::size_t{m.body_offset} + m.body_size <= batch.bytes.size(), "body inside bytes");
    require(std::size_t{m.id_offset} + m.id_size <= batch.bytes.size(), "id inside bytes");
    require(sluice::fuzz::valid_json(batch.body(m)), "a stored event is valid JSON");
  }
  require(sluice::fuzz::valid_json(sluice::net::langfuse_response(out, {}, 0, "")),
          "the answer is valid JSON");
  if (!batch.items.empty()) {
    std::vector<std::uint32_t> dropped{0};
    require(sluice::fuzz::valid_json(
              sluice::net::langfuse_response(out, dropped, 429, "rate \"limited\"")),
            "an answer with a dropped event is valid JSON");
  }
  return 0;
}
