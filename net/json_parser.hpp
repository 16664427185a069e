#pragma once

// One simdjson DOM parser per I/O thread for the ingest doors that read a
// whole document (Langfuse batches, webhook deliveries). A parser keeps its
// buffers at the size of the largest document it has read (up to the body
// cap), so the doors share one per thread rather than holding one each.

#include <simdjson.h>

namespace sluice::net {

/// This thread's parser. A document it returns lives until the next parse on
/// this thread: callers finish with one before parsing another.
simdjson::dom::parser& thread_json_parser();

} // namespace sluice::net
