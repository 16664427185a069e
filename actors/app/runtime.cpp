#include "actors/app/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "actors/admin_actor.hpp"
#include "actors/app/bootstrap.hpp"
#include "actors/registry.hpp"
#include "actors/turn_scheduler.hpp"
#include "actors/storage_actor.hpp"
#include "net/admin_routes.hpp"
#include "net/doors.hpp"
#include "net/http_server.hpp"
#include "net/ingest_routes.hpp"
#include "net/log.hpp"
#include "policy/time.hpp"
#include "policy/token_format.hpp"
#include "store/data_dir_lock.hpp"
#include "store/disk_space.hpp"
#include "store/message_store.hpp"
#include "store/meta_store.hpp"
#include "store/pepper_file.hpp"

namespace sluice {

namespace {

/// An ingest request held on its I/O thread until the end of the turn.
struct held_job {
  token_actor_if to;
  ingest_job_ptr job;
  std::uint32_t seq = 0; ///< arrival order within the turn
};

/// The requests an I/O thread let in during the current turn of its loop
/// (runtime::ingest), sent on by runtime::end_of_turn. Only that thread
/// touches it; its capacity stays, so steady state allocates nothing here.
thread_local std::vector<held_job> held_jobs;

/// How long shutdown waits for requests in flight to be answered.
constexpr auto drain_timeout = std::chrono::seconds(30);
/// How long shutdown waits for an actor to flush its usage.
constexpr auto flush_timeout = std::chrono::seconds(5);

problem no_token() {
  return make_problem(errc::invalid_token,
                      "no API token presented: send Authorization: Bearer <token>, "
                      "X-API-KEY: <token> or ?api_key=<token>");
}

/// A new non-zero id, never handed out before in this process.
std::uint64_t next_memo_owner() noexcept {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

} // namespace

runtime::runtime(sluice_config& cfg)
    : cfg_(cfg), metrics_(now_us() / 1'000'000), memo_owner_(next_memo_owner()) {
  // Registered before anything can scrape; it looks at what exists by then.
  metrics_.on_scrape([this] { refresh_metrics(); });
  for (auto t : {tier::free, tier::pro, tier::enterprise})
    if (auto p = check_caps(cfg_.tiers()[t]))
      throw startup_error("configuration [tier-" + std::string{to_string(t)} + "]: " + p.message,
                          "--tier-" + std::string{to_string(t)}
                            + ".<key>=VALUE or --config-file=FILE");
  bind_servers();
  open_data_dir();
}

namespace {

/// strerror-style text starts with a capital; a line of ours continues it.
std::string lowercase_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z')
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return s;
}

/// Binds one port, turning a failure into the line an operator can act on.
std::unique_ptr<net::http_server>
bind_server(const net::server_options& o, net::request_handler& handler, std::string_view option) {
  try {
    return std::make_unique<net::http_server>(o, handler);
  } catch (const std::system_error& e) {
    auto where = o.host + ":" + std::to_string(o.port);
    auto code = e.code();
    // A port in use or one below 1024 without the right is fixed by another
    // port; anything else (no such address here, a name that does not
    // resolve) by another host.
    bool port_problem = code == std::errc::address_in_use || code == std::errc::permission_denied;
    throw startup_error("cannot bind " + where + ": " + lowercase_first(code.message()),
                        "--" + std::string{option} + (port_problem ? "-port=N" : "-host=ADDR"));
  } catch (const std::runtime_error& e) {
    // The TLS certificate or key (std::system_error is caught above): the
    // option of the file the message names.
    bool key = std::string_view{e.what()}.rfind("TLS key file", 0) == 0;
    throw startup_error(std::string{option} + " port: " + e.what(),
                        key ? "--tls.key-file=FILE" : "--tls.cert-file=FILE");
  }
}

} // namespace

void runtime::bind_servers() {
  ingest_routes_ = std::make_unique<net::ingest_routes>(
    *this, cfg_.trusted_proxies, cfg_.ingest_max_request_bytes, cfg_.max_otlp_records);
  admin_routes_ = std::make_unique<net::admin_routes>(*this, cfg_.trusted_proxies, &metrics_,
                                                      cfg_.admin_streams(), cfg_.admin_max_streams);
  // Each server counts the responses it writes, by the door of their path.
  auto ingest_options = cfg_.ingest_server();
  ingest_options.metrics = &metrics_;
  ingest_options.metrics_port = http_port::ingest;
  ingest_options.door_of = &net::ingest_door_of;
  auto admin_options = cfg_.admin_server();
  admin_options.metrics = &metrics_;
  admin_options.metrics_port = http_port::admin;
  admin_options.door_of = &net::admin_door_of;
  // Bound before the data directory is touched: a port in use leaves it as
  // it was. No request is read before start().
  ingest_server_ = bind_server(ingest_options, *ingest_routes_, "ingest");
  admin_server_ = bind_server(admin_options, *admin_routes_, "admin");
}

void runtime::reload_tls() {
  std::string error;
  if (ingest_server_)
    ingest_server_->reload_tls(error);
  if (admin_server_)
    admin_server_->reload_tls(error);
}

void runtime::refresh_metrics() {
  // Each owner answers from what it keeps anyway (a map size under a lock,
  // an atomic): nothing here walks tokens, systems or messages.
  if (registry_)
    metrics_.set_live_actors(registry_->live_token_count(), registry_->live_system_count());
  if (ingest_server_)
    metrics_.set_open_connections(http_port::ingest, ingest_server_->open_connections());
  if (admin_server_)
    metrics_.set_open_connections(http_port::admin, admin_server_->open_connections());
  metrics_.set_backlog(backlog_bytes_.load(std::memory_order_relaxed));
  if (messages_) {
    metrics_.set_log_used(messages_->log_used_bytes());
    for (std::size_t i = 0; i < retention::values.size(); ++i)
      metrics_.set_storage(i, messages_->map_size(retention::values[i]),
                           messages_->used_bytes(retention::values[i]));
  }
  if (meta_)
    metrics_.set_storage(meta_env_index, meta_->map_size(), meta_->used_bytes());
}

void runtime::open_data_dir() {
  namespace fs = std::filesystem;
  const fs::path dir{cfg_.data_dir};
  const std::string option = "--data-dir=DIR";
  std::error_code ec;
  auto st = fs::status(dir, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st))
      throw startup_error("data directory " + dir.string() + " is not a directory", option);
    if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0)
      throw startup_error("data directory " + dir.string()
                            + " is not writable: " + lowercase_first(std::strerror(errno)),
                          option);
  } else {
    // The directory is made only once it can be: its nearest existing
    // ancestor must be a directory this process may write.
    auto ancestor = dir.has_parent_path() ? dir.parent_path() : fs::path{"."};
    while (!ancestor.empty() && !fs::exists(ancestor, ec) && ancestor.has_parent_path()
           && ancestor != ancestor.parent_path())
      ancestor = ancestor.parent_path();
    if (ancestor.empty())
      ancestor = ".";
    if (!fs::is_directory(ancestor, ec))
      throw startup_error("cannot create data directory " + dir.string() + ": " + ancestor.string()
                            + " is not a directory",
                          option);
    if (::access(ancestor.c_str(), W_OK | X_OK) != 0)
      throw startup_error("cannot create data directory " + dir.string() + ": "
                            + lowercase_first(std::strerror(errno)),
                          option);
    fs::create_directories(dir, ec);
    if (ec)
      throw startup_error("cannot create data directory " + dir.string() + ": "
                            + lowercase_first(ec.message()),
                          option);
  }
  try {
    dir_lock_ = std::make_unique<store::data_dir_lock>(dir);
  } catch (const std::runtime_error& e) {
    throw startup_error(e.what(), option);
  }
  // The pepper is made at the first start, before anything else; a data
  // directory with metadata and no pepper lost it, and a new one would
  // silently turn every token away.
  //
  // Users are never deleted, so metadata without any is a first start, whose
  // pepper is made here. With a pepper from before, the metadata was lost,
  // emptied or replaced: a new superuser (and a new token file) would leave
  // every stored message unreachable behind it. An empty or missing data
  // file is refused before LMDB would make a new one of it.
  const auto meta_file = dir / "meta" / "data.mdb";
  const bool had_pepper = fs::exists(dir / "pepper", ec);
  auto metadata_lost = [&] {
    return startup_error("data directory " + dir.string()
                           + " has a pepper but its metadata (meta/data.mdb) holds no users: it "
                             "was lost or replaced; restore meta/ from your backup (if a first "
                             "start was cut short, remove the data directory instead)",
                         option);
  };
  if (had_pepper && (!fs::exists(meta_file, ec) || fs::file_size(meta_file, ec) == 0))
    throw metadata_lost();
  pepper_ = fs::exists(meta_file) ? store::load_pepper(dir) : store::load_or_create_pepper(dir);

  store::meta_options mo;
  mo.dir = dir / "meta";
  mo.map_size = cfg_.meta_map_size;
  mo.max_map_size = cfg_.max_map_size;
  meta_ = std::make_unique<store::meta_store>(mo);

  store::message_store_options so;
  so.dir = dir / "messages";
  so.map_size = cfg_.map_size;
  so.max_map_size = cfg_.max_map_size;
  so.dedup_window_us =
    std::chrono::duration_cast<std::chrono::microseconds>(cfg_.dedup_window).count();
  // With the log (the default), a group is durable when its commit returns;
  // without it, one flush per group commit, and the storage actor
  // acknowledges a group once the next commit (or a sync) made it durable.
  so.wal_capacity = cfg_.wal_size;
  so.deferred_apply_bytes = cfg_.deferred_apply_bytes;
  so.log_writes_in_flight = cfg_.log_writes_in_flight;
  so.checkpoint_interval =
    std::chrono::duration_cast<std::chrono::milliseconds>(cfg_.checkpoint_interval);
  so.deferred_meta_sync = true;
  messages_ = std::make_unique<store::message_store>(so);
  // What a start after a crash or power loss (or any stop that left groups
  // past the last checkpoint) took from the log: an operator sees that the
  // recovery ran, and how much it carried.
  if (const auto& r = messages_->recovery(); r.groups > 0)
    log::info("write-ahead log: applied the groups acknowledged since its last checkpoint",
              {{"groups", r.groups}, {"messages", r.messages}});
  if (messages_->recovery().retired)
    log::info("write-ahead log: storage.write-ahead-log-size is 0; the log an earlier run left "
              "was applied and removed");

  if (meta_->empty()) {
    if (had_pepper) // a valid environment, but an empty one (see above)
      throw metadata_lost();
    // Shown once, in the start-up banner: only its hash is kept.
    first_superuser_ = create_superuser(*meta_, pepper_, "superuser").secret;
    if (!cfg_.bootstrap_token_file.empty()) {
      try {
        write_secret_file(cfg_.bootstrap_token_file, first_superuser_);
      } catch (const std::system_error& e) {
        // The superuser exists now; its token is still printed, so it is not
        // lost: say so instead of failing the start.
        log::warn("bootstrap token file not written; the token is printed in the banner: keep it",
                  {{"error", e.what()}});
        cfg_.bootstrap_token_file.clear();
      }
    }
  }
}

void runtime::forget_first_superuser() noexcept {
  sodium_memzero(first_superuser_.data(), first_superuser_.size());
  first_superuser_.clear();
}

runtime::~runtime() { stop(); }

void runtime::start() {
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  turn_ = turn_scheduler::of(*sys_);

  storage_init si;
  si.store = messages_.get();
  si.opts.batch_latency = cfg_.batch_latency;
  si.opts.batch_max_messages = cfg_.batch_max_messages;
  si.opts.expiry_interval = cfg_.expiry_interval;
  si.opts.probe_interval = cfg_.ready_check_interval;
  si.opts.apply_idle = cfg_.checkpoint_interval;
  si.opts.overlap_max_bytes = cfg_.log_write_overlap_bytes;
  si.healthy = &healthy_;
  si.metrics = &metrics_;
  storage_ = spawn_storage_actor(*sys_, si);
  // A read of messages that finds acknowledged groups still in an open
  // transaction asks the storage actor to apply them, from the reader's
  // thread (store/message_store.hpp). Set here, before any request is
  // served; a weak handle, as the store outlives the actor.
  messages_->on_apply_wanted([weak = caf::actor_cast<caf::weak_actor_ptr>(storage_)] {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<storage_actor_if>(strong), apply_atom::value,
                     std::uint64_t{0});
  });
  // A log writer thread of the store, after each write: the storage actor
  // answers the groups written (store/message_store.hpp, reap).
  messages_->on_written([weak = caf::actor_cast<caf::weak_actor_ptr>(storage_)] {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<storage_actor_if>(strong), written_atom::value);
  });

  registry_options ro;
  ro.token_idle_timeout = cfg_.token_idle_timeout;
  ro.usage_flush_interval = cfg_.usage_flush_interval;
  ro.max_batch_messages = cfg_.max_batch_messages;
  ro.tiers = cfg_.tiers();
  ro.metrics = &metrics_;
  ro.usage = &usage_board_;
  registry_ = std::make_unique<registry>(*sys_, *meta_, storage_, ro);

  admin_init ai;
  ai.meta = meta_.get();
  ai.messages = messages_.get();
  ai.reg = registry_.get();
  ai.pepper = pepper_;
  ai.tiers = cfg_.tiers();
  ai.usage_flush_interval = cfg_.usage_flush_interval;
  ai.usage = &usage_board_;
  admin_ = spawn_admin_actor(*sys_, std::move(ai));
  registry_->set_admin(admin_);
  {
    std::lock_guard lock{reroute_mu_};
    reroutes_open_ = true;
  }

  ingest_server_->start();
  admin_server_->start();
}

void runtime::stop() {
  if (stopped_ || !sys_)
    return;
  stopped_ = true;
  // 1. No new requests; the ones in flight finish (each is answered only
  //    after its commit, so drained means committed).
  ingest_server_->stop_accepting();
  admin_server_->stop_accepting();
  if (!ingest_server_->drain(drain_timeout) || !admin_server_->drain(drain_timeout))
    log::warn("shutdown: requests still in flight; closing anyway",
              {{"waited_s", drain_timeout.count()}});
  // 2. Usage: every token and system actor posts its counters to the usage
  //    board (answering once it has), then the admin actor writes them.
  //    (A start that failed half-way may have no registry or admin actor.)
  if (registry_ && admin_) {
    caf::scoped_actor self{*sys_};
    for (auto& token : registry_->live_token_actors())
      self->request(token, flush_timeout, flush_atom::value)
        .receive([](caf::ok_atom) {}, [](caf::error&) {});
    for (auto& system : registry_->live_system_actors())
      self->request(system, flush_timeout, flush_atom::value)
        .receive([](caf::ok_atom) {}, [](caf::error&) {});
    self->request(admin_, flush_timeout, flush_atom::value)
      .receive([](caf::ok_atom) {}, [](caf::error&) {});
  }
  // 3. Close the servers, then stop every actor and wait for them. A job
  //    left in a mailbox from here on is answered, not sent on again.
  ingest_server_->stop();
  admin_server_->stop();
  {
    std::lock_guard lock{reroute_mu_};
    reroutes_open_ = false;
  }
  if (registry_) {
    for (auto& token : registry_->live_token_actors())
      caf::anon_send_exit(token, caf::exit_reason::user_shutdown);
    for (auto& system : registry_->live_system_actors())
      caf::anon_send_exit(system, caf::exit_reason::user_shutdown);
  }
  if (admin_)
    caf::anon_send_exit(admin_, caf::exit_reason::user_shutdown);
  if (storage_)
    caf::anon_send_exit(storage_, caf::exit_reason::user_shutdown);
  storage_ = nullptr;
  admin_ = nullptr;
  registry_.reset();
  sys_.reset(); // waits until every actor has terminated
  if (messages_)
    messages_->on_apply_wanted({}); // no reader is left to call it
  // on_written stays: the storage actor waited for every log write to end
  // before it did, and a writer calls it before its write counts as ended,
  // so no log writer is in it or calls it any more.
}

std::uint16_t runtime::ingest_port() const { return ingest_server_ ? ingest_server_->port() : 0; }

std::uint16_t runtime::admin_port() const { return admin_server_ ? admin_server_->port() : 0; }

readiness runtime::ready() const {
  storage_figures f;
  {
    std::lock_guard lock(ready_mu_);
    auto now = std::chrono::steady_clock::now();
    if (!ready_gathered_ || now - ready_at_ >= cfg_.ready_check_interval) {
      // A few map sizes under shared locks and one statvfs: no transaction.
      ready_figures_.envs.clear();
      if (messages_)
        for (auto days : retention::values)
          ready_figures_.envs.push_back({retention::class_name(days), messages_->used_bytes(days)});
      if (meta_)
        ready_figures_.envs.push_back({"meta", meta_->used_bytes()});
      ready_figures_.max_map_bytes = cfg_.max_map_size;
      ready_figures_.free_disk_bytes.reset();
      if (auto space = store::disk_space_of(cfg_.data_dir))
        ready_figures_.free_disk_bytes = space->free_bytes;
      ready_at_ = now;
      ready_gathered_ = true;
    }
    f = ready_figures_;
  }
  // Read fresh: a failed commit is known the moment it happens.
  f.last_commit_failed = !healthy_.load(std::memory_order_relaxed);
  readiness_limits limits;
  limits.min_free_disk_bytes = cfg_.ready_min_free_disk_bytes;
  limits.max_map_percent = cfg_.ready_max_map_percent;
  return assess_readiness(f, limits);
}

std::optional<token_actor_if> runtime::find_token(std::string_view secret, token_hash& hash,
                                                  problem& refusal) {
  if (secret.empty()) {
    refusal = no_token();
    return std::nullopt;
  }
  // One per I/O thread: most requests repeat the secret of the one before.
  thread_local secret_hash_memo memo;
  std::optional<token_actor_if> actor;
  if (auto* known = memo.find(memo_owner_, secret)) {
    hash = *known; // well-formed: it passed one of the two checks below
    actor = registry_->token_actor(hash);
  } else {
    // Prefix and length first: anything else costs no hashing. Then the
    // keyed hash, and a live token's actor if there is one. A secret whose
    // hash a live token holds is that token's minted secret (the hash is
    // keyed and collision-resistant), whose format was right when it was
    // made. So the alphabet and checksum check is left for the rest: it
    // costs about as much as the hash, and with requests from many tokens
    // (the memo misses) it would run on every request.
    if (!has_secret_shape(secret)) {
      refusal = make_problem(errc::invalid_token);
      return std::nullopt;
    }
    hash = hash_secret(pepper_, secret);
    actor = registry_->live_token_actor(hash);
    if (!actor) {
      // Not live: a mistyped or made-up token is refused before the
      // lookup in storage.
      if (!check_secret_format(secret)) {
        refusal = make_problem(errc::invalid_token);
        return std::nullopt;
      }
      actor = registry_->token_actor(hash);
    }
    memo.remember(memo_owner_, secret, hash);
  }
  if (!actor)
    refusal = make_problem(errc::invalid_token);
  return actor;
}

ingest_job_pool& runtime::job_pool() {
  // Which runtime's pool this thread has (see memo_owner_).
  thread_local std::uint64_t owner = 0;
  thread_local ingest_job_pool* pool = nullptr;
  if (owner != memo_owner_) {
    std::lock_guard lock(pools_mu_);
    pool = &pools_.emplace_back(static_cast<ingest_rerouter*>(this));
    owner = memo_owner_;
  }
  return *pool;
}

bool runtime::reroute(ingest_job_ptr& job) noexcept {
  try {
    bool gone = false;
    auto actor = reroute_target(job->presented, gone);
    if (gone) {
      // The token went away meanwhile (deleted): as if the request had come
      // a moment later.
      job->complete(ingest_reply::refused(make_problem(errc::invalid_token)));
      return false;
    }
    if (!actor)
      return false;
    ingest_batch jobs;
    jobs.push_back(std::move(job));
    // From whichever thread dropped the job: the I/O thread at the end of
    // its turn (the token actor then runs there, see end_of_turn), or the
    // thread that ran the actor that quit.
    caf::anon_send(*actor, ingest_atom::value, std::move(jobs));
    return true;
  } catch (...) {
    // Out of memory, or the store could not be read. A job still here is
    // answered storage_busy by the caller; one already moved on was dropped,
    // and came back to its pool again (a bounded number of times).
    return !job;
  }
}

std::optional<token_actor_if> runtime::reroute_target(const token_hash& presented, bool& gone) {
  gone = false;
  std::lock_guard lock{reroute_mu_};
  if (!reroutes_open_)
    return std::nullopt;
  auto actor = registry_->token_actor(presented);
  gone = !actor;
  return actor;
}

namespace {

/// The request `job` carries, moved into a new job of its kind.
std::shared_ptr<info_job> take_request(info_job& job) {
  auto again = std::make_shared<info_job>();
  again->presented = job.presented;
  again->client_ip = std::move(job.client_ip);
  return again;
}

std::shared_ptr<admin_job> take_request(admin_job& job) {
  auto again = std::make_shared<admin_job>();
  again->presented = job.presented;
  again->cmd = std::move(job.cmd);
  return again;
}

/// runtime::reroute for either kind of call: `target` is reroute_target.
template <class Job, class Atom, class Target>
void send_call_on(Job& job, Atom atom, call_rerouter* rerouter, Target&& target) noexcept {
  try {
    if (job.reroutes >= job_pool_defaults::max_reroutes)
      return; // answered storage_busy as it goes
    bool gone = false;
    auto actor = target(job.presented, gone);
    if (gone)
      return job.complete({make_problem(errc::invalid_token), reply_kind::ok, {}});
    if (!actor)
      return;
    auto again = take_request(job);
    again->rerouter = rerouter;
    again->reroutes = static_cast<std::uint8_t>(job.reroutes + 1);
    // The answer last: should the send fail, `again` goes on from its own
    // destructor (a bounded number of times).
    again->complete = std::move(job.complete);
    caf::anon_send(*actor, atom, std::move(again));
  } catch (...) {
    // Out of memory, or the store could not be read: `job` still holds its
    // answer, given as storage_busy.
  }
}

} // namespace

void runtime::reroute(info_job& job) noexcept {
  send_call_on(job, info_atom::value, this,
               [this](const token_hash& h, bool& gone) { return reroute_target(h, gone); });
}

void runtime::reroute(admin_job& job) noexcept {
  send_call_on(job, admin_atom::value, this,
               [this](const token_hash& h, bool& gone) { return reroute_target(h, gone); });
}

problem runtime::screen_token(std::string_view secret) {
  // The same lookup ingest() makes next: the secret's hash is remembered by
  // this thread, so the second costs a registry probe.
  token_hash hash;
  problem refusal;
  find_token(secret, hash, refusal);
  return refusal;
}

void runtime::ingest(const ingest_command& cmd, ingest_callback done) {
  problem refusal;
  auto job = job_pool().take();
  auto actor = find_token(cmd.secret, job->presented, refusal);
  if (!actor)
    return done(ingest_reply::refused(std::move(refusal)));
  // Saturation: when storage has fallen this far behind, new requests are
  // refused at once (503, retry in a second) rather than queued. One request
  // is always let in, however large, when nothing else waits.
  auto bytes =
    static_cast<std::uint64_t>(cmd.decoded ? cmd.decoded->bytes.size() : cmd.body.size());
  auto backlog = backlog_bytes_.load(std::memory_order_relaxed);
  if (!cmd.probe && backlog > 0 && backlog + bytes > cfg_.max_pending_bytes) {
    metrics_.rejected(rejection::storage_error);
    auto p = make_problem(errc::storage_busy, "storage is saturated: " + std::to_string(backlog)
                                                + " bytes of requests wait to be committed; retry");
    p.retry_after_s = 1;
    return done(ingest_reply::refused(std::move(p)));
  }
  job->backlog.take(backlog_bytes_, bytes);
  if (cmd.decoded) {
    // Decoded by its door in net/ (OTLP, Langfuse, webhooks), into a batch
    // that thread keeps. Swapped, not moved: the door's batch takes the
    // job's recycled (empty) buffers and decodes the next request into
    // them, and the job's buffers go back to its pool (kept up to
    // job_pool_defaults::keep_batch_bytes), so neither side allocates anew.
    std::swap(job->batch, *cmd.decoded);
    job->parse_problem = cmd.decode_problem;
  } else if (cmd.probe) {
    // A handshake stores nothing; what is wrong with it is told once the
    // token is known to be good.
    job->parse_problem = cmd.decode_problem;
  } else {
    // One parser per I/O thread, reused: its buffers grow to the largest body
    // seen and stay. Validation happens here, on the I/O thread, so the token
    // actor only decides; its verdict comes after authentication.
    thread_local message_parser parser;
    job->parse_problem = parser.parse(cmd.body, cfg_.max_batch_messages, job->batch);
  }
  job->client_ip.assign(cmd.client_ip);
  job->source = cmd.source;
  job->door = cmd.door;
  job->partial = cmd.partial;
  job->probe = cmd.probe;
  job->complete = reply_once<ingest_reply>{std::move(done)};
  auto seq = static_cast<std::uint32_t>(held_jobs.size());
  held_jobs.push_back({std::move(*actor), std::move(job), seq});
}

void runtime::end_of_turn() {
  auto& held = held_jobs;
  if (held.empty())
    return;
  // One message per token actor, holding its requests in arrival order (the
  // order the actor would have seen them one by one). Sorting by actor, then
  // by arrival, groups them without allocating; a turn holds at most a few
  // hundred requests.
  auto key = [](const held_job& h) {
    return std::pair{caf::actor_cast<caf::actor_control_block*>(h.to), h.seq};
  };
  if (held.size() > 1)
    std::sort(held.begin(), held.end(),
              [&](const held_job& a, const held_job& b) { return key(a) < key(b); });
  // The token actors, and the system actors they pass the requests to, run
  // here on this thread when the scope ends (see turn_scheduler).
  turn_scheduler::run_here here{turn_};
  for (std::size_t i = 0; i < held.size();) {
    std::size_t end = i + 1;
    while (end < held.size() && held[end].to == held[i].to)
      ++end;
    ingest_batch jobs;
    jobs.reserve(end - i);
    for (auto k = i; k < end; ++k)
      jobs.push_back(std::move(held[k].job));
    caf::anon_send(held[i].to, ingest_atom::value, std::move(jobs));
    i = end;
  }
  held.clear();
}

void runtime::whoami(std::string_view secret, std::string_view client_ip, json_callback done) {
  problem refusal;
  auto job = std::make_shared<info_job>();
  auto actor = find_token(secret, job->presented, refusal);
  if (!actor)
    return done({std::move(refusal), reply_kind::ok, {}});
  job->client_ip.assign(client_ip);
  job->complete = reply_once<json_reply>{std::move(done)};
  job->rerouter = this;
  caf::anon_send(*actor, info_atom::value, std::move(job));
}

void runtime::admin(admin_command&& cmd, json_callback done) {
  // Every admin call passes through its token's actor, which authenticates
  // it (status, restrictions, rate limit) and hands it to the admin actor
  // with the caller's principal.
  problem refusal;
  auto job = std::make_shared<admin_job>();
  auto actor = find_token(cmd.secret, job->presented, refusal);
  if (!actor)
    return done({std::move(refusal), reply_kind::ok, {}});
  job->cmd = std::move(cmd);
  job->complete = reply_once<json_reply>{std::move(done)};
  job->rerouter = this;
  caf::anon_send(*actor, admin_atom::value, std::move(job));
}

} // namespace sluice
