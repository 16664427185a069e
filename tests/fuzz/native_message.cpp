// Native ingest bodies (POST /messages) through policy/message's validator,
// as the ingest path runs it: one parser reused from request to request.
// Invariants: no crash, no UB, no leak; an accepted batch holds at most
// max_batch messages, every message body is valid JSON (an object) and lies
// inside the batch's bytes, ids are at most max_message_id_bytes; a refusal's
// details are valid JSON; an accepted body is accepted again, identically.

#include <cstdint>
#include <string>

#include "policy/message.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;

namespace {

constexpr std::size_t max_batch = 50;

void check_batch(const sluice::message_batch& batch) {
  require(batch.items.size() <= max_batch, "no more than max_batch messages");
  for (const auto& m : batch.items) {
    require(std::size_t{m.body_offset} + m.body_size <= batch.bytes.size(), "body inside bytes");
    require(std::size_t{m.id_offset} + m.id_size <= batch.bytes.size(), "id inside bytes");
    require(m.id_size <= sluice::max_message_id_bytes, "id within its bound");
    auto body = batch.body(m);
    require(!body.empty() && body.front() == '{', "a message body is an object");
    require(sluice::fuzz::valid_json(body), "a stored body is valid JSON");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static sluice::message_parser parser;
  static sluice::message_batch batch;
  auto text = sluice::fuzz::as_text(data, size);
  auto p = parser.parse(text, max_batch, batch);
  if (p) {
    require(batch.items.empty(), "a refused batch stores nothing");
    if (!p.details_json.empty())
      require(sluice::fuzz::valid_json(p.details_json), "details are valid JSON");
    return 0;
  }
  check_batch(batch);
  // Parsing the same body again gives the same batch (the parser's reused
  // buffers carry nothing over).
  sluice::message_batch again;
  require(!parser.parse(text, max_batch, again), "an accepted body is accepted again");
  require(again.bytes == batch.bytes && again.items.size() == batch.items.size(),
          "the same body gives the same batch");
  return 0;
}
