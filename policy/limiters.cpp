#include "policy/limiters.hpp"

#include <cmath>

namespace sluice {

namespace {

/// Seconds of the "burst" window the tier table names (burst rate for 10 s).
constexpr std::uint64_t burst_window_s = 10;

std::uint64_t whole(double x) noexcept {
  return x <= 0 ? 0 : static_cast<std::uint64_t>(std::floor(x));
}

std::uint64_t seconds_up(std::int64_t us) noexcept {
  return us <= 0 ? 0 : static_cast<std::uint64_t>((us + 999'999) / 1'000'000);
}

} // namespace

std::string_view rate_report::tightest() const noexcept {
  if (!token)
    return "burst";
  if (!burst)
    return "token";
  // Compare fractions left: r_t / q_t < r_b / q_b, without division.
  auto t = static_cast<long double>(token->remaining) * burst->limit;
  auto b = static_cast<long double>(burst->remaining) * token->limit;
  return t < b ? "token" : "burst";
}

const limit_state& rate_report::tightest_state() const noexcept {
  return tightest() == "token" ? *token : *burst;
}

// -- system_limiter ------------------------------------------------------------

system_limiter::system_limiter(const tier_caps& caps, std::int64_t now_us)
    : bucket_(static_cast<double>(caps.burst_capacity()), static_cast<double>(caps.steady_rate),
              now_us) {
  reconfigure(caps, now_us);
}

void system_limiter::reconfigure(const tier_caps& caps, std::int64_t now_us) {
  bucket_.reconfigure(static_cast<double>(caps.burst_capacity()),
                      static_cast<double>(caps.steady_rate), now_us);
  shadow_ = caps.shadow;
  sampling_ = caps.sampling;
  sample_one_in_ = caps.sample_one_in < 2 ? 2 : caps.sample_one_in;
}

limit_state system_limiter::snapshot() const {
  return {whole(bucket_.capacity()), burst_window_s, whole(bucket_.level()),
          seconds_up(bucket_.full_in_us())};
}

limit_state system_limiter::state(std::int64_t now_us) {
  bucket_.refill(now_us);
  return snapshot();
}

system_decision system_limiter::admit(std::uint64_t messages, std::int64_t now_us) {
  bucket_.refill(now_us);
  system_decision d;
  auto n = static_cast<double>(messages);
  bool fits = bucket_.holds(n);
  if (!fits && shadow_) {
    // Counted as refused, let through, and (like a refusal) takes nothing.
    d.shadow_limited = true;
  } else if (!fits && n > bucket_.capacity()) {
    d.verdict = system_verdict::too_large;
  } else if (!fits) {
    d.verdict = system_verdict::reject;
    d.wait_us = bucket_.wait_us(n);
    if (sampling_) // the burst cap was hit: sample for the next minute
      sampling_until_us_ = now_us + sampling_window_us;
  } else {
    bucket_.take(n);
    if (sampling_ && !shadow_ && now_us < sampling_until_us_) {
      d.sampled = true;
      if (++sampled_seen_ % sample_one_in_ == 0)
        d.verdict = system_verdict::drop_sampled;
    }
  }
  d.burst = snapshot();
  return d;
}

// -- request_limiter -----------------------------------------------------------

void request_limiter::configure(std::optional<rate_limit> limit, bool shadow, std::int64_t now_us) {
  shadow_ = shadow;
  if (!limit) {
    limit_.reset();
    return;
  }
  auto capacity = static_cast<double>(limit->count);
  auto rate = capacity / static_cast<double>(limit->window_s);
  if (limit_)
    bucket_.reconfigure(capacity, rate, now_us);
  else
    bucket_ = token_bucket{capacity, rate, now_us};
  limit_ = limit;
}

limit_state request_limiter::snapshot() const {
  // Reserved room is as good as taken: the request it is held for is the
  // one being answered (or one before it), so Remaining and Reset count it.
  auto pending = static_cast<double>(pending_);
  auto free = bucket_.level() - pending;
  return {limit_->count, limit_->window_s, whole(free), seconds_up(bucket_.full_in_us(pending))};
}

std::optional<limit_state> request_limiter::state(std::int64_t now_us) {
  if (!limit_)
    return std::nullopt;
  bucket_.refill(now_us);
  return snapshot();
}

token_check request_limiter::check(std::int64_t now_us) {
  token_check c;
  if (!limit_)
    return c;
  bucket_.refill(now_us);
  auto pending = static_cast<double>(pending_);
  if (bucket_.level() - pending >= 1) {
    ++pending_;
    c.gate = token_gate::reserved;
  } else if (shadow_) {
    // Shadow: counted as refused, let through without a reservation.
    c.shadow_limited = true;
  } else if (bucket_.level() >= 1) {
    c.gate = token_gate::wait;
  } else {
    c.gate = token_gate::reject;
    // Room for this one once every open reservation has been taken too.
    c.wait_us = bucket_.wait_us(pending + 1);
  }
  c.state = snapshot();
  return c;
}

bool request_limiter::at_rest(std::int64_t now_us) {
  if (pending_ > 0)
    return false;
  if (!limit_)
    return true;
  bucket_.refill(now_us);
  return bucket_.level() >= bucket_.capacity();
}

void request_limiter::resolve(bool admitted, std::int64_t now_us) {
  if (pending_ > 0)
    --pending_;
  if (admitted && limit_) {
    bucket_.refill(now_us);
    bucket_.take(1);
  }
}

} // namespace sluice
