#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "policy/errors.hpp"
#include "policy/time.hpp"

namespace sluice {

/// Why a request was refused, as usage counts it.
enum class rejection : std::uint8_t {
  unauthorized,  ///< revoked, expired, … token (a genuine secret)
  invalid,       ///< malformed JSON or invalid messages
  too_large,     ///< a message over the inline cap, or a batch over a cap
  rate_limited,  ///< 429
  storage_error, ///< 5xx from storage
};
inline constexpr std::size_t rejection_count = 5;

/// How usage counts a refused ingest request with this error: the three
/// size caps are too_large, rate_limited is itself, the token errors are
/// unauthorized, storage errors storage_error, anything else invalid.
rejection rejection_of(errc code) noexcept;

std::string_view to_string(rejection r) noexcept;
std::optional<rejection> parse_rejection(std::string_view s) noexcept;

/// Counters since the token or system was created.
struct usage_totals {
  std::uint64_t requests = 0;   ///< acknowledged requests (202), sampled ones too
  std::uint64_t messages = 0;   ///< messages stored
  std::uint64_t duplicates = 0; ///< messages acknowledged as duplicates
  std::uint64_t bytes = 0;      ///< bytes of the messages stored (minified JSON)
  std::array<std::uint64_t, rejection_count> rejected{};
  std::uint64_t sampled_requests = 0; ///< acknowledged, dropped by sampling
  std::uint64_t sampled_messages = 0;
  std::uint64_t shadow_limited = 0; ///< a shadowed limit would have refused

  std::uint64_t rejected_total() const noexcept;

  friend bool operator==(const usage_totals&, const usage_totals&) = default;
};

/// One minute of usage; `minute` counts minutes since the Unix epoch.
/// Invariant: `rejected` >= the sum of `rejected_by`. They are equal for every
/// minute counted by this version; a minute stored before the reasons were
/// counted per minute has its refusals in `rejected` only (reason unknown).
struct usage_minute {
  std::int64_t minute = 0;
  std::uint32_t requests = 0;
  std::uint32_t messages = 0;
  std::uint32_t rejected = 0; ///< refused requests, every reason together
  std::uint32_t sampled = 0;  ///< requests dropped by sampling
  std::uint64_t bytes = 0;
  /// Refused requests per reason, indexed by `rejection`.
  std::array<std::uint32_t, rejection_count> rejected_by{};

  /// Refusals whose reason was not recorded (minutes stored before reasons
  /// were counted per minute): `rejected` minus the sum of `rejected_by`.
  std::uint32_t rejected_unrecorded() const noexcept;

  friend bool operator==(const usage_minute&, const usage_minute&) = default;
};

inline constexpr std::size_t minutes_kept = 60;

/// A closed range of minutes, [first, last]; empty when first > last.
struct minute_range {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();

  bool empty() const noexcept { return first > last; }
  /// Grows the range to hold `minute`.
  void add(std::int64_t minute) noexcept {
    first = minute < first ? minute : first;
    last = minute > last ? minute : last;
  }
  /// Grows the range to hold `other`.
  void add(const minute_range& other) noexcept {
    if (!other.empty()) {
      add(other.first);
      add(other.last);
    }
  }
  friend bool operator==(const minute_range&, const minute_range&) = default;
};

/// Usage of one token or system: totals, and a per-minute series for the last
/// hour in a fixed ring (no allocation as it counts). Time is passed in.
/// Owned by one actor: not thread-safe.
class usage_meter {
public:
  void accepted(std::int64_t now_us, std::uint64_t requests, std::uint64_t messages,
                std::uint64_t duplicates, std::uint64_t bytes) noexcept;
  void rejected(std::int64_t now_us, rejection why, std::uint64_t requests = 1) noexcept;
  void sampled(std::int64_t now_us, std::uint64_t requests, std::uint64_t messages) noexcept;
  void shadow_limited(std::int64_t now_us) noexcept;

  /// Takes back part of what accepted() counted at `counted_at_us`: requests
  /// whose commit then failed, messages and bytes that were not stored after
  /// all, and moves `duplicates` of those messages to the duplicates. The
  /// minute of `counted_at_us` gives them back if it is still in the ring;
  /// nothing goes below zero. (Requests are counted as acknowledged when they
  /// are let on to storage, and settled here in the rare case the commit
  /// says otherwise.)
  void take_back(std::int64_t counted_at_us, std::uint64_t requests, std::uint64_t messages,
                 std::uint64_t duplicates, std::uint64_t bytes) noexcept;

  const usage_totals& totals() const noexcept { return totals_; }

  /// The 60 minutes up to and including the current one, oldest first, with
  /// zeros for quiet minutes.
  std::vector<usage_minute> last_hour(std::int64_t now_us) const;

  /// Only the minutes of the last hour that saw anything (for storage).
  std::vector<usage_minute> active_minutes(std::int64_t now_us) const;

  /// Starts from what was stored; minutes older than an hour are ignored.
  /// What is restored does not count as changed.
  void restore(const usage_totals& totals, const std::vector<usage_minute>& minutes,
               std::int64_t now_us) noexcept;

  /// The minutes whose counts changed since the last take_changed() (or
  /// since the meter started), and starts a new range. Storage rewrites only
  /// these minutes of the series (store::meta_writer::put_usage).
  minute_range take_changed() noexcept {
    auto r = changed_;
    changed_ = {};
    return r;
  }

private:
  usage_minute& slot(std::int64_t now_us) noexcept;

  usage_totals totals_;
  std::array<usage_minute, minutes_kept> ring_{};
  minute_range changed_;
};

} // namespace sluice
