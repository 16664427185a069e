// sluice-bench: drives load against a running sluiced and checks that exactly
// the acknowledged messages were stored. See --help and bench/compare.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "bench/sluice_bench/admin_api.hpp"
#include "bench/sluice_bench/check.hpp"
#include "bench/sluice_bench/load.hpp"
#include "bench/sluice_bench/options.hpp"
#include "bench/sluice_bench/report.hpp"
#include "bench/sluice_bench/setup.hpp"

using namespace sluice::bench;
using clock_type = std::chrono::steady_clock;

namespace {

/// The revoke scenario's second half: revokes every token one by one, evenly
/// spread over the middle 80 % of the run, and raises each token's flag once
/// its revoke call returned (from then on, no request with it may get a 202).
void run_revoker(const bench_options& o, const token_set& set, std::atomic<std::uint8_t>* flags,
                 clock_type::time_point t0, revoke_stats& out) {
  try {
    admin_client client{o.admin, o.superuser_token};
    auto span = std::chrono::duration<double>(o.duration_s * 0.8);
    auto first = t0
                 + std::chrono::duration_cast<clock_type::duration>(
                   std::chrono::duration<double>(o.duration_s * 0.1));
    auto step = span / static_cast<double>(set.minted);
    for (std::size_t i = 0; i < set.minted; ++i) {
      std::this_thread::sleep_until(
        first + std::chrono::duration_cast<clock_type::duration>(step * static_cast<double>(i)));
      auto called = clock_type::now();
      try {
        revoke_token(client, set.tokens[i].id);
      } catch (const std::exception& e) {
        out.errors.push_back(e.what());
        continue;
      }
      flags[i].store(1, std::memory_order_release);
      out.latency.record(static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - called).count()));
      ++out.revoked;
    }
  } catch (const std::exception& e) {
    out.errors.push_back(e.what());
  }
}

int run(const bench_options& o) {
  auto setup_started = clock_type::now();
  token_set set = prepare_tokens(o);
  double setup_s = std::chrono::duration<double>(clock_type::now() - setup_started).count();
  if (!o.save_tokens.empty())
    save_tokens(set, o.save_tokens);
  if (o.setup_only) {
    if (o.json)
      std::printf("{\"systems\":%zu,\"tokens\":%zu,\"setup_s\":%.3f}\n", set.system_ids.size(),
                  set.minted, setup_s);
    else
      std::printf("setup: %zu system(s), %zu token(s) in %.2f s%s%s\n", set.system_ids.size(),
                  set.minted, setup_s, o.save_tokens.empty() ? "" : ", saved to ",
                  o.save_tokens.c_str());
    return 0;
  }

  const std::string run_id = make_run_id();
  std::unique_ptr<std::atomic<std::uint8_t>[]> revoked;
  if (o.scen == scenario::revoke)
    revoked = std::make_unique<std::atomic<std::uint8_t>[]>(set.tokens.size());
  load_driver driver{{&o, &set, run_id, revoked.get()}};
  if (!o.quiet && !o.json) {
    if (o.requests > 0)
      std::fprintf(stderr, "load: %s, %u connection(s), %llu requests ...\n",
                   std::string{to_string(o.scen)}.c_str(), o.connections,
                   static_cast<unsigned long long>(o.requests));
    else
      std::fprintf(stderr, "load: %s, %u connection(s), %.1f s ...\n",
                   std::string{to_string(o.scen)}.c_str(), o.connections, o.duration_s);
  }
  auto t0 = driver.start();
  auto t0_wall = std::chrono::system_clock::now();
  revoke_stats revokes;
  std::thread revoker;
  if (o.scen == scenario::revoke)
    revoker = std::thread{[&] { run_revoker(o, set, revoked.get(), t0, revokes); }};
  load_result load = driver.wait();
  if (revoker.joinable())
    revoker.join();

  if (!o.timeline.empty() && !write_timeline(o.timeline, load, t0_wall))
    return 2;

  check_result check;
  if (o.check) {
    try {
      check = check_messages(o, set, run_id, load);
    } catch (const std::exception& e) {
      // Still report what the load saw: that is often why the check failed.
      check.ran = true;
      check.ok = false;
      check.error = e.what();
    }
  }

  run_report report;
  report.opt = &o;
  report.run_id = run_id;
  report.systems = set.system_ids.size();
  report.tokens = set.minted;
  report.setup_s = setup_s;
  report.load = &load;
  report.revoke = o.scen == scenario::revoke ? &revokes : nullptr;
  report.check = o.check ? &check : nullptr;

  if (load.responses == 0)
    report.failures.push_back("no request was answered");
  if (o.check && !check.error.empty())
    report.failures.push_back("could not read the messages back: " + check.error);
  else if (o.check && !check.ok)
    report.failures.push_back("the messages read back differ from the acknowledged ones");
  if (o.check && (o.scen == scenario::single || o.scen == scenario::batch || is_otlp(o.scen))
      && load.acked.empty())
    report.failures.push_back("nothing was acknowledged, so the check proves nothing");
  // Sluice sends a partialSuccess only when it rejected records, and the
  // bench sends none it should reject.
  if (load.otlp_partial > 0)
    report.failures.push_back(std::to_string(load.otlp_partial)
                              + " OTLP export(s) answered with a partialSuccess ("
                              + std::to_string(load.otlp_rejected)
                              + " record(s) rejected); the first said: " + load.otlp_first_error);
  if (load.accepted_after_revoke > 0)
    report.failures.push_back(std::to_string(load.accepted_after_revoke)
                              + " request(s) accepted after their token's revoke call returned");
  if (o.scen == scenario::revoke && !revokes.errors.empty())
    report.failures.push_back("revoke calls failed");
  if (o.scen == scenario::mixed) {
    auto bad = load.by_class[static_cast<std::size_t>(token_class::invalid)].accepted
               + load.by_class[static_cast<std::size_t>(token_class::revoked)].accepted;
    if (bad > 0)
      report.failures.push_back(std::to_string(bad)
                                + " request(s) with an unknown or revoked token accepted");
  }

  if (o.json)
    print_json(report);
  else
    print_table(report);
  return report.failures.empty() ? 0 : 1;
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse_options(argc, argv);
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sluice-bench: %s\n", e.what());
    return 2;
  }
}
