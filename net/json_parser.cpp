#include "net/json_parser.hpp"

namespace sluice::net {

simdjson::dom::parser& thread_json_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

} // namespace sluice::net
