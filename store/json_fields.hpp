#pragma once

// Reading the JSON that the metadata store keeps (records, audit events):
// one parser per thread and the readers of plain field values. Private to
// store/.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sluice::store {

/// This thread's parser: records and events are decoded on whichever thread
/// asks (token lookups, queries), and a parser reuses its buffers between
/// documents. A document lives until the next parse on this thread.
simdjson::dom::parser& thread_parser();

/// Field readers: each returns false when the value has the wrong type (or,
/// for int, is out of range), which makes the whole record or event
/// malformed; a wrong type is never silently defaulted.
bool read(simdjson::dom::element v, std::uint64_t& out);
bool read(simdjson::dom::element v, std::int64_t& out);
bool read(simdjson::dom::element v, int& out);
bool read(simdjson::dom::element v, bool& out);
bool read(simdjson::dom::element v, std::string& out);
bool read(simdjson::dom::element v, std::vector<std::string>& out);

} // namespace sluice::store
