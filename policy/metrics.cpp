#include "policy/metrics.hpp"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace sluice {

namespace {

bool name_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

bool name_char(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }

/// [a-zA-Z_:][a-zA-Z0-9_:]*: colons are allowed by the format, though meant
/// for recording rules.
bool valid_metric_name(std::string_view s) noexcept {
  if (s.empty() || !(name_start(s[0]) || s[0] == ':'))
    return false;
  for (char c : s)
    if (!(name_char(c) || c == ':'))
      return false;
  return true;
}

/// [a-zA-Z_][a-zA-Z0-9_]*, and not "__…" (reserved for Prometheus itself).
bool valid_label_name(std::string_view s) noexcept {
  if (s.empty() || !name_start(s[0]) || s.substr(0, 2) == "__")
    return false;
  for (char c : s)
    if (!name_char(c))
      return false;
  return true;
}

template <class T>
void append_integer(std::string& out, T v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

template <class T>
std::unique_ptr<std::atomic<T>[]> zeroed(std::size_t n) {
  // make_unique<T[]> value-initializes: every atomic starts at zero.
  return std::make_unique<std::atomic<T>[]>(n);
}

} // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  // Shortest round trip in %g style, as Prometheus' own Go clients write
  // numbers (so `le` values look the same as theirs: "0.0001", "1e+06").
  char buf[32];
  return {buf, std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general).ptr};
}

// ---------------------------------------------------------------------------
// metric

metric::metric(std::string name, std::string help, std::vector<metric_label> labels)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {
  if (!valid_metric_name(name_))
    throw std::invalid_argument("metric name '" + name_ + "' is not allowed");
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    auto& l = labels_[i];
    if (!valid_label_name(l.name))
      throw std::invalid_argument("label name '" + l.name + "' of " + name_ + " is not allowed");
    if (l.values.empty())
      throw std::invalid_argument("label " + l.name + " of " + name_ + " has no values");
    for (std::size_t j = 0; j < i; ++j)
      if (labels_[j].name == l.name)
        throw std::invalid_argument("label " + l.name + " of " + name_ + " given twice");
    cells_ *= l.values.size();
  }
}

std::size_t metric::cell_of(std::initializer_list<std::size_t> value_indexes) const noexcept {
  if (value_indexes.size() != labels_.size())
    return cells_;
  std::size_t cell = 0;
  auto label = labels_.begin();
  for (auto i : value_indexes) {
    if (i >= label->values.size())
      return cells_;
    cell = cell * label->values.size() + i;
    ++label;
  }
  return cell;
}

void metric::render_header(std::string& out, std::string_view type) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escape_help(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += type;
  out += '\n';
}

void metric::render_series(std::string& out, std::size_t cell) const {
  out += name_;
  if (labels_.empty())
    return;
  // Row-major: peel the last label off first, then write them in order.
  std::vector<std::size_t> idx(labels_.size());
  for (std::size_t i = labels_.size(); i-- > 0;) {
    idx[i] = cell % labels_[i].values.size();
    cell /= labels_[i].values.size();
  }
  out += '{';
  for (std::size_t i = 0; i < labels_.size(); ++i) {
    if (i)
      out += ',';
    out += labels_[i].name;
    out += "=\"";
    out += escape_label_value(labels_[i].values[idx[i]]);
    out += '"';
  }
  out += '}';
}

// ---------------------------------------------------------------------------
// counter, gauge, histogram

counter::counter(std::string name, std::string help, std::vector<metric_label> labels,
                 bool hide_zeros)
    : metric(std::move(name), std::move(help), std::move(labels)),
      values_(zeroed<std::uint64_t>(cells_)), hide_zeros_(hide_zeros) {}

std::uint64_t counter::value(std::size_t cell) const noexcept {
  return cell < cells_ ? values_[cell].load(std::memory_order_relaxed) : 0;
}

void counter::render(std::string& out) const {
  render_header(out, "counter");
  for (std::size_t i = 0; i < cells_; ++i) {
    auto v = values_[i].load(std::memory_order_relaxed);
    if (v == 0 && hide_zeros_)
      continue;
    render_series(out, i);
    out += ' ';
    append_integer(out, v);
    out += '\n';
  }
}

gauge::gauge(std::string name, std::string help, std::vector<metric_label> labels)
    : metric(std::move(name), std::move(help), std::move(labels)),
      values_(zeroed<std::int64_t>(cells_)) {}

std::int64_t gauge::value(std::size_t cell) const noexcept {
  return cell < cells_ ? values_[cell].load(std::memory_order_relaxed) : 0;
}

void gauge::render(std::string& out) const {
  render_header(out, "gauge");
  for (std::size_t i = 0; i < cells_; ++i) {
    render_series(out, i);
    out += ' ';
    append_integer(out, values_[i].load(std::memory_order_relaxed));
    out += '\n';
  }
}

histogram::histogram(std::string name, std::string help, std::vector<double> upper_bounds)
    : metric(std::move(name), std::move(help), {}), bounds_(std::move(upper_bounds)) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]))
      throw std::invalid_argument("histogram " + name_ + ": bucket bounds must be finite");
    if (i > 0 && !(bounds_[i - 1] < bounds_[i]))
      throw std::invalid_argument("histogram " + name_ + ": bucket bounds must ascend");
  }
  buckets_ = zeroed<std::uint64_t>(bounds_.size() + 1);
}

void histogram::observe(double v) noexcept {
  if (std::isnan(v))
    return;
  // Few buckets: a linear scan beats a binary search's branches.
  std::size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i])
    ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

histogram::reading histogram::read() const {
  reading r;
  r.cumulative.resize(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    r.cumulative[i] = total;
  }
  r.sum = sum_.load(std::memory_order_relaxed);
  return r;
}

void histogram::render(std::string& out) const {
  render_header(out, "histogram");
  auto r = read();
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    out += name_;
    out += "_bucket{le=\"";
    out += i < bounds_.size() ? format_metric_value(bounds_[i]) : "+Inf";
    out += "\"} ";
    append_integer(out, r.cumulative[i]);
    out += '\n';
  }
  out += name_;
  out += "_sum ";
  out += format_metric_value(r.sum);
  out += '\n';
  out += name_;
  out += "_count ";
  append_integer(out, r.count());
  out += '\n';
}

// ---------------------------------------------------------------------------
// metric_registry

namespace {

/// The series names a metric renders besides its own name.
std::vector<std::string> series_names(const metric& m) {
  if (dynamic_cast<const histogram*>(&m) == nullptr)
    return {m.name()};
  return {m.name(), m.name() + "_bucket", m.name() + "_sum", m.name() + "_count"};
}

} // namespace

template <class M>
M& metric_registry::add(std::unique_ptr<M> m) {
  auto mine = series_names(*m);
  for (auto& other : metrics_)
    for (auto& a : series_names(*other))
      for (auto& b : mine)
        if (a == b)
          throw std::invalid_argument("metric name " + b + " is taken");
  auto& ref = *m;
  metrics_.push_back(std::move(m));
  return ref;
}

counter& metric_registry::add_counter(std::string name, std::string help,
                                      std::vector<metric_label> labels, bool hide_zeros) {
  return add(
    std::make_unique<counter>(std::move(name), std::move(help), std::move(labels), hide_zeros));
}

gauge& metric_registry::add_gauge(std::string name, std::string help,
                                  std::vector<metric_label> labels) {
  return add(std::make_unique<gauge>(std::move(name), std::move(help), std::move(labels)));
}

histogram& metric_registry::add_histogram(std::string name, std::string help,
                                          std::vector<double> upper_bounds) {
  return add(
    std::make_unique<histogram>(std::move(name), std::move(help), std::move(upper_bounds)));
}

void metric_registry::on_scrape(std::function<void()> refresh) {
  refreshers_.push_back(std::move(refresh));
}

std::string metric_registry::render() const {
  for (auto& refresh : refreshers_)
    refresh();
  std::string out;
  out.reserve(8 << 10);
  for (auto& m : metrics_)
    m->render(out);
  return out;
}

// ---------------------------------------------------------------------------
// Sluice's metrics

namespace {

constexpr std::array<std::string_view, http_port_count> port_names = {"ingest", "admin"};
constexpr std::array<std::string_view, http_door_count> door_names = {
  "native", "otlp_logs", "otlp_traces", "langfuse", "webhook", "whoami",
  "health", "admin",     "openapi",     "metrics",  "portal",  "other",
};
constexpr std::size_t ingest_door_count = 5; ///< the doors that store messages

template <std::size_t N>
std::vector<std::string> strings(const std::array<std::string_view, N>& a, std::size_t n = N) {
  return {a.begin(), a.begin() + n};
}

metric_label door_label(std::size_t n = http_door_count) {
  return {"door", strings(door_names, n)};
}

std::vector<std::string> code_values() {
  std::vector<std::string> out;
  for (auto s : counted_statuses)
    out.push_back(std::to_string(s));
  out.emplace_back("other");
  return out;
}

std::vector<std::string> reason_values() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < rejection_count; ++i)
    out.emplace_back(to_string(static_cast<rejection>(i)));
  return out;
}

std::vector<std::string> env_values() {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < storage_env_count; ++i)
    out.push_back(storage_env_name(i));
  return out;
}

std::vector<double> bounds(const auto& a) { return {a.begin(), a.end()}; }

} // namespace

std::string_view to_string(http_port p) noexcept { return port_names[static_cast<std::size_t>(p)]; }

std::string_view to_string(http_door d) noexcept { return door_names[static_cast<std::size_t>(d)]; }

http_door door_of(message_source s) noexcept {
  // Same order, checked below.
  return static_cast<http_door>(s);
}
static_assert(static_cast<int>(http_door::native) == static_cast<int>(message_source::native));
static_assert(static_cast<int>(http_door::otlp_logs)
              == static_cast<int>(message_source::otlp_logs));
static_assert(static_cast<int>(http_door::otlp_traces)
              == static_cast<int>(message_source::otlp_traces));
static_assert(static_cast<int>(http_door::langfuse) == static_cast<int>(message_source::langfuse));
static_assert(static_cast<int>(http_door::webhook) == static_cast<int>(message_source::webhook));

std::size_t storage_env_index(int retention_days) noexcept {
  auto i = retention::class_index(retention_days);
  return i ? *i : meta_env_index;
}

std::string storage_env_name(std::size_t index) {
  if (index >= retention::values.size())
    return "meta";
  auto days = retention::values[index];
  return retention::class_name(days);
}

gateway_metrics::gateway_metrics(std::int64_t start_time_s)
    : requests_(registry_.add_counter(
      "sluice_http_requests_total",
      "HTTP responses written, by port, door and status code (codes outside the fixed set "
      "are \"other\"; door \"other\" is a request with no route or refused before routing).",
      {{"port", strings(port_names)}, door_label(), {"code", code_values()}}, true)),
      accepted_requests_(registry_.add_counter("sluice_accepted_requests_total",
                                               "Ingest requests committed to storage, by door.",
                                               {door_label(ingest_door_count)})),
      accepted_messages_(
        registry_.add_counter("sluice_accepted_messages_total",
                              "Messages committed to storage, by door (duplicates not included).",
                              {door_label(ingest_door_count)})),
      duplicate_messages_(registry_.add_counter(
        "sluice_duplicate_messages_total",
        "Messages acknowledged as duplicates of one stored within the dedup window, by door.",
        {door_label(ingest_door_count)})),
      accepted_bytes_(registry_.add_counter(
        "sluice_accepted_bytes_total",
        "Bytes of the messages of committed requests (minified JSON), by door.",
        {door_label(ingest_door_count)})),
      rejected_(registry_.add_counter(
        "sluice_rejected_requests_total",
        "Requests of a known token refused, by reason (as token and system usage count them; "
        "an unknown or missing token is only in sluice_http_requests_total).",
        {{"reason", reason_values()}})),
      sampled_requests_(registry_.add_counter(
        "sluice_sampled_requests_total", "Ingest requests acknowledged but dropped by sampling.")),
      sampled_messages_(registry_.add_counter("sluice_sampled_messages_total",
                                              "Messages acknowledged but dropped by sampling.")),
      shadow_(registry_.add_counter(
        "sluice_shadow_limited_requests_total",
        "Requests a limit in shadow mode would have refused, by limit (the token's own, or "
        "the system's tier limit).",
        {{"limit", {"token", "system"}}})),
      commit_size_(registry_.add_histogram(
        "sluice_commit_group_messages",
        "Messages written by one group commit of the storage actor.", bounds(commit_size_buckets))),
      commit_seconds_(registry_.add_histogram(
        "sluice_commit_duration_seconds",
        "Time one group commit takes (its write transactions and their flush).",
        bounds(commit_seconds_buckets))),
      ingest_seconds_(registry_.add_histogram(
        "sluice_ingest_request_duration_seconds",
        "Time from the first byte of an ingest request read to its response handed to the "
        "socket (every answer of the ingest port, refusals included).",
        bounds(request_seconds_buckets))),
      checkpoints_(registry_.add_counter(
        "sluice_checkpoints_total",
        "Checkpoints of the write-ahead log (the message environments flushed behind the "
        "acknowledgements), by result.",
        {{"result", {"ok", "failed"}}})),
      log_used_(registry_.add_gauge(
        "sluice_wal_used_bytes",
        "Bytes of the write-ahead log holding group commits no checkpoint covers yet.")),
      map_size_(registry_.add_gauge(
        "sluice_storage_map_size_bytes",
        "Map size of each LMDB environment (messages per retention class, and meta).",
        {{"env", env_values()}})),
      used_bytes_(registry_.add_gauge(
        "sluice_storage_used_bytes",
        "Bytes of each LMDB environment's map in use (its highest page; freed pages are "
        "reused before the map grows).",
        {{"env", env_values()}})),
      live_tokens_(registry_.add_gauge("sluice_live_token_actors",
                                       "Token actors live now (idle ones passivate).")),
      live_systems_(registry_.add_gauge("sluice_live_system_actors", "System actors live now.")),
      connections_(registry_.add_gauge("sluice_open_connections",
                                       "TCP connections open now, by port.",
                                       {{"port", strings(port_names)}})),
      backlog_(registry_.add_gauge(
        "sluice_ingest_backlog_bytes",
        "Bytes of ingest requests let in and not yet answered; new ones get 503 beyond "
        "storage.max-pending-bytes.")),
      start_time_(registry_.add_gauge("sluice_process_start_time_seconds",
                                      "When this process started, in seconds since the Unix "
                                      "epoch.")) {
  start_time_.set(start_time_s);
}

void gateway_metrics::accepted(message_source from, std::uint64_t messages,
                               std::uint64_t duplicates, std::uint64_t bytes) noexcept {
  auto d = static_cast<std::size_t>(from);
  accepted_requests_.add(d);
  accepted_messages_.add(d, messages);
  duplicate_messages_.add(d, duplicates);
  accepted_bytes_.add(d, bytes);
}

void gateway_metrics::set_live_actors(std::uint64_t tokens, std::uint64_t systems) noexcept {
  live_tokens_.set(static_cast<std::int64_t>(tokens));
  live_systems_.set(static_cast<std::int64_t>(systems));
}

void gateway_metrics::set_open_connections(http_port p, std::uint64_t n) noexcept {
  connections_.set(static_cast<std::size_t>(p), static_cast<std::int64_t>(n));
}

void gateway_metrics::set_backlog(std::uint64_t bytes) noexcept {
  backlog_.set(static_cast<std::int64_t>(bytes));
}

void gateway_metrics::set_log_used(std::uint64_t bytes) noexcept {
  log_used_.set(static_cast<std::int64_t>(bytes));
}

void gateway_metrics::set_storage(std::size_t env_index, std::uint64_t map_size_bytes,
                                  std::uint64_t used_bytes) noexcept {
  map_size_.set(env_index, static_cast<std::int64_t>(map_size_bytes));
  used_bytes_.set(env_index, static_cast<std::int64_t>(used_bytes));
}

std::uint64_t gateway_metrics::requests(http_port p, http_door d, unsigned status) const noexcept {
  return requests_.value(request_cell(p, d, status));
}

} // namespace sluice
