#pragma once

#include <memory>
#include <string_view>

#include "net/otlp/otlp.hpp"
#include "net/otlp/record.hpp"

namespace sluice::net::otlp {

/// Reads OTLP/JSON export requests: protobuf's JSON mapping with OTLP's
/// changes (ids in hex, enums as integers, lowerCamelCase keys only). Holds a
/// simdjson parser and a padded copy buffer that grow to the largest body seen.
class json_reader {
public:
  json_reader();
  ~json_reader();
  json_reader(const json_reader&) = delete;
  json_reader& operator=(const json_reader&) = delete;

  /// As `otlp::decode` for encoding::json; `out` is already cleared.
  problem read(signal s, std::string_view body, std::size_t max_records, record_builder& rb,
               decoded& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::net::otlp
