// Compressed request bodies (net/decompress): gzip and deflate inflated with
// a cap, as every ingest door does before decoding. The first byte picks the
// coding (bit 0) and the cap (the rest of it, times 64 bytes).
// Invariants: no crash, no UB, no leak; an accepted body is within the cap,
// and inflating stops one byte past it whatever the input claims (a
// decompression bomb is cut off).

#include <cstdint>
#include <string>

#include "net/decompress.hpp"
#include "tests/fuzz/check.hpp"

using sluice::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  static std::string out;
  auto coding =
    (data[0] & 1) ? sluice::net::content_coding::deflate : sluice::net::content_coding::gzip;
  auto cap = static_cast<std::size_t>(data[0] >> 1) * 64;
  auto p = sluice::net::inflate_body(coding, sluice::fuzz::as_text(data + 1, size - 1), cap, out);
  if (!p)
    require(out.size() <= cap, "an accepted body is within the cap");
  else if (p.code == sluice::errc::request_too_large)
    require(out.size() == cap + 1, "inflating stops one byte past the cap");
  else
    require(p.code == sluice::errc::invalid_argument, "too large or not a valid stream");
  return 0;
}
