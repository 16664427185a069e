#pragma once

#include <caf/actor_system.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/coordinator.hpp>

#include <cstddef>

namespace sluice {

/// CAF's work-sharing scheduler, with one addition: a thread that wakes
/// actors inside a `turn_scheduler::run_here` scope runs them itself when
/// the scope ends, instead of handing them to a scheduler thread.
///
/// Why: an I/O thread that ends its turn sends each token actor its
/// requests. Handed to the scheduler thread, every turn costs a wake-up of
/// that thread and moves every job, actor and mailbox to the other core's
/// cache and back; run on the I/O thread, the token actors, and the system
/// actors they send to, decide while the jobs are still in its cache. The
/// actors are unchanged: each still owns its state and runs one message at
/// a time, only the thread that runs an activation differs (as with any
/// CAF scheduler, an actor is never run by two threads at once: CAF
/// enqueues it again only after it ran out of messages).
///
/// Everything woken outside such a scope (timers, replies from the storage
/// and admin threads, admin calls) goes to the scheduler threads as before.
class turn_scheduler : public caf::scheduler::coordinator<caf::policy::work_sharing> {
public:
  using super = caf::scheduler::coordinator<caf::policy::work_sharing>;

  explicit turn_scheduler(caf::actor_system& sys);

  /// The scheduler `sys`'s configuration asks for: CAF's work stealing when
  /// scheduler.policy is 'stealing'; otherwise work sharing, as a
  /// turn_scheduler when `turns` is true. For actor_system_config's
  /// module_factories, which the system asks before it would make a
  /// scheduler itself.
  static caf::actor_system::module* make(caf::actor_system& sys, bool turns);

  /// Has every actor system made from `cfg` take its scheduler from
  /// make(sys, true) (call before the system is made).
  static void install(caf::actor_system_config& cfg);

  /// `sys`'s scheduler if it is a turn_scheduler, else null. Look it up
  /// once and keep it: a run_here scope takes the result.
  static turn_scheduler* of(caf::actor_system& sys) noexcept;

  /// While one exists on a thread, actors this thread wakes (through
  /// `sched`) wait in it; its destructor runs them, and the
  /// actors they wake in turn, on this thread until none is left (or
  /// max_inline_activations were run: the rest go to the scheduler threads,
  /// so a chain of actors that keep waking each other cannot hold the I/O
  /// thread). Does nothing when `sched` is null (of() found another
  /// scheduler). Not nestable.
  class run_here {
  public:
    explicit run_here(turn_scheduler* sched) noexcept;
    run_here(const run_here&) = delete;
    run_here& operator=(const run_here&) = delete;
    ~run_here();

  private:
    turn_scheduler* sched_;
  };

  /// How many activations one run_here scope runs at most on its thread.
  static constexpr std::size_t max_inline_activations = 4096;

  void enqueue(caf::resumable* job) override;
};

} // namespace sluice
