#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace sluice::retention {

/// Days a message is kept; -1 means never expire.
inline constexpr int never = -1;

/// Every allowed value, ascending, `never` last. Each is one storage class: one
/// LMDB environment holds every message ingested under that value.
inline constexpr std::array<int, 9> values = {7, 30, 90, 180, 365, 730, 1095, 1825, never};

inline constexpr std::int64_t us_per_day = 86'400'000'000LL;

/// True when `days` is one of `values`.
bool is_value(int days) noexcept;

/// Index of `days` in `values`; nullopt when it is not one.
std::optional<std::size_t> class_index(int days) noexcept;

/// The name of a storage class ("r7", …, "rnever"): its environment's
/// directory under <data-dir>/messages, and its label in the metrics.
std::string class_name(int days);

/// UTC day number (days since 1970-01-01) of a time in microseconds.
std::int64_t day_of(std::int64_t t_us) noexcept;

/// The last instant a message received at `received_us` under `days` must
/// still be kept (its age then equals its retention); it may be deleted any
/// time after. INT64_MAX for `never`.
std::int64_t expires_at(std::int64_t received_us, int days) noexcept;

/// True when every message of day bucket `day` (received during that UTC day)
/// is past `days` at `now_us`, i.e. the whole bucket may be dropped. Never true
/// for `never`, and never true while any message of the day is still young:
/// the newest possible message of the day is received just before midnight.
bool bucket_expired(std::int64_t day, int days, std::int64_t now_us) noexcept;

/// Same rule for a window given in microseconds (the dedup window).
bool bucket_older_than(std::int64_t day, std::int64_t window_us, std::int64_t now_us) noexcept;

} // namespace sluice::retention
