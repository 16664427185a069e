#pragma once

// What every admin handler answers with: private to actors/admin*.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "actors/jobs.hpp"
#include "policy/json_writer.hpp"
#include "policy/token_format.hpp"
#include "policy/token_hash.hpp"
#include "store/records.hpp"

namespace sluice::admin_replies {

/// How long the admin actor waits for a token or system actor to answer.
inline constexpr auto actor_timeout = std::chrono::seconds(10);

inline void fail(admin_job_ptr& job, problem p) {
  job->complete({std::move(p), reply_kind::ok, {}});
}

/// A 404 naming the id as sent (one shaped like a secret is not echoed:
/// net/error_table.hpp, shown_message).
inline void not_found(admin_job_ptr& job, std::string_view what, std::string_view id) {
  fail(job, make_problem(errc::not_found, "no " + std::string{what} + " " + std::string{id}));
}

/// Sends `msg...` (a change, answered with ok) to each of the live `actors`
/// and calls `then` once every one has answered or failed to within
/// actor_timeout (one passivated meanwhile reads the change from the store);
/// at once when there are none. `then` runs once, on `self`'s thread.
template <class Self, class Actor, class Then, class... Ts>
void tell_all_then(Self self, const std::vector<Actor>& actors, Then then, const Ts&... msg) {
  if (actors.empty())
    return then();
  auto remaining = std::make_shared<std::size_t>(actors.size());
  auto one_done = [remaining, then]() mutable {
    if (--*remaining == 0)
      then();
  };
  for (auto& a : actors)
    self->request(a, actor_timeout, msg...)
      .then([one_done](caf::ok_atom) mutable { one_done(); },
            [one_done](caf::error&) mutable { one_done(); });
}

/// Answers with the JSON that `write` produces.
template <class Write>
void respond(admin_job_ptr& job, reply_kind kind, Write&& write) {
  json_reply reply{{}, kind, {}};
  json_writer w{reply.body};
  write(w);
  job->complete(std::move(reply));
}

/// Writes `{"items":[…],"next_cursor":…}` for a page of records: `rows` holds
/// up to limit + 1 (one more tells there is a next page).
template <class Row, class Write, class Id>
std::string list_body(std::vector<Row>& rows, std::size_t limit, Write write_row, Id id_of) {
  std::string body;
  json_writer w{body};
  bool more = rows.size() > limit;
  if (more)
    rows.resize(limit);
  w.begin_object().key("items").begin_array();
  for (auto& r : rows)
    write_row(w, r);
  w.end_array().key("next_cursor");
  if (more && !rows.empty())
    w.value(id_of(rows.back()));
  else
    w.null();
  w.end_object();
  return body;
}

} // namespace sluice::admin_replies

namespace sluice {

/// `n` copies of `rec`, each with a fresh id (from `fresh_id`, unique among
/// them) and a fresh secret of its kind (its hash and hint set); the secrets
/// in the same order (tokens.cpp).
std::pair<std::vector<store::token_record>, std::vector<std::string>>
mint_secrets(const store::token_record& rec, std::uint32_t n, const pepper& p,
             const std::function<std::uint64_t()>& fresh_id);

} // namespace sluice
