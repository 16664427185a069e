#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "actors/app/config.hpp"
#include "actors/ingest_job_pool.hpp"
#include "actors/usage_board.hpp"
#include "net/gateway.hpp"
#include "actors/interfaces.hpp"
#include "policy/metrics.hpp"
#include "policy/token_hash.hpp"

namespace caf {
class actor_system;
}

namespace sluice {

namespace store {
class data_dir_lock;
class meta_store;
class message_store;
} // namespace store

namespace net {
class http_server;
class ingest_routes;
class admin_routes;
} // namespace net

class registry;
class turn_scheduler;

/// A start-up failure the operator can fix (a port taken, a data directory
/// that cannot be written, a configuration that makes no sense): `what()` is
/// the cause in one line, `option()` the option that fixes it.
class startup_error : public std::runtime_error {
public:
  startup_error(const std::string& cause, std::string option)
      : std::runtime_error(cause), option_(std::move(option)) {}
  const std::string& option() const noexcept { return option_; }

private:
  std::string option_;
};

/// One running Sluice: the stores, the actor system, the two HTTP servers, and
/// the gateway through which requests reach the actors.
///
/// Lifetimes: the config outlives the runtime; the stores outlive the actor
/// system (actors hold raw pointers to them); the servers stop before the
/// actors do, so no request is left without an answer.
class runtime final : public gateway, private ingest_rerouter, private call_rerouter {
public:
  /// Checks the configuration, binds both ports, then opens (or creates) the
  /// data directory and its stores; on an empty one, creates the first
  /// superuser. Everything that can be checked before the data directory is
  /// touched is checked first, so a failure (startup_error, or another
  /// exception from the stores) leaves the directory as it was.
  explicit runtime(sluice_config& cfg);
  ~runtime() override;

  /// Starts the actors, then the servers (which print their ports).
  void start();

  /// Stops gracefully: no new requests; those in flight are committed and
  /// answered; usage is flushed; then everything is closed. Idempotent.
  void stop();

  std::uint16_t ingest_port() const;
  std::uint16_t admin_port() const;

  /// SIGHUP: each port with TLS reads its certificate and key again (new
  /// handshakes use them; a file that cannot be used keeps the current ones,
  /// and the server says so on stderr). Open connections are not touched.
  void reload_tls();

  /// The secret of the superuser this start created (first start only), for
  /// the start-up banner; empty otherwise. forget_first_superuser() drops it.
  const std::string& first_superuser() const noexcept { return first_superuser_; }
  void forget_first_superuser() noexcept;

  // gateway
  void ingest(const ingest_command& cmd, ingest_callback done) override;
  problem screen_token(std::string_view secret) override;
  void end_of_turn() override;
  void whoami(std::string_view secret, std::string_view client_ip, json_callback done) override;
  void admin(admin_command&& cmd, json_callback done) override;
  readiness ready() const override;

private:
  /// Binds the two ports (startup_error naming the option on failure).
  void bind_servers();
  /// Checks and creates the data directory, then opens the pepper and stores.
  void open_data_dir();
  /// Reads what GET /metrics shows as gauges (sizes, live actors,
  /// connections) from their owners; runs on the scraping thread.
  void refresh_metrics();

  /// The token actor for a presented secret, or the refusal to answer with.
  /// Sets `hash` to the secret's keyed hash on the way (the token actor
  /// tells a current secret from a rotated-out one by it).
  std::optional<token_actor_if> find_token(std::string_view secret, token_hash& hash,
                                           problem& refusal);
  /// The calling I/O thread's job pool.
  ingest_job_pool& job_pool();
  /// ingest_rerouter: a job dropped unanswered by a token actor that
  /// passivated goes to the token's actor as it is now (spawned again).
  bool reroute(ingest_job_ptr& job) noexcept override;
  /// call_rerouter: the same for GET /systems/me and admin calls.
  void reroute(info_job& job) noexcept override;
  void reroute(admin_job& job) noexcept override;
  /// For the three above: the actor `presented` leads to now, while reroutes
  /// are open; nullopt with `gone` set for a token deleted meanwhile.
  std::optional<token_actor_if> reroute_target(const token_hash& presented, bool& gone);

  sluice_config& cfg_;
  /// Every metric of this process (GET /metrics on the admin port). Made
  /// first and dropped last: the servers and actors count into it.
  gateway_metrics metrics_;
  /// Bytes of ingest requests let in and not yet answered (backlog_ticket).
  /// Before the actor system: jobs still in mailboxes give theirs back when
  /// the system is torn down.
  std::atomic<std::uint64_t> backlog_bytes_{0};
  /// Set from start(), once the registry and the admin actor are up, until
  /// stop() tells the actors to exit; while it is set, registry_ stays.
  /// reroute() reads both under reroute_mu_, on any thread (also while the
  /// actor system is torn down: declared before it).
  std::mutex reroute_mu_;
  bool reroutes_open_ = false;
  /// The I/O threads' ingest job pools, one per thread, made on its first
  /// request (job_pool()); a deque, so their addresses stay. Before the
  /// actor system, like the backlog: every job is back before they go.
  std::mutex pools_mu_;
  std::deque<ingest_job_pool> pools_;
  /// Usage on its way from the token and system actors to the admin actor;
  /// before the actor system, as they all post to it until they stop.
  usage_board usage_board_;
  sluice::pepper pepper_;
  /// Names this runtime to its I/O threads' own state: the secret_hash_memo
  /// and the job pool (a process may hold several runtimes, each with a
  /// pepper of its own).
  const std::uint64_t memo_owner_;
  /// One server per data directory: taken before anything in it is opened,
  /// released after the stores below are closed (declared before them).
  std::unique_ptr<store::data_dir_lock> dir_lock_;
  std::unique_ptr<store::meta_store> meta_;
  std::unique_ptr<store::message_store> messages_;
  std::unique_ptr<caf::actor_system> sys_;
  /// sys_'s scheduler when the I/O threads run the actors of their turn
  /// (actors/turn_scheduler.hpp), else null; looked up once at start.
  turn_scheduler* turn_ = nullptr;
  std::unique_ptr<registry> registry_;
  storage_actor_if storage_;
  admin_actor_if admin_;
  /// False from a failed group commit until a commit or probe succeeds
  /// (written by the storage actor).
  std::atomic<bool> healthy_{true};
  /// The figures readiness looks at besides healthy_ (map use, free disk),
  /// gathered at most once per storage.ready-check-interval by whichever
  /// request asks first; under ready_mu_.
  mutable std::mutex ready_mu_;
  mutable storage_figures ready_figures_;
  mutable std::chrono::steady_clock::time_point ready_at_{};
  mutable bool ready_gathered_ = false;
  std::unique_ptr<net::ingest_routes> ingest_routes_;
  std::unique_ptr<net::admin_routes> admin_routes_;
  std::unique_ptr<net::http_server> ingest_server_;
  std::unique_ptr<net::http_server> admin_server_;
  std::string first_superuser_;
  bool stopped_ = false;
};

} // namespace sluice
