#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/sluice_bench/histogram.hpp"
#include "bench/sluice_bench/options.hpp"
#include "bench/sluice_bench/workload.hpp"

namespace sluice::bench {

/// A request whose messages the check looks for: its first message's key
/// (msg 0), the token it used and how many messages it carried.
struct sent_request {
  std::uint64_t key;
  std::uint32_t token;
  std::uint32_t messages;
};

/// Answers per token class (mixed scenario: what each kind of token got).
struct class_counts {
  std::uint64_t requests = 0;
  std::uint64_t accepted = 0;     ///< 202 (200 for OTLP)
  std::uint64_t unauthorized = 0; ///< 401
  std::uint64_t rate_limited = 0; ///< 429
  std::uint64_t other = 0;        ///< anything else, including no answer
};

/// One slot of the timeline (--timeline): the answers that came in during
/// it and the longest latency among them.
struct timeline_slot {
  std::uint64_t answers = 0;
  std::uint64_t max_ns = 0;
};

/// Width of a timeline slot.
inline constexpr std::chrono::milliseconds timeline_slot_width{10};

/// Everything the load phase saw, summed over the client threads.
struct load_result {
  latency_histogram latency;
  /// Open loop: how late the client itself sent each request whose
  /// connection was free by its due time (0 when on time or early): its
  /// timer, and its thread's wait for a core. A request due while its
  /// connection still waited for the answer before is not counted here;
  /// that wait is the server's. Empty in a closed loop.
  latency_histogram send_lag;
  /// Open loop: requests sent after they were due because their connection
  /// still waited for the answer before; with send_lag's count, every
  /// request sent.
  std::uint64_t sent_late = 0;
  /// --arrival-times: from the intended send time (open loop) or the send
  /// (closed loop) to the answer's arrival at the client's socket, by the
  /// kernel's receive timestamp of its last segment. What latency adds to
  /// it is the client's own delay in reading the answer.
  latency_histogram arrival;
  /// --arrival-times: answers read without a receive timestamp (the kernel
  /// gave none); not in `arrival`.
  std::uint64_t unstamped = 0;
  /// --arrival-times: answers whose stamp was before their request was
  /// sent or after they were read (by more than the clocks' slack): wrong
  /// stamps. Clamped into `arrival`; a run should have none.
  std::uint64_t misstamped = 0;
  std::vector<std::uint64_t> statuses = std::vector<std::uint64_t>(600, 0); ///< [0] = no answer
  std::uint64_t requests_sent = 0;
  std::uint64_t responses = 0;
  /// Sum of "accepted" over the 202s; OTLP: the records of the 200s, less
  /// those a partialSuccess rejected.
  std::uint64_t messages_acked = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t sampled = 0;      ///< 202 with X-AL-Sampled: true (maybe not stored)
  std::uint64_t partial_acks = 0; ///< 202 whose "accepted" differs from the messages sent
  /// OTLP: 200s carrying a partialSuccess (the run fails on any), the
  /// records they said were rejected, and the first one's errorMessage.
  std::uint64_t otlp_partial = 0;
  std::uint64_t otlp_rejected = 0;
  std::string otlp_first_error;
  /// Revoke scenario: requests sent after their token's revoke call returned,
  /// and how many of those still got a 202 (the invariant: none).
  std::uint64_t sent_after_revoke = 0;
  std::uint64_t accepted_after_revoke = 0;
  std::array<class_counts, token_class_count> by_class{};
  std::vector<sent_request> acked;             ///< 202: must be read back
  std::vector<sent_request> ambiguous;         ///< no answer, sampled or partial: may or may not be
  std::map<std::string, std::uint64_t> errors; ///< transport errors by kind
  /// --timeline: slot k covers [k, k + 1) x timeline_slot_width after the
  /// start, by when the answer came; empty without the flag.
  std::vector<timeline_slot> timeline;
  double elapsed_s = 0;          ///< from the start to the last answer
  std::size_t request_bytes = 0; ///< one request, headers and body
  std::size_t body_bytes = 0;    ///< one request's body
  std::size_t message_bytes = 0; ///< one message object; OTLP: one log record as encoded
};

/// What the load phase drives.
struct load_plan {
  const bench_options* opt = nullptr;
  const token_set* tokens = nullptr;
  std::string run_id; ///< run_id_chars characters
  /// Revoke scenario: one flag per token, set once its revoke call returned.
  const std::atomic<std::uint8_t>* revoked = nullptr;
};

/// The async client: --connections keep-alive connections spread over
/// --threads io_contexts (one thread each, no sharing between them), each
/// with one request in flight at a time, pre-built in a per-connection buffer
/// whose token and sequence digits are patched in place.
class load_driver {
public:
  explicit load_driver(load_plan plan);
  ~load_driver();
  load_driver(const load_driver&) = delete;
  load_driver& operator=(const load_driver&) = delete;

  /// Starts the client threads; returns the common start time. Throws when
  /// the ingest endpoint does not resolve.
  std::chrono::steady_clock::time_point start();
  /// Waits until every connection is done (duration or request count
  /// reached, answers in flight received or --drain-timeout passed).
  load_result wait();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Eight random characters [0-9a-z] naming a run in the bseq values.
std::string make_run_id();

} // namespace sluice::bench
