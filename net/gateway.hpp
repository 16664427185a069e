#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/admin/requests.hpp"
#include "net/small_function.hpp"
#include "policy/admin_ops.hpp"
#include "policy/errors.hpp"
#include "policy/limiters.hpp"
#include "policy/message.hpp"
#include "policy/readiness.hpp"

namespace sluice {

// The boundary between the network layer and the actors, declared by net/
// and implemented by the actors (actors/runtime.cpp): net/ turns an HTTP
// request into one of these plain commands and the reply into a response; the
// actors never see HTTP, and net/ never sees CAF. This header includes neither.

/// Which door of the ingest port a request came through: each admits one
/// kind of token (ingest: al_ for native, OTLP and Langfuse; webhook: alw_).
enum class ingest_door : std::uint8_t { ingest, webhook };

/// An ingest request. The views are borrowed from the connection and valid only
/// during the gateway call, which copies or parses what it keeps.
struct ingest_command {
  std::string_view secret; ///< as presented; empty when none was
  std::string_view body;   ///< native: the JSON the gateway validates
  message_source source = message_source::native;
  ingest_door door = ingest_door::ingest;
  std::string_view client_ip;
  std::int64_t received_at_us = 0;
  /// Decoded by net/ already (OTLP, Langfuse, webhooks): the gateway takes
  /// these messages (moving them out) instead of validating `body`.
  message_batch* decoded = nullptr;
  /// Why the body did not decode (reported once the token is authenticated).
  problem decode_problem;
  /// Records the door drops one by one instead of refusing the request:
  /// a message over the tenant's inline cap is left out and reported (OTLP
  /// partial success, Langfuse per-event errors), the rest stored.
  bool partial = false;
  /// Authenticate only, store nothing (webhook validation handshakes): the
  /// reply carries the rate limits.
  bool probe = false;
};

/// The answer to an ingest request: a refusal, or the counts of a commit;
/// and, for every authenticated request, the state of its rate limits.
struct ingest_reply {
  problem failure;
  std::uint32_t accepted = 0;
  std::uint32_t duplicates = 0;
  rate_report rate;
  /// Partial requests: the indexes (into the decoded batch) of the messages
  /// left out for being over the inline cap, and why.
  std::vector<std::uint32_t> dropped;
  std::string dropped_reason;
  /// The id of the token that authenticated the request, for the access log
  /// (net/log.hpp); 0 when none did. Never sent to the client.
  std::uint64_t token_id = 0;

  /// A refusal: nothing accepted, with the rate headers known so far.
  static ingest_reply refused(problem why, const rate_report& rate = {}) {
    ingest_reply r;
    r.failure = std::move(why);
    r.rate = rate;
    return r;
  }
};

/// How a successful JSON reply is meant: net/ picks the status from it.
enum class reply_kind : std::uint8_t { ok, created, accepted };

/// A JSON answer (whoami, admin calls): a refusal, or a body of `kind`.
struct json_reply {
  problem failure;
  reply_kind kind = reply_kind::ok;
  std::string body;
  /// The id of the token that authenticated the call, for the access log;
  /// 0 when none did. Never sent to the client.
  std::uint64_t token_id = 0;
};

/// An admin API call, owned (it travels to the admin actor): who presents
/// which token, what it asks (decoded by net/admin/), and on what.
struct admin_command {
  admin_op op = admin_op::list_tenants;
  std::string secret;
  std::string client_ip;
  std::string path_id; ///< the `{id}` of the path, as sent ("ten_…", "tok_…")
  net::admin_request request;
  /// Why the request did not decode; reported once the caller is known to
  /// be allowed to make it (a stranger learns nothing from a 400).
  problem decode_problem;
  std::int64_t received_at_us = 0;
  /// A poll of a stream the caller opened with an earlier call (the live
  /// tail): authenticated and authorized like any call, but not counted
  /// again in the token's usage and rate limit.
  bool continuation = false;
};

/// Completion callbacks. Each is called exactly once, from any thread: also
/// when an actor on the way disappeared (then with storage_busy), so a
/// connection never waits for an answer that cannot come. Move-only; a
/// callback that captures up to 64 bytes (a responder and a little more)
/// travels with its request without a heap allocation.
using ingest_callback = net::small_function<void(ingest_reply&&)>;
using json_callback = net::small_function<void(json_reply&&)>;

/// What the network layer can ask of the rest of Sluice.
class gateway {
public:
  virtual ~gateway() = default;

  /// Authenticates, validates and stores a batch; answers after the commit.
  /// The request may be held until end_of_turn() is called on the same
  /// thread, so that the requests of one turn travel on together.
  virtual void ingest(const ingest_command& cmd, ingest_callback done) = 0;

  /// The refusal for a request whose `secret` leads to no token (none, a
  /// malformed or an unknown one), answered at once; empty when a token has
  /// it, whatever that token's state (its actor decides that in ingest()).
  /// Doors that decode a body themselves ask first, so that a stranger's
  /// request costs no decoding: a few kilobytes of gzip can make 8 MB of
  /// protobuf, which parses into far more memory than that.
  virtual problem screen_token(std::string_view secret) = 0;

  /// Sends on every request ingest() held on this thread. The network layer
  /// calls it on each I/O thread after a turn of its event loop in which it
  /// called ingest().
  virtual void end_of_turn() = 0;

  /// Describes the token presented (GET /systems/me) from `client_ip`.
  virtual void whoami(std::string_view secret, std::string_view client_ip, json_callback done) = 0;

  /// Runs an admin API call.
  virtual void admin(admin_command&& cmd, json_callback done) = 0;

  /// Whether storage accepts writes and has room to go on (GET /readyz).
  /// Cheap: answered from figures refreshed at most once per interval.
  virtual readiness ready() const = 0;
};

} // namespace sluice
