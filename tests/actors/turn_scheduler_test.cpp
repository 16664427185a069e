// The turn scheduler (actors/turn_scheduler.hpp): actors a thread wakes
// inside a run_here scope run on that thread when the scope ends, and so do
// the actors they wake; everything else runs on the scheduler threads as
// with CAF's own work-sharing scheduler. A chain of actors that keeps
// waking each other is handed to the scheduler threads after a bounded
// number of activations, so it cannot hold the calling thread.

#include "actors/turn_scheduler.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/send.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

using namespace sluice;

namespace {

using note_atom = caf::atom_constant<caf::atom("note")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

/// Where the test actors say which thread ran them.
struct thread_log {
  std::mutex mtx;
  std::vector<std::thread::id> seen;

  void add() {
    std::lock_guard lock{mtx};
    seen.push_back(std::this_thread::get_id());
  }
  std::vector<std::thread::id> get() {
    std::lock_guard lock{mtx};
    return seen;
  }
};

/// Notes the thread it runs on, then passes the note on to `next` (if any).
using relay_if = caf::typed_actor<caf::reacts_to<note_atom>>;

relay_if::behavior_type relay(relay_if::pointer, thread_log* log, relay_if next) {
  return {[log, next](note_atom) {
    log->add();
    if (next)
      caf::anon_send(next, note_atom::value);
  }};
}

/// Bounces a count between two of its kind until it reaches `last`; counts
/// the bounces run on `on` and tells `done` when the last one arrives.
using bouncer_if = caf::typed_actor<caf::reacts_to<ping_atom, std::uint32_t, caf::actor>>;

struct bounce_shared {
  std::thread::id on;
  std::atomic<std::uint32_t> ran_on{0};
  std::uint32_t last = 0;
  std::promise<void> done;
};

bouncer_if::behavior_type bouncer(bouncer_if::pointer self, bounce_shared* shared) {
  return {[self, shared](ping_atom, std::uint32_t n, caf::actor other) {
    if (std::this_thread::get_id() == shared->on)
      shared->ran_on.fetch_add(1, std::memory_order_relaxed);
    if (n == shared->last) {
      shared->done.set_value();
      return;
    }
    self->send(caf::actor_cast<bouncer_if>(other), ping_atom::value, n + 1,
               caf::actor_cast<caf::actor>(self));
  }};
}

/// A system with the turn scheduler and one scheduler thread (as sluiced
/// runs it), or, with `turn == false`, CAF's plain work-sharing scheduler.
struct system_config : caf::actor_system_config {
  explicit system_config(bool turn = true) {
    set("scheduler.max-threads", 1);
    set("scheduler.policy", caf::atom("sharing"));
    if (turn)
      turn_scheduler::install(*this);
  }
};

/// Waits until `log` holds `n` entries (the scheduler thread runs them).
std::vector<std::thread::id> wait_for(thread_log& log, std::size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (log.get().size() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return log.get();
}

/// An actor system (see system_config), the log its relays write to, and
/// the actors spawned in it, told to quit before the system goes (which
/// waits for every actor).
struct turn_fixture {
  explicit turn_fixture(bool turn = true) : cfg{turn}, sys{cfg} {}
  ~turn_fixture() {
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }

  /// A relay that passes its notes on to `next`. Spawned lazily: started by
  /// its first message, so that message, not the spawn, decides where it
  /// first runs.
  relay_if relay_to(relay_if next = {}) {
    auto a = sys.spawn<caf::lazy_init>(relay, &log, next);
    spawned.push_back(caf::actor_cast<caf::actor>(a));
    return a;
  }

  /// The thread that took the one note there is (waiting for it).
  std::thread::id one_note_taken_on() {
    auto seen = wait_for(log, 1);
    BOOST_TEST_REQUIRE(seen.size() == 1u);
    return seen[0];
  }

  system_config cfg;
  thread_log log; // outlives the system and so every actor that writes it
  caf::actor_system sys;
  std::vector<caf::actor> spawned;
};

} // namespace

BOOST_AUTO_TEST_SUITE(turn_scheduler_tests)

BOOST_AUTO_TEST_CASE(an_actor_woken_inside_a_scope_runs_on_the_calling_thread_when_it_ends) {
  turn_fixture f;
  auto a = f.relay_to();
  {
    turn_scheduler::run_here here{turn_scheduler::of(f.sys)};
    caf::anon_send(a, note_atom::value);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST(f.log.get().empty()); // held until the scope ends
  }
  BOOST_TEST(f.log.get().size() == 1u); // taken before the scope's end returned
  BOOST_TEST((f.one_note_taken_on() == std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(the_actors_it_wakes_run_there_too_in_the_same_scope) {
  turn_fixture f;
  auto first = f.relay_to(f.relay_to(f.relay_to()));
  {
    turn_scheduler::run_here here{turn_scheduler::of(f.sys)};
    caf::anon_send(first, note_atom::value);
  }
  auto seen = f.log.get();
  BOOST_TEST_REQUIRE(seen.size() == 3u);
  for (auto& id : seen)
    BOOST_TEST((id == std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(an_actor_woken_outside_a_scope_runs_on_a_scheduler_thread) {
  turn_fixture f;
  caf::anon_send(f.relay_to(), note_atom::value);
  BOOST_TEST((f.one_note_taken_on() != std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(a_scope_does_nothing_in_a_system_with_another_scheduler) {
  turn_fixture f{false};
  auto a = f.relay_to();
  {
    turn_scheduler::run_here here{turn_scheduler::of(f.sys)};
    caf::anon_send(a, note_atom::value);
  }
  BOOST_TEST((f.one_note_taken_on() != std::this_thread::get_id()));
}

BOOST_AUTO_TEST_CASE(actors_that_keep_waking_each_other_go_to_the_scheduler_thread_after_a_bound) {
  turn_fixture f;
  bounce_shared shared;
  shared.on = std::this_thread::get_id();
  shared.last = 3 * turn_scheduler::max_inline_activations;
  // Lazily, as the relays (see turn_fixture::relay_to).
  auto a = f.sys.spawn<caf::lazy_init>(bouncer, &shared);
  auto b = f.sys.spawn<caf::lazy_init>(bouncer, &shared);
  f.spawned = {caf::actor_cast<caf::actor>(a), caf::actor_cast<caf::actor>(b)};
  auto finished = shared.done.get_future();
  {
    turn_scheduler::run_here here{turn_scheduler::of(f.sys)};
    caf::anon_send(a, ping_atom::value, std::uint32_t{0}, caf::actor_cast<caf::actor>(b));
  }
  // The scope ran what it may, and returned; the rest of the bounces go on
  // on the scheduler thread until the last.
  BOOST_TEST(shared.ran_on.load() <= turn_scheduler::max_inline_activations);
  BOOST_TEST(shared.ran_on.load() > 0u);
  BOOST_TEST((finished.wait_for(std::chrono::seconds(10)) == std::future_status::ready));
}

BOOST_AUTO_TEST_SUITE_END()
