#pragma once

#include <simdjson.h>

#include "policy/errors.hpp"

namespace sluice {

/// The refusal of a body simdjson could not read: `malformed_json`, saying
/// why. A number simdjson cannot hold (an integer beyond 64 bits, a double
/// beyond its range) is valid JSON, so its text says that rather than "not
/// valid JSON": a client reading the message looks for a number, not a
/// syntax error.
problem json_body_problem(simdjson::error_code err);

} // namespace sluice
