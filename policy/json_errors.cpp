#include "policy/json_errors.hpp"

#include <string>

namespace sluice {

problem json_body_problem(simdjson::error_code err) {
  switch (err) {
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      // simdjson's NUMBER_ERROR also covers a malformed number: both cases.
      return make_problem(errc::malformed_json,
                          "the body holds a number Sluice cannot read: not a valid JSON number, "
                          "or an integer beyond 64 bits, or beyond the range of a double");
    default:
      return make_problem(errc::malformed_json, std::string{"the body is not valid JSON: "}
                                                  + simdjson::error_message(err));
  }
}

} // namespace sluice
