#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/http_client.hpp"
#include "tests/e2e/json.hpp"
#include "tests/e2e/server.hpp"

namespace sluice::e2e {

/// A running sluiced on a fresh data directory, with the superuser token and
/// helpers for the admin calls most tests start with. The helpers fail the
/// test (BOOST_REQUIRE) when the server does not answer as documented.
class sluice_fixture {
public:
  explicit sluice_fixture(std::vector<std::string> args = {});
  /// The same on a data directory of the test's choosing (e.g. on a file
  /// system it mounted), which it removes itself.
  sluice_fixture(std::filesystem::path data_dir, std::vector<std::string> args);

  /// Stops the server cleanly (SIGTERM, expecting exit code 0) and starts it
  /// again on the same data directory.
  void restart(std::vector<std::string> args = {});

  /// Starts the server again on the same data directory after it died (or
  /// was stopped by the test itself).
  void restart_after_crash(std::vector<std::string> args = {});

  sluiced_process& server() { return *server_; }
  const std::string& superuser() const { return su_; }
  const std::filesystem::path& data_dir() const { return dir_.path(); }

  http_client admin() const { return http_client{server_->admin_port()}; }
  http_client ingest() const { return http_client{server_->ingest_port()}; }

  /// POST /api/v1/tenants; returns the tenant id.
  std::string create_tenant(const std::string& tier = "pro", const std::string& name = "Acme");
  /// POST /api/v1/tenants/{id}/systems; returns the system id.
  std::string create_system(const std::string& tenant, const std::string& name = "billing-api");

  struct minted {
    std::string id;
    std::string secret;
  };
  /// POST /api/v1/systems/{id}/tokens with `body`; expects 201.
  minted mint(const std::string& system, const std::string& body = R"({"name":"app"})");

  /// A tenant (tier), a system and an ingest token in one go.
  minted ingest_token(const std::string& tier = "pro",
                      const std::string& body = R"({"name":"app"})");
  /// A tenant made from `tenant_body` (JSON of POST /tenants), a system in
  /// it, and an ingest token minted with `token_body`.
  minted tenant_token(const std::string& tenant_body, const std::string& token_body);

  /// A user of `tenant` with `role` and a personal (alu_) token of it, made by
  /// the superuser.
  struct person {
    std::string id;    ///< usr_…
    std::string token; ///< the personal token's secret
    std::string token_id;
  };
  person create_user(const std::string& tenant, const std::string& role,
                     const std::string& name = "someone");

  /// POST /tenants/{id}/tokens with `body` as `caller`; expects `status`
  /// (201, or 202 when it waits for approval).
  minted service_token(const std::string& tenant, const std::string& body,
                       const std::string& caller, unsigned status = 201);

  /// The system id of the last ingest_token() or tenant_token().
  const std::string& last_system() const { return last_system_; }

  /// Every message of `system` read back through the admin API, following
  /// next_cursor; `query` is appended to each page's query string.
  std::vector<json> read_messages(const std::string& system, const std::string& query = "");

private:
  void start(std::vector<std::string> args);

  temp_dir dir_;
  std::filesystem::path data_path_; ///< the server's --data-dir
  std::unique_ptr<sluiced_process> server_;
  std::string su_;
  std::string last_system_;
};

/// POSTs `body` to /messages with `secret` as bearer token.
http_result post_messages(http_client& c, const std::string& secret, const std::string& body);

/// Asserts the status of a refusal and, when it matches, its error code
/// (/error/code of the JSON body); the body is the context of both checks.
void expect_error(const http_result& r, unsigned status, const std::string& code);

/// `Basic <base64(user:password)>`, an HTTP Basic Authorization value.
std::string basic_auth(const std::string& user, const std::string& password);

/// What a shell command printed and how it ended.
struct shell_result {
  int status = -1;    ///< the exit status, or -1 when it did not exit (a signal)
  std::string output; ///< its stdout (redirect stderr in the command to have that too)
};

/// Runs `command` with /bin/sh (popen) to completion and collects its stdout.
/// Fails the test (BOOST_REQUIRE) when it cannot be started.
shell_result run_shell(const std::string& command);

/// Every sample of a GET /metrics scrape by its series as written
/// (`name{label="v",…}`). The full grammar is held by the unit test and by
/// promtool (metrics_test); this only needs to find values.
using samples = std::map<std::string, double>;

/// Parses a scrape; fails the test when a line has no value or the text
/// does not end with a line feed.
samples parse_scrape(const std::string& text);

/// GET /metrics on f's admin port without a token, as Prometheus sends it
/// (so the scrape starts no token actor); fails the test unless it is a 200.
http_result get_metrics(sluice_fixture& f);

/// get_metrics, parsed.
samples scrape(sluice_fixture& f);

/// A sample's value; a series not shown (a counter still at zero) is 0.
double value(const samples& s, const std::string& series);

/// Whether the scrape shows `series` at all.
bool shown(const samples& s, const std::string& series);

/// Runs the sluiced under test ($SLUICED) with `args` to completion (for
/// invocations that end by themselves: failures and one-shot commands), with
/// a 20 s timeout; the output is stdout and stderr together.
shell_result run_sluiced(const std::vector<std::string>& args);

} // namespace sluice::e2e
