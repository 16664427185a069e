#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "policy/rate_limit.hpp"
#include "policy/tiers.hpp"
#include "policy/token_bucket.hpp"

namespace sluice {

/// What a client is told of one limit (docs/api.md; the IETF draft's
/// q, w, r and t).
struct limit_state {
  std::uint64_t limit = 0;     ///< q: messages (burst) or requests (token)
  std::uint64_t window_s = 0;  ///< w
  std::uint64_t remaining = 0; ///< r
  std::uint64_t reset_s = 0;   ///< t: whole seconds until the bucket is full
};

/// The limits in force on one request, for its rate-limit headers.
struct rate_report {
  std::optional<limit_state> burst; ///< the system's tier limit, in messages
  std::optional<limit_state> token; ///< the token's own limit, in requests
  bool sampled = false;             ///< X-AL-Sampled: true

  bool present() const noexcept { return burst.has_value() || token.has_value(); }
  /// "burst" or "token": the limit with the smallest fraction left, which
  /// is the one that will refuse first.
  std::string_view tightest() const noexcept;
  const limit_state& tightest_state() const noexcept;
};

/// How long the sampling window lasts after a free-tier system hit its cap.
inline constexpr std::int64_t sampling_window_us = 60'000'000;

/// The system's side of a request: its tier limit, in messages.
enum class system_verdict : std::uint8_t {
  admit,        ///< store it
  drop_sampled, ///< acknowledge it, store nothing (1 in N while sampling)
  reject,       ///< 429: the bucket has no room now
  too_large,    ///< 413: more messages than the bucket ever holds
};

struct system_decision {
  system_verdict verdict = system_verdict::admit;
  bool sampled = false;        ///< inside the sampling window
  bool shadow_limited = false; ///< would have been refused, let through (shadow)
  std::int64_t wait_us = 0;    ///< on reject: until the request would fit
  limit_state burst;           ///< after this decision
};

/// The tier limit of one system: a bucket of burst x 10 s messages refilled at
/// the steady rate, the free tier's sampling window, and shadow mode. Owned by
/// the system's actor; time is passed in.
class system_limiter {
public:
  system_limiter() = default;
  system_limiter(const tier_caps& caps, std::int64_t now_us);

  /// New caps (a tenant's tier or overrides changed); the level is kept.
  void reconfigure(const tier_caps& caps, std::int64_t now_us);

  /// Decides on a request of `messages` messages. A request that is not
  /// admitted takes nothing from the bucket.
  system_decision admit(std::uint64_t messages, std::int64_t now_us);

  /// The bucket as a client would see it now.
  limit_state state(std::int64_t now_us);

private:
  limit_state snapshot() const;

  token_bucket bucket_;
  bool shadow_ = false;
  bool sampling_ = false;
  std::uint32_t sample_one_in_ = 10;
  std::int64_t sampling_until_us_ = 0;
  std::uint64_t sampled_seen_ = 0; ///< accepted requests while sampling
};

/// The token's side of a request: its own limit, in requests.
enum class token_gate : std::uint8_t {
  pass,     ///< no limit (or shadow): nothing reserved
  reserved, ///< room for it is set aside until the system decides (resolve)
  wait,     ///< it fits only if a reservation still open is given back
  reject,   ///< 429: no room even if every open reservation is given back
};

struct token_check {
  token_gate gate = token_gate::pass;
  bool shadow_limited = false;
  std::int64_t wait_us = 0; ///< on reject
  limit_state state;
};

/// A token's own rate limit. The check across the token's bucket and its
/// system's bucket is atomic although the two live in different actors: the
/// token's room is only *reserved* while the system decides, taken when the
/// system admits, and given back when it refuses; a request that would fit
/// only if an open reservation were given back waits for that answer instead
/// of being refused. So a refused request consumes from neither bucket, and no
/// request is refused for room another refused request briefly held.
class request_limiter {
public:
  request_limiter() = default; ///< no limit: every check passes

  /// Sets (or, with nullopt, removes) the limit; open reservations stay.
  void configure(std::optional<rate_limit> limit, bool shadow, std::int64_t now_us);

  bool limited() const noexcept { return limit_.has_value(); }
  std::uint64_t open_reservations() const noexcept { return pending_; }

  /// Nothing would be lost by starting over (a new limiter starts full): no
  /// reservation is open, and the bucket, if any, is full again at `now_us`.
  bool at_rest(std::int64_t now_us);

  token_check check(std::int64_t now_us);

  /// The system's answer on a reserved request.
  void resolve(bool admitted, std::int64_t now_us);

  /// The bucket as a client would see it now; nullopt without a limit.
  std::optional<limit_state> state(std::int64_t now_us);

private:
  limit_state snapshot() const;

  std::optional<rate_limit> limit_;
  bool shadow_ = false;
  token_bucket bucket_;
  std::uint64_t pending_ = 0;
};

} // namespace sluice
