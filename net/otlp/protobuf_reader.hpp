#pragma once

#include <memory>
#include <string_view>

#include "net/otlp/otlp.hpp"
#include "net/otlp/record.hpp"

namespace sluice::net::otlp {

/// Reads binary protobuf export requests. The request is parsed onto an arena
/// whose first block is kept between requests, so a typical request costs no
/// heap allocation for the parsed message; a large one takes more blocks,
/// which are freed when it is done.
class protobuf_reader {
public:
  protobuf_reader();
  ~protobuf_reader();
  protobuf_reader(const protobuf_reader&) = delete;
  protobuf_reader& operator=(const protobuf_reader&) = delete;

  /// As `otlp::decode` for encoding::protobuf; `out` is already cleared.
  problem read(signal s, std::string_view body, std::size_t max_records, record_builder& rb,
               decoded& out);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace sluice::net::otlp
