#include "actors/turn_scheduler.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/policy/work_stealing.hpp>

#include <vector>

namespace sluice {

namespace {

/// A thread's run_here scope: the execution unit its actors run on, and
/// the actors woken meanwhile, in the order they were woken. One per
/// thread; the vector's capacity stays with the thread, so a steady turn
/// allocates nothing here.
class turn_unit final : public caf::execution_unit {
public:
  /// The scheduler whose actors this thread runs now; null outside a scope.
  turn_scheduler* owner = nullptr;
  /// Woken actors, each holding the reference CAF took when it woke it.
  std::vector<caf::resumable*> jobs;

  void bind(caf::actor_system* sys) noexcept { system_ = sys; }

  /// An actor running here woke `job` (sent it a message).
  void exec_later(caf::resumable* job) override { jobs.push_back(job); }
};

thread_local turn_unit this_thread_unit;

} // namespace

turn_scheduler::turn_scheduler(caf::actor_system& sys) : super(sys) {}

caf::actor_system::module* turn_scheduler::make(caf::actor_system& sys, bool turns) {
  // The worker count comes from scheduler.max-threads either way (read by
  // the coordinator's init()).
  if (caf::get_or(sys.config(), "scheduler.policy", caf::atom("sharing")) == caf::atom("stealing"))
    return new caf::scheduler::coordinator<caf::policy::work_stealing>(sys);
  if (!turns)
    return new super(sys);
  return new turn_scheduler(sys);
}

void turn_scheduler::install(caf::actor_system_config& cfg) {
  cfg.module_factories.push_back([](caf::actor_system& sys) { return make(sys, true); });
}

void turn_scheduler::enqueue(caf::resumable* job) {
  if (this_thread_unit.owner == this) {
    this_thread_unit.jobs.push_back(job);
    return;
  }
  super::enqueue(job);
}

turn_scheduler* turn_scheduler::of(caf::actor_system& sys) noexcept {
  return dynamic_cast<turn_scheduler*>(&sys.scheduler());
}

turn_scheduler::run_here::run_here(turn_scheduler* sched) noexcept : sched_(sched) {
  if (!sched_)
    return;
  this_thread_unit.owner = sched_;
  this_thread_unit.bind(&sched_->system());
}

turn_scheduler::run_here::~run_here() {
  if (!sched_)
    return;
  auto& unit = this_thread_unit;
  // By index: running a job may append to the vector.
  std::size_t ran = 0;
  for (std::size_t i = 0; i < unit.jobs.size(); ++i) {
    auto* job = unit.jobs[i];
    if (ran == max_inline_activations) {
      sched_->super::enqueue(job);
      continue;
    }
    ++ran;
    switch (job->resume(&unit, sched_->max_throughput())) {
      case caf::resumable::resume_later:
        unit.jobs.push_back(job); // keeps its reference
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message:
        // Woken again later through enqueue(), with a new reference.
        caf::intrusive_ptr_release(job);
        break;
      case caf::resumable::shutdown_execution_unit:
        // Only the scheduler's own shutdown job says this, and it is given
        // to its workers, never to a thread's scope.
        break;
    }
  }
  unit.jobs.clear();
  unit.owner = nullptr;
}

} // namespace sluice
