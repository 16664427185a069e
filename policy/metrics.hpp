#pragma once

// Prometheus metrics: counters, gauges and histograms kept in relaxed
// atomics, cheap to bump from any thread (no lock, no allocation, no lookup:
// every label value combination is a cell fixed at construction), and their
// rendering in the text exposition format 0.0.4. Pure: no I/O and no clock;
// callers pass times in.
//
// Labels come only from fixed enumerations given when a metric is made (a
// door, a status code, a reason, an environment's name): never from a
// request, so a scrape can hold no secret and its size is bounded.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "policy/message.hpp"
#include "policy/retention.hpp"
#include "policy/usage.hpp"

namespace sluice {

// ---------------------------------------------------------------------------
// The general part: metrics and a registry of them.

/// One label of a metric and every value it may take.
struct metric_label {
  std::string name;
  std::vector<std::string> values;
};

/// What every metric has: a name, a help text and its labels. A metric with
/// labels holds one cell per combination of their values (row-major: the
/// last label varies fastest); without labels, one cell.
class metric {
public:
  virtual ~metric() = default;
  metric(const metric&) = delete;
  metric& operator=(const metric&) = delete;

  const std::string& name() const noexcept { return name_; }
  /// The cell of one combination, given the index of each label's value in
  /// the order the labels were declared. A wrong count or an index out of
  /// range gives cells(), which every update ignores.
  std::size_t cell_of(std::initializer_list<std::size_t> value_indexes) const noexcept;
  /// Number of cells: the product of the labels' value counts.
  std::size_t cells() const noexcept { return cells_; }

  /// Appends the metric's # HELP and # TYPE lines and its samples.
  virtual void render(std::string& out) const = 0;

protected:
  /// Throws std::invalid_argument for a name or label name Prometheus does
  /// not allow, or a label without values.
  metric(std::string name, std::string help, std::vector<metric_label> labels);

  void render_header(std::string& out, std::string_view type) const;
  /// Appends `name{labels of cell}` (no braces when there are no labels).
  void render_series(std::string& out, std::size_t cell) const;

  std::string name_;
  std::string help_;
  std::vector<metric_label> labels_;
  std::size_t cells_ = 1;
};

/// A count that only goes up (a Prometheus counter; its name should end in
/// `_total`).
class counter final : public metric {
public:
  /// `hide_zeros`: leave out cells still at zero when rendering, for metrics
  /// whose label combinations are many and mostly unused (a door answers
  /// with a handful of the status codes).
  counter(std::string name, std::string help, std::vector<metric_label> labels = {},
          bool hide_zeros = false);

  /// Adds `n` to `cell` (see cell_of); an out-of-range cell is ignored.
  void add(std::size_t cell, std::uint64_t n = 1) noexcept {
    if (cell < cells_)
      values_[cell].fetch_add(n, std::memory_order_relaxed);
  }
  /// Adds one to the only cell of a metric without labels.
  void inc(std::uint64_t n = 1) noexcept { add(0, n); }
  std::uint64_t value(std::size_t cell = 0) const noexcept;

  void render(std::string& out) const override;

private:
  std::unique_ptr<std::atomic<std::uint64_t>[]> values_;
  bool hide_zeros_;
};

/// A value that goes up and down (sizes, counts of live things, a time).
class gauge final : public metric {
public:
  gauge(std::string name, std::string help, std::vector<metric_label> labels = {});

  void set(std::size_t cell, std::int64_t v) noexcept {
    if (cell < cells_)
      values_[cell].store(v, std::memory_order_relaxed);
  }
  void add(std::size_t cell, std::int64_t d) noexcept {
    if (cell < cells_)
      values_[cell].fetch_add(d, std::memory_order_relaxed);
  }
  /// Sets the only cell of a metric without labels.
  void set(std::int64_t v) noexcept { set(0, v); }
  std::int64_t value(std::size_t cell = 0) const noexcept;

  void render(std::string& out) const override;

private:
  std::unique_ptr<std::atomic<std::int64_t>[]> values_;
};

/// A distribution over fixed buckets, without labels. Each observation adds
/// to one bucket and to the sum; the cumulative counts Prometheus wants are
/// made when rendering, and `_count` is the +Inf bucket, so the two always
/// agree within a scrape.
class histogram final : public metric {
public:
  /// `upper_bounds`: finite, strictly ascending (+Inf is implied). Throws
  /// std::invalid_argument otherwise.
  histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  /// Counts `v` in the first bucket whose bound is >= v. NaN is ignored.
  void observe(double v) noexcept;

  /// The cumulative bucket counts (one per bound, then +Inf), and the sum.
  struct reading {
    std::vector<std::uint64_t> cumulative;
    double sum = 0;
    std::uint64_t count() const noexcept { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  reading read() const;
  const std::vector<double>& upper_bounds() const noexcept { return bounds_; }

  void render(std::string& out) const override;

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; ///< per bucket, not cumulative
  std::atomic<double> sum_{0};
};

/// Owns metrics and renders them in the order they were added. Add every
/// metric and refresher before the registry is shared between threads: the
/// list itself is not guarded; updating and rendering metrics then is safe
/// from any thread.
class metric_registry {
public:
  metric_registry() = default;
  metric_registry(const metric_registry&) = delete;
  metric_registry& operator=(const metric_registry&) = delete;

  /// Each throws std::invalid_argument for a name already taken (or one a
  /// histogram's series already use) or one Prometheus does not allow.
  counter& add_counter(std::string name, std::string help, std::vector<metric_label> labels = {},
                       bool hide_zeros = false);
  gauge& add_gauge(std::string name, std::string help, std::vector<metric_label> labels = {});
  histogram& add_histogram(std::string name, std::string help, std::vector<double> upper_bounds);

  /// `refresh` runs at the start of every render(), on the scraping thread:
  /// for gauges read from elsewhere only when someone asks (sizes, counts).
  void on_scrape(std::function<void()> refresh);

  /// The whole exposition (text format 0.0.4), after running the refreshers.
  std::string render() const;

private:
  template <class M>
  M& add(std::unique_ptr<M> m);

  std::vector<std::unique_ptr<metric>> metrics_;
  std::vector<std::function<void()>> refreshers_;
};

/// The Content-Type of render()'s output.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4";

/// `v` escaped for a label value (backslash, double quote, line feed).
std::string escape_label_value(std::string_view v);
/// `v` escaped for a # HELP line (backslash, line feed).
std::string escape_help(std::string_view v);
/// A sample value as Prometheus reads it: shortest round-trip decimal, and
/// +Inf, -Inf, NaN.
std::string format_metric_value(double v);

// ---------------------------------------------------------------------------
// Sluice's own metrics: the fixed enumerations their labels come from, and
// one object holding them all with a method per event.

/// The two HTTP ports.
enum class http_port : std::uint8_t { ingest, admin };
inline constexpr std::size_t http_port_count = 2;
std::string_view to_string(http_port p) noexcept;

/// Which door a request came through, as the request counter labels it. The
/// first five are the ingest doors, in message_source's order.
enum class http_door : std::uint8_t {
  native,
  otlp_logs,
  otlp_traces,
  langfuse,
  webhook, ///< ingest doors
  whoami,  ///< GET /systems/me
  health,  ///< /healthz and /readyz (either port)
  admin,   ///< /api/v1/… admin calls
  openapi, ///< GET /api/v1/openapi.json
  metrics, ///< GET /metrics
  portal,  ///< the web portal's files on the admin port: /, /portal/…
  other,   ///< no route, or refused before routing (unparseable, too large)
};
inline constexpr std::size_t http_door_count = 12;
std::string_view to_string(http_door d) noexcept;
/// The ingest door a stored message came through.
http_door door_of(message_source s) noexcept;

/// The status codes counted one by one; any other is counted as "other".
inline constexpr std::array<unsigned, 18> counted_statuses = {
  200, 201, 202, 207, 400, 401, 403, 404, 405, 409, 413, 414, 415, 429, 431, 500, 503, 507,
};
/// Index of `status` in counted_statuses, or counted_statuses.size() ("other").
constexpr std::size_t status_index(unsigned status) noexcept {
  for (std::size_t i = 0; i < counted_statuses.size(); ++i)
    if (counted_statuses[i] == status)
      return i;
  return counted_statuses.size();
}

/// Which limit's shadow mode would have refused a request.
enum class shadow_limit : std::uint8_t { token, system };

/// The LMDB environments: one per retention class (retention::values, named
/// like their directories: "r7", …, "rnever"), then the metadata ("meta").
inline constexpr std::size_t storage_env_count = retention::values.size() + 1;
inline constexpr std::size_t meta_env_index = retention::values.size();
/// The environment of a retention class; meta_env_index for a value that is
/// none (never the case for a stored token).
std::size_t storage_env_index(int retention_days) noexcept;
std::string storage_env_name(std::size_t index);

/// Buckets of the group-commit histograms.
inline constexpr std::array<double, 14> commit_size_buckets = {
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000,
};
inline constexpr std::array<double, 14> commit_seconds_buckets = {
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
};
/// Buckets of the ingest request-duration histogram: 2 ms is a bound of its
/// own, so the share of answers within it is read off exactly.
inline constexpr std::array<double, 15> request_seconds_buckets = {
  0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};

/// Every metric Sluice exposes (names in docs: `sluice_…`). One object per
/// process, owned by the runtime and handed by pointer to whatever counts;
/// each event is counted once, where it happens. All methods are safe from
/// any thread and cost one or two relaxed atomic adds.
class gateway_metrics {
public:
  /// `start_time_s`: when the process started, in seconds since the epoch.
  explicit gateway_metrics(std::int64_t start_time_s);
  gateway_metrics(const gateway_metrics&) = delete;
  gateway_metrics& operator=(const gateway_metrics&) = delete;

  /// A response written on `p` for a request through `d`.
  void request(http_port p, http_door d, unsigned status) noexcept {
    requests_.add(request_cell(p, d, status));
  }
  /// A response of the ingest port handed to its socket, `seconds` after the
  /// first byte of its request was read.
  void ingest_answered(double seconds) noexcept { ingest_seconds_.observe(seconds); }
  /// A request committed: its new messages, its duplicates and its bytes.
  void accepted(message_source from, std::uint64_t messages, std::uint64_t duplicates,
                std::uint64_t bytes) noexcept;
  /// `requests` refused for `why` (the reasons usage counts).
  void rejected(rejection why, std::uint64_t requests = 1) noexcept {
    rejected_.add(static_cast<std::size_t>(why), requests);
  }
  /// A request acknowledged but dropped by sampling, with its messages.
  void sampled(std::uint64_t messages) noexcept {
    sampled_requests_.inc();
    sampled_messages_.inc(messages);
  }
  /// A request a limit in shadow mode would have refused.
  void shadow_limited(shadow_limit which) noexcept { shadow_.add(static_cast<std::size_t>(which)); }
  /// One group commit: how many messages it wrote and how long it took.
  void group_committed(std::uint64_t messages, double seconds) noexcept {
    commit_size_.observe(static_cast<double>(messages));
    commit_seconds_.observe(seconds);
  }

  /// Checkpoints of the write-ahead log made durable, and failed, since the
  /// last call (the storage actor reports after each group).
  void checkpoints(std::uint64_t taken, std::uint64_t failed) noexcept {
    checkpoints_.add(0, taken);
    checkpoints_.add(1, failed);
  }

  // Read at scrape time (from a refresher, see on_scrape).
  void set_live_actors(std::uint64_t tokens, std::uint64_t systems) noexcept;
  void set_open_connections(http_port p, std::uint64_t n) noexcept;
  void set_backlog(std::uint64_t bytes) noexcept;
  void set_log_used(std::uint64_t bytes) noexcept;
  void set_storage(std::size_t env_index, std::uint64_t map_size_bytes,
                   std::uint64_t used_bytes) noexcept;

  /// See metric_registry::on_scrape; before the registry is shared.
  void on_scrape(std::function<void()> refresh) { registry_.on_scrape(std::move(refresh)); }
  /// The exposition, as served at GET /metrics.
  std::string render() const { return registry_.render(); }

  /// For tests: the request counter's cell of (p, d, status).
  std::uint64_t requests(http_port p, http_door d, unsigned status) const noexcept;

private:
  /// The request counter's labels are (port, door, code), in that order.
  static constexpr std::size_t request_cell(http_port p, http_door d, unsigned status) noexcept {
    return (static_cast<std::size_t>(p) * http_door_count + static_cast<std::size_t>(d))
             * (counted_statuses.size() + 1)
           + status_index(status);
  }

  metric_registry registry_;
  counter& requests_;
  counter& accepted_requests_;
  counter& accepted_messages_;
  counter& duplicate_messages_;
  counter& accepted_bytes_;
  counter& rejected_;
  counter& sampled_requests_;
  counter& sampled_messages_;
  counter& shadow_;
  histogram& commit_size_;
  histogram& commit_seconds_;
  histogram& ingest_seconds_;
  counter& checkpoints_;
  gauge& log_used_;
  gauge& map_size_;
  gauge& used_bytes_;
  gauge& live_tokens_;
  gauge& live_systems_;
  gauge& connections_;
  gauge& backlog_;
  gauge& start_time_;
};

} // namespace sluice
