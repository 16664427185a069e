// Webhook deliveries (net/webhook): any JSON, Event Grid and CloudEvents
// recognised. Invariants: no crash, no UB, no leak; a decoded batch holds at
// most max_messages messages, each valid JSON inside the batch's bytes; a
// refused body stores nothing; a validation code, when found, is reported
// only for JSON that decodes.

#include <cstdint>
#include <string>

#include "net/webhook.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t max_messages = 100;
  static sluice::message_batch out;
  auto body = sluice::fuzz::as_text(data, size);
  auto code = sluice::net::event_grid_validation_code(body);
  if (auto p = sluice::net::decode_webhook(body, max_messages, out)) {
    require(out.items.empty(), "a refused body stores nothing");
    if (p.code == sluice::errc::malformed_json)
      require(!code, "no validation code in a body that is not JSON");
    return 0;
  }
  require(out.items.size() <= max_messages, "no more than max_messages messages");
  for (const auto& m : out.items) {
    require(std::size_t{m.body_offset} + m.body_size <= out.bytes.size(), "body inside bytes");
    require(std::size_t{m.id_offset} + m.id_size <= out.bytes.size(), "id inside bytes");
    require(sluice::fuzz::valid_json(out.body(m)), "a stored delivery is valid JSON");
  }
  return 0;
}
