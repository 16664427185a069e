#include "policy/message.hpp"

#include <simdjson.h>

#include <array>
#include <cmath>
#include <cstring>

#include "policy/json_writer.hpp"
#include "policy/time.hpp"
#include "policy/json_errors.hpp"

namespace sluice {

namespace {

constexpr std::array<std::string_view, 5> source_names = {
  "native", "otlp_logs", "otlp_traces", "langfuse", "webhook",
};
constexpr std::array<std::string_view, 6> level_names = {
  "none", "debug", "info", "warn", "error", "fatal",
};

// Errors listed in a 400 body; beyond this only the count is reported.
constexpr std::size_t max_listed_errors = 100;

// Deepest nesting accepted inside a message (simdjson's default is 1024).
constexpr std::size_t max_depth = 256;

using simdjson::error_code;
namespace od = simdjson::ondemand;

// Visits every value below `v` so that simdjson validates all of it (on-demand
// parsing checks only what is read). Returns the first error.
error_code validate(od::value v, std::size_t depth) {
  if (depth > max_depth)
    return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto err = v.type().get(type))
    return err;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto err = v.get_object().get(obj))
        return err;
      for (auto field : obj) {
        std::string_view key;
        if (auto err = field.unescaped_key().get(key))
          return err;
        od::value child;
        if (auto err = field.value().get(child))
          return err;
        if (auto err = validate(child, depth + 1))
          return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto err = v.get_array().get(arr))
        return err;
      for (auto el : arr) {
        od::value child;
        if (auto err = el.get(child))
          return err;
        if (auto err = validate(child, depth + 1))
          return err;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return v.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto err = v.is_null().get(is_null))
        return err;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::INCORRECT_TYPE;
}

// Why one message is invalid; empty when it is fine.
struct verdict {
  std::string_view reason; // static text
};

} // namespace

std::string_view to_string(message_source s) noexcept {
  return source_names[static_cast<std::size_t>(s)];
}

std::optional<message_source> parse_message_source(std::string_view s) noexcept {
  for (std::size_t i = 0; i < source_names.size(); ++i)
    if (source_names[i] == s)
      return static_cast<message_source>(i);
  return std::nullopt;
}

std::string_view to_string(message_level l) noexcept {
  return level_names[static_cast<std::size_t>(l)];
}

std::optional<message_level> parse_message_level(std::string_view s) noexcept {
  for (std::size_t i = 1; i < level_names.size(); ++i)
    if (level_names[i] == s)
      return static_cast<message_level>(i);
  return std::nullopt;
}

struct message_parser::impl {
  od::parser parser;
  std::string padded;     // the body plus SIMDJSON_PADDING zero bytes
  std::string id_scratch; // the current message's id until its body is placed
  std::string details;    // the JSON array of errors of the current body
  std::size_t bad = 0;    // invalid messages in the current body

  void reject(std::size_t index, std::string_view reason) {
    if (bad++ >= max_listed_errors)
      return;
    if (bad > 1)
      details.push_back(',');
    json_writer w{details};
    w.begin_object()
      .field("index", static_cast<std::uint64_t>(index))
      .field("error", reason)
      .end_object();
  }

  // Reads one message; on a JSON error returns it (the body is malformed),
  // otherwise either appends the message to `out` or records why it is bad.
  error_code one(od::value v, std::size_t index, message_batch& out);
};

error_code message_parser::impl::one(od::value v, std::size_t index, message_batch& out) {
  od::json_type type;
  if (auto err = v.type().get(type))
    return err;
  if (type != od::json_type::object) {
    if (auto err = validate(v, 1))
      return err;
    reject(index, "a message must be a JSON object");
    return simdjson::SUCCESS;
  }
  od::object obj;
  if (auto err = v.get_object().get(obj))
    return err;

  parsed_message m;
  bool has_message = false;
  std::string_view problem_text;
  id_scratch.clear();
  auto fail = [&](std::string_view why) {
    if (problem_text.empty())
      problem_text = why;
  };
  // Each field Sluice reads is taken once: of two "id"s, the stored record
  // would keep one and a reader of the stored text might take the other.
  unsigned given = 0;
  auto once = [&](unsigned bit, std::string_view twice) {
    if (given & bit) {
      fail(twice);
      return false;
    }
    given |= bit;
    return true;
  };

  for (auto field : obj) {
    std::string_view key;
    if (auto err = field.unescaped_key().get(key))
      return err;
    od::value val;
    if (auto err = field.value().get(val))
      return err;
    od::json_type vt;
    if (auto err = val.type().get(vt))
      return err;
    if (key == "message" && once(1u, "\"message\" is given more than once")) {
      if (vt != od::json_type::string) {
        fail("\"message\" must be a non-empty string");
      } else {
        std::string_view s;
        if (auto err = val.get_string().get(s))
          return err;
        if (s.empty())
          fail("\"message\" must be a non-empty string");
        has_message = true;
        continue;
      }
    } else if (key == "id" && once(2u, "\"id\" is given more than once")) {
      if (vt != od::json_type::string) {
        fail("\"id\" must be a string");
      } else {
        std::string_view s;
        if (auto err = val.get_string().get(s))
          return err;
        if (s.empty() || s.size() > max_message_id_bytes)
          fail("\"id\" must be a string of 1 to 128 bytes");
        else
          id_scratch.assign(s);
        continue;
      }
    } else if (key == "timestamp" && once(4u, "\"timestamp\" is given more than once")) {
      if (vt == od::json_type::string) {
        std::string_view s;
        if (auto err = val.get_string().get(s))
          return err;
        if (auto t = parse_rfc3339_us(s))
          m.event_time_us = *t;
        else
          fail("\"timestamp\" must be an RFC 3339 date-time or Unix milliseconds");
        continue;
      }
      if (vt == od::json_type::number) {
        od::number n;
        if (auto err = val.get_number().get(n))
          return err;
        // Unix ms up to year 9999: an integer exactly (through a double, the
        // last ones came out some µs off), a fraction of a millisecond to the
        // µs.
        constexpr std::int64_t end_ms = year_10000_us / 1000;
        bool in_range = false;
        if (n.is_int64()) {
          in_range = n.get_int64() >= 0 && n.get_int64() < end_ms;
          if (in_range)
            m.event_time_us = n.get_int64() * 1000;
        } else if (n.is_double()) {
          auto ms = n.get_double();
          in_range = ms >= 0 && ms < static_cast<double>(end_ms);
          if (in_range)
            m.event_time_us = static_cast<std::int64_t>(std::llround(ms * 1000.0));
        }
        if (!in_range) // also an unsigned integer past int64's range
          fail("\"timestamp\" in Unix milliseconds must be between 0 and year 9999");
        continue;
      }
      fail("\"timestamp\" must be an RFC 3339 date-time or Unix milliseconds");
    } else if (key == "level" && once(8u, "\"level\" is given more than once")) {
      if (vt == od::json_type::string) {
        std::string_view s;
        if (auto err = val.get_string().get(s))
          return err;
        if (auto l = parse_message_level(s))
          m.level = *l;
        else
          fail("\"level\" must be one of debug, info, warn, error, fatal");
        continue;
      }
      fail("\"level\" must be one of debug, info, warn, error, fatal");
    } else if (key == "duration_ms" && once(16u, "\"duration_ms\" is given more than once")) {
      if (vt == od::json_type::number) {
        double d = 0;
        if (auto err = val.get_double().get(d))
          return err;
        if (!(d >= 0))
          fail("\"duration_ms\" must be a number >= 0");
        continue;
      }
      fail("\"duration_ms\" must be a number >= 0");
    } else if (key == "metadata" && once(32u, "\"metadata\" is given more than once")) {
      if (vt != od::json_type::object)
        fail("\"metadata\" must be an object");
    }
    // Unknown fields are kept as sent; like every value, they must be valid.
    if (auto err = validate(val, 1))
      return err;
  }
  if (!has_message)
    fail("\"message\" is required");

  // Rewind to take the object's text as sent, then store it minified.
  if (auto err = obj.reset().error())
    return err;
  std::string_view raw;
  if (auto err = obj.raw_json().get(raw))
    return err;
  if (!problem_text.empty()) {
    reject(index, problem_text);
    return simdjson::SUCCESS;
  }
  if (bad > 0) // the batch is refused anyway: keep validating, store nothing
    return simdjson::SUCCESS;

  out.largest_message = std::max<std::uint64_t>(out.largest_message, raw.size());
  auto at = out.bytes.size();
  out.bytes.resize(at + raw.size());
  std::size_t minified = 0;
  if (auto err = simdjson::minify(raw.data(), raw.size(), out.bytes.data() + at, minified))
    return err;
  out.bytes.resize(at + minified);
  m.body_offset = static_cast<std::uint32_t>(at);
  m.body_size = static_cast<std::uint32_t>(minified);
  if (!id_scratch.empty()) {
    m.id_offset = static_cast<std::uint32_t>(out.bytes.size());
    m.id_size = static_cast<std::uint32_t>(id_scratch.size());
    out.bytes.append(id_scratch);
  }
  out.items.push_back(m);
  return simdjson::SUCCESS;
}

message_parser::message_parser() : impl_(std::make_unique<impl>()) {}

message_parser::~message_parser() = default;

problem message_parser::parse(std::string_view json, std::size_t max_batch, message_batch& out) {
  auto& d = *impl_;
  out.clear();
  d.details.assign("[");
  d.bad = 0;

  // simdjson reads up to SIMDJSON_PADDING bytes past the end: copy into a
  // buffer we own that has them (a memcpy is cheap next to parsing).
  d.padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(d.padded.data(), json.data(), json.size());
  std::memset(d.padded.data() + json.size(), 0, simdjson::SIMDJSON_PADDING);

  // A refused body leaves `out` empty, whatever was read before the error.
  auto malformed = [&](error_code err) {
    out.clear();
    return json_body_problem(err);
  };

  od::document doc;
  if (auto err = d.parser.iterate(d.padded.data(), json.size(), d.padded.size()).get(doc))
    return malformed(err);
  od::json_type type;
  if (auto err = doc.type().get(type))
    return malformed(err);

  std::size_t count = 0;
  if (type == od::json_type::array) {
    od::array arr;
    if (auto err = doc.get_array().get(arr))
      return malformed(err);
    for (auto el : arr) {
      od::value v;
      if (auto err = el.get(v))
        return malformed(err);
      if (count == max_batch) {
        out.clear();
        return make_problem(errc::batch_too_large, "a request may hold at most "
                                                     + std::to_string(max_batch) + " messages");
      }
      if (auto err = d.one(v, count, out))
        return malformed(err);
      ++count;
    }
  } else if (type == od::json_type::object) {
    od::value v;
    if (auto err = doc.get_value().get(v))
      return malformed(err);
    if (auto err = d.one(v, 0, out))
      return malformed(err);
    count = 1;
  } else {
    // A scalar document: still tell "not JSON at all" from "wrong JSON".
    error_code err = simdjson::SUCCESS;
    if (type == od::json_type::string) {
      std::string_view s;
      err = doc.get_string().get(s);
    } else if (type == od::json_type::number) {
      od::number n;
      err = doc.get_number().get(n);
    } else if (type == od::json_type::boolean) {
      bool b;
      err = doc.get_bool().get(b);
    } else {
      bool is_null = false;
      err = doc.is_null().get(is_null);
      if (!err && !is_null)
        err = simdjson::N_ATOM_ERROR;
    }
    if (err)
      return malformed(err);
    return make_problem(errc::invalid_message,
                        "the body must be a message object or an array of them");
  }
  // After the root value is consumed, any location left means trailing content
  // ("{...} {...}"); at the true end simdjson answers OUT_OF_BOUNDS.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    out.clear();
    return make_problem(errc::malformed_json,
                        "the body is not valid JSON: unexpected content after the value");
  }

  if (d.bad > 0) {
    out.clear();
    d.details.push_back(']');
    auto p =
      make_problem(errc::invalid_message, std::to_string(d.bad) + " of " + std::to_string(count)
                                            + (count == 1 ? " message is" : " messages are")
                                            + " invalid; nothing was stored");
    p.details_json = d.details;
    return p;
  }
  return {};
}

} // namespace sluice
