#pragma once

#include <caf/actor_control_block.hpp>
#include <caf/intrusive_ptr.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "net/gateway.hpp"
#include "policy/authz.hpp"
#include "policy/limiters.hpp"
#include "policy/token_hash.hpp"
#include "policy/message.hpp"
#include "policy/usage.hpp"
#include "store/records.hpp"

namespace sluice {

/// Usage of a token as its actor hands it out: for the admin API and to be
/// flushed to the metadata store now and then (and when the actor passivates
/// or the server stops).
struct token_usage {
  store::usage_record usage; ///< totals, and the active minutes of the last hour
  std::int64_t last_used_at_us = 0;
  std::string last_ip;
  /// The minutes counted since the actor last handed its usage to the
  /// usage board: the only minutes of the series a flush rewrites.
  minute_range changed;
};

/// Usage of a system as its actor hands it out.
struct system_usage {
  store::usage_record usage;
  minute_range changed; ///< as token_usage::changed
};

/// What a token or system actor counted for a request when it let it on:
/// usage counts a request as acknowledged from then (one message fewer per
/// request than waiting for the commit), and is settled by a commit_report
/// in the rare case the commit says otherwise.
struct usage_claim {
  std::int64_t at_us = 0;     ///< when it was counted (0: not counted)
  std::uint32_t messages = 0; ///< messages counted as stored
  std::uint64_t bytes = 0;    ///< bytes counted
};

/// Counts a request let on with `batch` as acknowledged, and says what was
/// counted.
inline usage_claim claim_accepted(usage_meter& usage, const message_batch& batch,
                                  std::int64_t now_us) {
  usage_claim c{now_us, static_cast<std::uint32_t>(batch.items.size()), batch.body_bytes()};
  usage.accepted(now_us, 1, c.messages, 0, c.bytes);
  return c;
}

/// Where a commit differs from a usage_claim: storage sends it to the token
/// and the system actor only then (a failed commit, duplicates, records a
/// partial door left out after the token counted them).
struct commit_report {
  std::int64_t counted_at_us = 0; ///< the claim's time
  std::uint32_t failed = 0;       ///< 1: the commit failed (the request is refused)
  std::uint32_t messages = 0;     ///< messages counted and not stored
  std::uint32_t duplicates = 0;   ///< of those, recognised as duplicates
  std::uint64_t bytes = 0;        ///< bytes counted and not acknowledged

  bool empty() const noexcept { return failed == 0 && messages == 0 && bytes == 0; }
};

/// How a commit settles `c`: failed, or stored `accepted` of its messages
/// (`duplicates` more were known already) with `bytes` acknowledged.
inline commit_report settle(const usage_claim& c, bool failed, std::uint32_t accepted,
                            std::uint32_t duplicates, std::uint64_t bytes) noexcept {
  commit_report r{c.at_us};
  if (c.at_us == 0)
    return r; // nothing was counted
  if (failed) {
    r.failed = 1;
    r.messages = c.messages;
    r.bytes = c.bytes;
    return r;
  }
  r.messages = c.messages > accepted ? c.messages - accepted : 0;
  r.duplicates = std::min(duplicates, r.messages);
  r.bytes = c.bytes > bytes ? c.bytes - bytes : 0;
  return r;
}

/// Applies a commit's report to a token's or system's usage.
inline void count_commit(usage_meter& usage, const commit_report& r, std::int64_t now_us) {
  usage.take_back(r.counted_at_us, r.failed, r.messages, r.duplicates, r.bytes);
  if (r.failed > 0)
    usage.rejected(now_us, rejection::storage_error, r.failed);
}

/// Usage as an actor hands it out or stores it: totals, and the minutes of
/// the last hour that saw anything (the inverse of usage_meter::restore).
inline store::usage_record usage_snapshot(const usage_meter& usage, std::int64_t now_us) {
  return {usage.totals(), usage.active_minutes(now_us)};
}

/// What a system actor decided on a request a token let through, told back
/// to the token so it can settle its reservation and count the outcome.
enum class system_outcome : std::uint8_t {
  admitted,     ///< on to storage (counted already, settled by the commit)
  sampled,      ///< acknowledged, dropped by sampling
  rate_limited, ///< 429 from the system's bucket
  too_large,    ///< 413 from the system's caps
};

/// The tenant-side terms of a system: what its actor enforces and reports.
struct system_terms {
  sluice::tier tier = sluice::tier::free;
  tier_caps caps;
  std::string tenant_name;
};

/// The answer of one request, given exactly once: by the first call, or, when
/// nobody answered before it is destroyed (the job died in the mailbox of an
/// actor that quit), with storage_busy then. So no client ever waits for a
/// reply that cannot come. Move-only; a moved-from one answers nothing.
/// Once the token actor has authenticated the request it marks the answer
/// with the token's id (whoever answers later), for the access log.
template <class Reply>
class reply_once {
public:
  reply_once() = default;
  explicit reply_once(net::small_function<void(Reply&&)> done) : done_(std::move(done)) {}
  reply_once(reply_once&& other) noexcept
      : done_(std::move(other.done_)), answered_(std::exchange(other.answered_, true)),
        token_id_(other.token_id_) {}
  reply_once& operator=(reply_once&& other) noexcept {
    if (this != &other) {
      settle();
      done_ = std::move(other.done_);
      answered_ = std::exchange(other.answered_, true);
      token_id_ = other.token_id_;
    }
    return *this;
  }
  reply_once(const reply_once&) = delete;
  reply_once& operator=(const reply_once&) = delete;
  ~reply_once() { settle(); }

  /// Answers; later calls do nothing.
  void operator()(Reply&& reply) {
    if (answered_ || !done_)
      return;
    answered_ = true;
    reply.token_id = token_id_;
    done_(std::move(reply));
  }

  /// Marks the answer as one to a request authenticated by token `id`.
  void authenticated(std::uint64_t id) noexcept { token_id_ = id; }

  /// Someone waits for this answer and it has not been given yet.
  bool pending() const noexcept { return !answered_ && done_; }

  /// Whether a token actor has authenticated the request (see above).
  bool is_authenticated() const noexcept { return token_id_ != 0; }

private:
  void settle() {
    if (answered_ || !done_)
      return;
    Reply lost{};
    lost.failure = make_problem(errc::storage_busy,
                                "the request was dropped while the server reorganised; retry it");
    (*this)(std::move(lost));
  }

  net::small_function<void(Reply&&)> done_;
  bool answered_ = false;
  std::uint64_t token_id_ = 0; ///< 0 until the token is authenticated
};

/// The bytes of one ingest request in the server's backlog (requests let in
/// and not yet answered; see runtime::ingest). Taken when the request is let
/// in, given back when its job is destroyed: after its answer, by whichever
/// actor held it last. The counter outlives every job (the runtime owns it
/// and stops the actors first).
class backlog_ticket {
public:
  backlog_ticket() = default;
  backlog_ticket(const backlog_ticket&) = delete;
  backlog_ticket& operator=(const backlog_ticket&) = delete;
  ~backlog_ticket() {
    if (backlog_)
      backlog_->fetch_sub(bytes_, std::memory_order_relaxed);
  }

  /// Adds `bytes` to `backlog` until destruction; once per ticket.
  void take(std::atomic<std::uint64_t>& backlog, std::uint64_t bytes) noexcept {
    backlog.fetch_add(bytes, std::memory_order_relaxed);
    backlog_ = &backlog;
    bytes_ = bytes;
  }

private:
  std::atomic<std::uint64_t>* backlog_ = nullptr;
  std::uint64_t bytes_ = 0;
};

class ingest_job_pool; // actors/ingest_job_pool.hpp

/// One ingest request on its way: net -> gateway -> token actor -> storage
/// actor -> callback. Shared (CAF messages must be copyable) but handed along,
/// never used by two actors at once. Reference-counted in place
/// (ingest_job_ptr); when the last reference goes, the job is done: it goes
/// back to the pool it came from (actors/ingest_job_pool.hpp), which keeps
/// its batch buffers for the next request, or is deleted when it has none.
struct ingest_job {
  // Set by the gateway, on the I/O thread.
  token_hash presented{}; ///< the hash of the secret presented (current or rotated-out)
  message_batch batch;
  problem parse_problem; ///< validation result, reported after authentication
  std::string client_ip;
  message_source source = message_source::native;
  ingest_door door = ingest_door::ingest;
  bool partial = false; ///< drop messages over the inline cap one by one (see ingest_command)
  bool probe = false;   ///< authenticate and report the limits, store nothing
  reply_once<ingest_reply> complete;
  backlog_ticket backlog;

  // Set by the token actor once the token is authenticated.
  std::uint64_t tenant_id = 0;
  std::uint64_t system_id = 0;
  std::uint64_t token_id = 0;
  int retention_days = 0;
  /// A refusal the token actor decided (invalid body, the token's own rate
  /// limit); the system actor adds its headers and answers it.
  problem verdict;
  /// Room in the token's own bucket is reserved for this request until the
  /// system actor tells the token its decision.
  bool token_reserved = false;
  /// The rate-limit headers, filled in by the token and system actors.
  rate_report rate;
  /// Partial requests: indexes (as decoded) of the messages the system actor
  /// left out for being over the inline cap, and why; answered with the rest.
  std::vector<std::uint32_t> dropped;
  std::string dropped_reason;
  /// The token and system actors, told after the commit where it differs
  /// from what they counted (their claims) when they let the request on.
  caf::strong_actor_ptr token_reporter;
  caf::strong_actor_ptr system_reporter;
  usage_claim token_claim;
  usage_claim system_claim;

  /// Times it was sent on again after it came back unanswered from a token
  /// actor that had passivated (ingest_job_pool::give_back).
  std::uint8_t reroutes = 0;

  /// The reply of a request that was let in: its counts, its rate limits,
  /// and what a partial request left out.
  ingest_reply answer(std::uint32_t accepted, std::uint32_t duplicates) {
    ingest_reply r{{}, accepted, duplicates, rate, std::move(dropped), std::move(dropped_reason)};
    return r;
  }

private:
  friend class ingest_job_pool;
  friend void intrusive_ptr_add_ref(ingest_job* job) noexcept {
    job->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  /// The last reference recycles the job (ingest_job_pool::recycle).
  friend void intrusive_ptr_release(ingest_job* job) noexcept;

  std::atomic<std::uint32_t> refs_{0};
  ingest_job_pool* home_ = nullptr; ///< where it goes back to; null: deleted
};

/// A job, shared by reference count: one pointer copy per hand-off, no
/// separate control block (which std::shared_ptr would allocate).
using ingest_job_ptr = caf::intrusive_ptr<ingest_job>;

/// Requests that travel on together, in arrival order: what one turn of an
/// I/O thread's loop gathered for one token actor, what a token actor lets
/// through to its system, what a system actor sends to storage. One message
/// for many requests: the hand-offs, not the decisions, are what a request
/// costs most.
using ingest_batch = std::vector<ingest_job_ptr>;

struct info_job;
struct admin_job;

/// Where a GET /systems/me or admin job goes that no token actor took up:
/// like an ingest job (ingest_rerouter), one sent to an actor that then
/// passivated, which reached its mailbox after it closed. Called from the
/// job's destructor, on the thread that dropped it.
class call_rerouter {
public:
  virtual ~call_rerouter() = default;
  /// Any thread: moves `job`'s request into a new job sent to the actor its
  /// presented hash leads to now (or answers it, when the token is gone); or
  /// leaves `job` as it was, which is then answered storage_busy.
  virtual void reroute(info_job& job) noexcept = 0;
  virtual void reroute(admin_job& job) noexcept = 0;
};

/// A GET /systems/me request: the token actor fills in the token, the system
/// actor the rest, and answers.
struct info_job {
  info_job() = default;
  info_job(const info_job&) = delete;
  info_job& operator=(const info_job&) = delete;
  /// Unanswered and never authenticated: no token actor took it up.
  ~info_job() {
    if (rerouter && complete.pending() && !complete.is_authenticated())
      rerouter->reroute(*this);
  }

  token_hash presented{};
  std::string client_ip;
  store::token_record token;
  std::optional<limit_state> token_limit;
  reply_once<json_reply> complete;
  call_rerouter* rerouter = nullptr; ///< null: a dropped job is answered storage_busy
  std::uint8_t reroutes = 0;         ///< times it was sent on already
};

using info_job_ptr = std::shared_ptr<info_job>;

/// An admin API call on its way: gateway -> the caller's token actor (which
/// authenticates it and fills in `who`) -> the admin actor.
struct admin_job {
  admin_job() = default;
  admin_job(const admin_job&) = delete;
  admin_job& operator=(const admin_job&) = delete;
  /// As info_job's.
  ~admin_job() {
    if (rerouter && complete.pending() && !complete.is_authenticated())
      rerouter->reroute(*this);
  }

  admin_command cmd;
  token_hash presented{};
  principal who;
  reply_once<json_reply> complete;
  call_rerouter* rerouter = nullptr; ///< null: a dropped job is answered storage_busy
  std::uint8_t reroutes = 0;         ///< times it was sent on already
};

using admin_job_ptr = std::shared_ptr<admin_job>;

} // namespace sluice
