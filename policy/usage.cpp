#include "policy/usage.hpp"

#include <algorithm>

namespace sluice {

namespace {

constexpr std::array<std::string_view, rejection_count> rejection_names = {
  "unauthorized", "invalid", "too_large", "rate_limited", "storage_error",
};

std::size_t index_of(std::int64_t minute) noexcept {
  auto i = minute % static_cast<std::int64_t>(minutes_kept);
  return static_cast<std::size_t>(i < 0 ? i + static_cast<std::int64_t>(minutes_kept) : i);
}

std::uint32_t add32(std::uint32_t a, std::uint64_t b) noexcept {
  auto s = static_cast<std::uint64_t>(a) + b;
  return s > UINT32_MAX ? UINT32_MAX : static_cast<std::uint32_t>(s);
}

} // namespace

rejection rejection_of(errc code) noexcept {
  switch (code) {
    case errc::message_too_large:
    case errc::request_too_large:
    case errc::uri_too_long:
    case errc::header_too_large:
    case errc::batch_too_large: return rejection::too_large;
    case errc::rate_limited: return rejection::rate_limited;
    case errc::invalid_token:
    case errc::token_revoked:
    case errc::token_expired:
    case errc::token_disabled:
    case errc::token_pending:
    case errc::user_inactive: return rejection::unauthorized;
    case errc::storage_busy:
    case errc::storage_full:
    case errc::internal: return rejection::storage_error;
    default: return rejection::invalid;
  }
}

std::string_view to_string(rejection r) noexcept {
  return rejection_names[static_cast<std::size_t>(r)];
}

std::optional<rejection> parse_rejection(std::string_view s) noexcept {
  for (std::size_t i = 0; i < rejection_names.size(); ++i)
    if (rejection_names[i] == s)
      return static_cast<rejection>(i);
  return std::nullopt;
}

std::uint64_t usage_totals::rejected_total() const noexcept {
  std::uint64_t n = 0;
  for (auto r : rejected)
    n += r;
  return n;
}

std::uint32_t usage_minute::rejected_unrecorded() const noexcept {
  std::uint64_t known = 0;
  for (auto n : rejected_by)
    known += n;
  return known >= rejected ? 0 : static_cast<std::uint32_t>(rejected - known);
}

usage_minute& usage_meter::slot(std::int64_t now_us) noexcept {
  auto minute = minute_of(now_us);
  auto& s = ring_[index_of(minute)];
  if (s.minute != minute) // an hour-old slot comes round again: reuse it
    s = usage_minute{minute};
  changed_.add(minute);
  return s;
}

void usage_meter::accepted(std::int64_t now_us, std::uint64_t requests, std::uint64_t messages,
                           std::uint64_t duplicates, std::uint64_t bytes) noexcept {
  totals_.requests += requests;
  totals_.messages += messages;
  totals_.duplicates += duplicates;
  totals_.bytes += bytes;
  auto& s = slot(now_us);
  s.requests = add32(s.requests, requests);
  s.messages = add32(s.messages, messages);
  s.bytes += bytes;
}

void usage_meter::rejected(std::int64_t now_us, rejection why, std::uint64_t requests) noexcept {
  totals_.rejected[static_cast<std::size_t>(why)] += requests;
  auto& s = slot(now_us);
  s.rejected = add32(s.rejected, requests);
  auto& by = s.rejected_by[static_cast<std::size_t>(why)];
  by = add32(by, requests);
}

void usage_meter::sampled(std::int64_t now_us, std::uint64_t requests,
                          std::uint64_t messages) noexcept {
  totals_.requests += requests;
  totals_.sampled_requests += requests;
  totals_.sampled_messages += messages;
  auto& s = slot(now_us);
  s.requests = add32(s.requests, requests);
  s.sampled = add32(s.sampled, requests);
}

void usage_meter::shadow_limited(std::int64_t now_us) noexcept {
  (void)now_us;
  ++totals_.shadow_limited;
}

void usage_meter::take_back(std::int64_t counted_at_us, std::uint64_t requests,
                            std::uint64_t messages, std::uint64_t duplicates,
                            std::uint64_t bytes) noexcept {
  totals_.requests -= std::min(totals_.requests, requests);
  totals_.messages -= std::min(totals_.messages, messages);
  totals_.bytes -= std::min(totals_.bytes, bytes);
  totals_.duplicates += duplicates;
  // Only the minute it was counted in, and only while the ring still holds
  // it: slot() would start a new minute over an older one.
  auto minute = minute_of(counted_at_us);
  auto& s = ring_[index_of(minute)];
  if (s.minute != minute)
    return;
  changed_.add(minute);
  s.requests -= static_cast<std::uint32_t>(std::min<std::uint64_t>(s.requests, requests));
  s.messages -= static_cast<std::uint32_t>(std::min<std::uint64_t>(s.messages, messages));
  s.bytes -= std::min(s.bytes, bytes);
}

std::vector<usage_minute> usage_meter::last_hour(std::int64_t now_us) const {
  std::vector<usage_minute> out;
  out.reserve(minutes_kept);
  auto current = minute_of(now_us);
  for (auto m = current - static_cast<std::int64_t>(minutes_kept) + 1; m <= current; ++m) {
    auto& s = ring_[index_of(m)];
    out.push_back(s.minute == m ? s : usage_minute{m});
  }
  return out;
}

std::vector<usage_minute> usage_meter::active_minutes(std::int64_t now_us) const {
  std::vector<usage_minute> out;
  for (auto& m : last_hour(now_us))
    if (m.requests || m.messages || m.rejected || m.sampled || m.bytes)
      out.push_back(m);
  return out;
}

void usage_meter::restore(const usage_totals& totals, const std::vector<usage_minute>& minutes,
                          std::int64_t now_us) noexcept {
  totals_ = totals;
  ring_ = {};
  auto current = minute_of(now_us);
  for (auto& m : minutes)
    if (m.minute <= current && m.minute > current - static_cast<std::int64_t>(minutes_kept))
      ring_[index_of(m.minute)] = m;
}

} // namespace sluice
