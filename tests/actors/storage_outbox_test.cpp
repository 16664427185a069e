// The jobs system actors admit during an I/O thread's turn wait in that
// thread's outbox and go to the storage actor together when the turn ends
// (actors/storage_outbox.hpp). What must survive the wait: a barrier (what a
// revoke waits for) is answered only after every job the system actor
// admitted before it is committed, and a system's jobs reach storage in the
// order it admitted them, whichever thread runs it next.
//
// Real actors throughout: a system actor and the storage actor over a
// message store in a temporary directory, in an actor system with the turn
// scheduler (as sluiced runs them). A "stall" actor holds a turn open, so the
// test can act while the turn's jobs wait.

#include "actors/storage_outbox.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "actors/storage_actor.hpp"
#include "actors/system_actor.hpp"
#include "actors/turn_scheduler.hpp"
#include "policy/tiers.hpp"
#include "store/message_store.hpp"
#include "tests/store/temp_dir.hpp"

using namespace sluice;
using namespace std::chrono_literals;

namespace {

using stall_atom = caf::atom_constant<caf::atom("stall")>;

/// Blocks the thread that runs it (the turn's thread) until released, after
/// saying it started: every actor woken before it in the turn has run then.
using stall_if = caf::typed_actor<caf::reacts_to<stall_atom>>;

struct stall_gate {
  std::promise<void> started;
  std::promise<void> release;
};

stall_if::behavior_type stall(stall_if::pointer, stall_gate* gate) {
  return {[gate](stall_atom) {
    gate->started.set_value();
    // Bounded, so a failing test cannot hang the suite.
    gate->release.get_future().wait_for(10s);
  }};
}

/// The turn scheduler with one scheduler thread, as sluiced runs it.
struct system_config : caf::actor_system_config {
  system_config() {
    set("scheduler.max-threads", 1);
    set("scheduler.policy", caf::atom("sharing"));
    turn_scheduler::install(*this);
  }
};

/// The order the jobs' answers came in, by name.
struct answer_log {
  std::mutex mtx;
  std::vector<std::string> names;
  std::vector<bool> ok;

  void add(std::string name, bool accepted) {
    std::lock_guard lock{mtx};
    names.push_back(std::move(name));
    ok.push_back(accepted);
  }
  std::vector<std::string> get() {
    std::lock_guard lock{mtx};
    return names;
  }
  bool all_ok() {
    std::lock_guard lock{mtx};
    for (bool b : ok)
      if (!b)
        return false;
    return true;
  }
};

std::unique_ptr<store::message_store> open_store(const std::filesystem::path& dir) {
  store::message_store_options so;
  so.dir = dir / "messages";
  so.wal_capacity = 4u << 20; // as sluiced runs it: durable once in the log
  return std::make_unique<store::message_store>(so);
}

struct outbox_fixture {
  outbox_fixture() : messages{open_store(dir.path)}, sys{cfg} {
    storage_init si;
    si.store = messages.get();
    storage = spawn_storage_actor(sys, si);
    system_init init;
    init.record.id = 1;
    init.record.tenant_id = 1;
    init.record.name = "outbox";
    init.terms.tier = tier::enterprise;
    init.terms.caps = default_caps(tier::enterprise);
    init.terms.caps.steady_rate = 1'000'000; // the test's few jobs never wait
    init.terms.caps.burst_rate = 1'000'000;
    init.storage = storage;
    init.usage_flush_interval = std::chrono::hours(1); // no usage board here
    system = spawn_system_actor(sys, std::move(init));
    gate_actor = sys.spawn(stall, &gate);
    // Both idle before a test sends them anything (spawned actors start on
    // a scheduler thread): a message from inside a turn must wake them there.
    caf::scoped_actor self{sys};
    self->request(system, caf::infinite, caf::get_atom::value)
      .receive([](const system_usage&) {}, [](const caf::error&) {});
    std::this_thread::sleep_for(50ms);
  }
  ~outbox_fixture() {
    if (turn.joinable()) // a test that failed before it ended its turn
      release();
    caf::anon_send_exit(gate_actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(system, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(storage, caf::exit_reason::user_shutdown);
  }

  /// A job of one message from system 1, answered into `answers` as `name`.
  ingest_job_ptr job(std::string name) {
    ingest_job_ptr j{new ingest_job};
    j->batch.add(R"({"n":")" + name + R"("})");
    j->tenant_id = 1;
    j->system_id = 1;
    j->token_id = 1;
    j->retention_days = 7;
    j->complete = reply_once<ingest_reply>{
      [this, name](ingest_reply&& r) { answers.add(name, !r.failure && r.accepted == 1); }};
    return j;
  }

  /// Starts a turn on a thread of its own that hands `jobs` to the system
  /// actor and then stalls: returns once the system actor has run, with its
  /// jobs in that thread's outbox and the turn not ended. release() ends it.
  void turn_with(std::vector<std::string> names) {
    ingest_batch jobs;
    for (auto& n : names)
      jobs.push_back(job(n));
    turn = std::thread{[this, jobs = std::move(jobs)]() mutable {
      turn_scheduler::run_here here{turn_scheduler::of(sys)};
      caf::anon_send(system, ingest_atom::value, std::move(jobs));
      caf::anon_send(gate_actor, stall_atom::value);
    }};
    BOOST_TEST_REQUIRE((gate.started.get_future().wait_for(10s) == std::future_status::ready));
  }
  void release() {
    if (!released) {
      released = true;
      gate.release.set_value();
    }
    if (turn.joinable())
      turn.join();
  }

  /// Waits until `n` answers came (the storage thread commits them).
  std::vector<std::string> wait_for_answers(std::size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (answers.get().size() < n && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    return answers.get();
  }

  store::test::temp_dir dir;
  std::unique_ptr<store::message_store> messages; // outlives the actor system
  answer_log answers;                             // written by the storage thread
  stall_gate gate;
  system_config cfg;
  caf::actor_system sys;
  storage_actor_if storage;
  system_actor_if system;
  stall_if gate_actor;
  std::thread turn;
  bool released = false;
};

} // namespace

BOOST_AUTO_TEST_SUITE(storage_outbox_tests)

BOOST_AUTO_TEST_CASE(jobs_admitted_in_a_turn_are_stored_when_the_turn_ends) {
  outbox_fixture f;
  f.turn_with({"a", "b"});
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(f.answers.get().empty()); // admitted, held in the turn's outbox
  f.release();
  auto seen = f.wait_for_answers(2);
  BOOST_TEST(seen == (std::vector<std::string>{"a", "b"}), boost::test_tools::per_element());
  BOOST_TEST(f.answers.all_ok());
}

BOOST_AUTO_TEST_CASE(a_barrier_from_another_thread_is_answered_after_the_jobs_a_turn_holds) {
  outbox_fixture f;
  f.turn_with({"held"});
  // What a revoke does (token -> system -> storage), while the turn that
  // admitted "held" has not ended: the barrier's answer must come after
  // "held" is committed and answered.
  caf::scoped_actor self{f.sys};
  bool answered = false;
  std::vector<std::string> seen_at_barrier;
  self->request(f.system, std::chrono::seconds(10), barrier_atom::value)
    .receive(
      [&](caf::ok_atom) {
        answered = true;
        seen_at_barrier = f.answers.get();
      },
      [&](const caf::error&) {});
  f.release();
  BOOST_TEST(answered);
  BOOST_TEST(seen_at_barrier == (std::vector<std::string>{"held"}),
             boost::test_tools::per_element());
  BOOST_TEST(f.answers.all_ok());
}

BOOST_AUTO_TEST_CASE(a_barrier_in_the_same_turn_is_answered_after_the_jobs_before_it) {
  outbox_fixture f;
  caf::scoped_actor self{f.sys};
  // Jobs and then a barrier in one turn: the system actor takes both in one
  // run, while its jobs would still wait for the turn's end. The turn ends
  // (and runs the actors) when the lambda returns.
  auto barrier = [&] {
    turn_scheduler::run_here here{turn_scheduler::of(f.sys)};
    caf::anon_send(f.system, ingest_atom::value, ingest_batch{f.job("first")});
    auto handle = self->request(f.system, std::chrono::seconds(10), barrier_atom::value);
    caf::anon_send(f.system, ingest_atom::value, ingest_batch{f.job("after")});
    return handle;
  }();
  bool answered = false;
  std::vector<std::string> seen_at_barrier;
  barrier.receive(
    [&](caf::ok_atom) {
      answered = true;
      seen_at_barrier = f.answers.get();
    },
    [&](const caf::error&) {});
  BOOST_TEST(answered);
  // "first" was admitted before the barrier: answered before it.
  BOOST_TEST_REQUIRE(!seen_at_barrier.empty());
  BOOST_TEST(seen_at_barrier.front() == "first");
  auto seen = f.wait_for_answers(2);
  BOOST_TEST(seen == (std::vector<std::string>{"first", "after"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(jobs_admitted_outside_a_turn_are_stored_behind_those_a_turn_still_holds) {
  outbox_fixture f;
  f.turn_with({"in-turn"});
  // The same system actor, now woken outside any turn (a scheduler thread),
  // admits another job while "in-turn" still waits in the stalled turn.
  caf::anon_send(f.system, ingest_atom::value, ingest_batch{f.job("outside")});
  auto seen = f.wait_for_answers(2);
  f.release();
  BOOST_TEST(seen == (std::vector<std::string>{"in-turn", "outside"}),
             boost::test_tools::per_element());
  BOOST_TEST(f.answers.all_ok());
}

BOOST_AUTO_TEST_SUITE_END()
