// OTLP/HTTP export requests (net/otlp), logs and traces, protobuf and JSON,
// through one reused decoder as the ingest path does. The first byte picks
// the signal (bit 0) and the encoding (bit 1); the rest is the body.
// Invariants: no crash, no UB, no leak; a decoded batch holds at most
// max_records records, each a valid JSON object inside the batch's bytes, with
// no dedup id; the answer encodes; a refused request stores nothing.

#include <cstdint>
#include <string>

#include "net/otlp/otlp.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;
namespace otlp = sluice::net::otlp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  constexpr std::size_t max_records = 200;
  static otlp::decoder decoder;
  static otlp::decoded out;
  auto signal = (data[0] & 1) ? otlp::signal::traces : otlp::signal::logs;
  auto encoding = (data[0] & 2) ? otlp::encoding::json : otlp::encoding::protobuf;
  auto body = sluice::fuzz::as_text(data + 1, size - 1);
  if (auto p = decoder.decode(signal, encoding, body, max_records, out)) {
    require(out.batch.items.empty(), "a refused request stores nothing");
    (void)otlp::encode_status(3, p.message);
    return 0;
  }
  const auto& batch = out.batch;
  require(batch.items.size() <= max_records, "no more than max_records records");
  for (const auto& m : batch.items) {
    require(std::size_t{m.body_offset} + m.body_size <= batch.bytes.size(), "body inside bytes");
    require(m.id_size == 0, "OTLP records carry no dedup id");
    auto record = batch.body(m);
    require(!record.empty() && record.front() == '{', "a record is an object");
    require(sluice::fuzz::valid_json(record), "a stored record is valid JSON");
  }
  auto answer = otlp::encode_response(signal, encoding, out.rejected, out.first_error);
  if (encoding == otlp::encoding::json)
    require(sluice::fuzz::valid_json(answer), "a JSON answer is valid JSON");
  return 0;
}
