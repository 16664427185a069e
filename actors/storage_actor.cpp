#include "actors/storage_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <pthread.h>

#include <chrono>

#include "actors/spawn.hpp"
#include "actors/store_problem.hpp"
#include "net/log.hpp"
#include "policy/time.hpp"

namespace sluice {

storage_actor_if spawn_storage_actor(caf::actor_system& sys, storage_init init) {
  return spawn_state<storage_actor_if, storage_state, caf::detached>(sys, std::move(init));
}

storage_actor_if::behavior_type storage_state::make_behavior() {
  // Detached: this runs on the actor's own thread (CAF calls it "caf.actor").
  ::pthread_setname_np(::pthread_self(), "storage");
  // On shutdown, whatever is pending or held is committed, made durable and
  // answered first.
  if (pipelined())
    flights_.resize(init.store->log_writes_in_flight());
  self_->set_exit_handler([this](caf::exit_msg& msg) {
    if (pipelined())
      drain();
    else
      commit();
    release(init.store->sync());
    self_->quit(msg.reason);
  });
  self_->send(self_, sweep_atom::value);
  return {
    [this](write_atom, ingest_batch& jobs) {
      for (auto& job : jobs)
        write(job);
    },
    [this](flush_atom, std::uint64_t generation) {
      if (generation == generation_)
        commit();
    },
    [this](sync_atom, std::uint64_t generation) {
      // A later commit (generation moved on) already released what was held;
      // a group being gathered will release it when it commits.
      if (generation == generation_ && pending_.empty())
        release(init.store->sync());
    },
    [this](barrier_atom) -> caf::result<caf::ok_atom> {
      if (pending_.empty() && held_.empty() && flights_count_ == 0)
        return caf::ok_atom::value;
      auto rp = self_->make_response_promise<caf::ok_atom>();
      if (!pending_.empty())
        barriers_.push_back(rp);
      else if (flights_count_ > 0) // answered with the newest group under way
        flights_[(flights_head_ + flights_count_ - 1) % flights_.size()].barriers.push_back(rp);
      else
        held_barriers_.push_back(rp);
      return rp;
    },
    [this](written_atom) {
      reap(false);
      // The group gathered while every writer was busy goes now.
      if (!pending_.empty() && !flush_scheduled_)
        commit();
      between_groups();
    },
    [this](sweep_atom) { sweep(); },
    [this](probe_atom) {
      probe_scheduled_ = false;
      probe();
    },
    [this](apply_atom, std::uint64_t generation) {
      if (generation != 0) {
        // The idle check: applies once no group has come for apply_idle
        // (under load, the checkpoints apply them every interval).
        apply_scheduled_ = false;
        if (generation != generation_ || !pending_.empty()) {
          schedule_apply();
          return;
        }
      }
      if (!init.store->has_deferred())
        return;
      if (auto ec = init.store->apply_deferred()) {
        // Unhealthy until a probe (which applies them first) succeeds.
        log::error("storage: applying acknowledged groups failed; the write-ahead log keeps them",
                   {{"error", ec.message()}});
        set_health(false);
      }
    },
  };
}

void storage_state::write(ingest_job_ptr& job) {
  pending_messages_ += job->batch.items.size();
  pending_bytes_ += job->batch.body_bytes();
  pending_.push_back(std::move(job));
  if (pending_messages_ >= init.opts.batch_max_messages) {
    commit();
    return;
  }
  if (flush_scheduled_)
    return;
  flush_scheduled_ = true;
  // A flush message sent to ourselves queues behind every write already in the
  // mailbox: when it comes up, the group holds all of them.
  if (init.opts.batch_latency.count() == 0)
    self_->send(self_, flush_atom::value, generation_);
  else
    self_->delayed_send(self_, init.opts.batch_latency, flush_atom::value, generation_);
}

bool storage_state::pipelined() const noexcept { return init.store->log_writes_in_flight() > 1; }

void storage_state::commit() {
  ++generation_;
  flush_scheduled_ = false;
  if (pending_.empty())
    return;
  // Every writer busy, or a large group while a write is under way: the
  // group keeps gathering; the next write to end submits it (written_atom).
  // Overlapping writes shortens the wait of small groups, whose write takes
  // the device's latency; large ones take its bandwidth, which two writes
  // share, and splitting them into more, smaller groups costs CPU per group.
  if (pipelined()
      && (flights_count_ == flights_.size()
          || (flights_count_ > 0 && pending_bytes_ > init.opts.overlap_max_bytes)))
    return;
  writes_.clear();
  for (auto& job : pending_)
    writes_.push_back(store::write_job{job->retention_days, job->tenant_id, job->system_id,
                                       job->token_id, job->source, &job->batch});
  outcomes_.assign(pending_.size(), store::job_outcome{});
  auto started = std::chrono::steady_clock::now();
  if (pipelined()) {
    init.store->submit_group(writes_, now_us(), outcomes_);
    auto& f = flights_[(flights_head_ + flights_count_++) % flights_.size()];
    f.jobs.swap(pending_);
    f.outcomes.swap(outcomes_);
    f.barriers.swap(barriers_);
    f.messages = pending_messages_;
    f.started = started;
    pending_messages_ = 0;
    pending_bytes_ = 0;
    // A group with nothing to write (all duplicates, say) ended already; no
    // writer will report it. Answered here unless an earlier one is under way.
    reap(false);
    return;
  }
  init.store->commit_group(writes_, now_us(), outcomes_);
  committed(pending_messages_, started);
  // This commit flushed the files it wrote, which made the held group
  // durable there; sync_previous() covers the environments it did not write.
  release(init.store->sync_previous());
  held_.swap(pending_);
  held_outcomes_.swap(outcomes_);
  held_barriers_.swap(barriers_);
  pending_messages_ = 0;
  pending_bytes_ = 0;
  // With a write-ahead log the group is durable already: answer it now.
  if (init.store->durable_on_commit()) {
    release({});
    between_groups();
    return;
  }
  // Whatever writes arrived meanwhile are ahead of this in the mailbox; if
  // none did, the sync makes this group durable at once instead of waiting
  // for a next group that may not come.
  self_->send(self_, sync_atom::value, generation_);
}

void storage_state::release(const std::error_code& sync_error) {
  bool failed = false;
  // Two passes: the token and system actors, which counted each request as
  // acknowledged when they let it on (usage_claim), hear where the commit
  // differs before any client hears its answer, so a client that reads its
  // usage right after a 507 finds it counted as one (its read reaches the
  // actors after the report, mailboxes keep order). In the common case (all
  // stored, no duplicates) nothing is sent.
  for (std::size_t i = 0; i < held_.size(); ++i) {
    auto& job = *held_[i];
    auto& out = held_outcomes_[i];
    auto ec = out.ec ? out.ec : sync_error;
    if (ec && !failed)
      log::error("storage: commit failed", {{"error", ec.message()}});
    failed = failed || ec;
    std::uint64_t bytes = ec ? 0 : job.batch.body_bytes();
    if (!ec && init.metrics)
      init.metrics->accepted(job.source, out.accepted, out.duplicates, bytes);
    auto settled = [&](const usage_claim& claim) {
      return settle(claim, static_cast<bool>(ec), out.accepted, out.duplicates, bytes);
    };
    if (auto r = settled(job.token_claim); !r.empty())
      if (auto token = caf::actor_cast<token_actor_if>(job.token_reporter))
        self_->send(token, committed_atom::value, r);
    if (auto r = settled(job.system_claim); !r.empty())
      if (auto system = caf::actor_cast<system_actor_if>(job.system_reporter))
        self_->send(system, committed_atom::value, r);
  }
  // Health before any answer: a client that reads /readyz right after its
  // 507 must find the failed commit there.
  if (!held_.empty())
    set_health(!failed);
  for (std::size_t i = 0; i < held_.size(); ++i) {
    auto& job = *held_[i];
    auto& out = held_outcomes_[i];
    auto ec = out.ec ? out.ec : sync_error;
    if (ec) {
      if (init.metrics)
        init.metrics->rejected(rejection::storage_error);
      job.complete(ingest_reply::refused(ingest_store_problem(ec), job.rate));
      continue;
    }
    job.complete(job.answer(out.accepted, out.duplicates));
  }
  held_.clear();
  for (auto& rp : held_barriers_)
    rp.deliver(caf::ok_atom::value);
  held_barriers_.clear();
}

void storage_state::committed(std::size_t messages, std::chrono::steady_clock::time_point started) {
  if (init.metrics)
    init.metrics->group_committed(
      messages, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void storage_state::between_groups() {
  // After the answers: a checkpoint first commits the groups applied behind
  // the log, which can take milliseconds.
  init.store->checkpoint_if_due();
  report_checkpoints();
  schedule_apply();
}

void storage_state::reap(bool wait) {
  init.store->reap(
    [this](std::error_code ec) {
      auto& f = flights_[flights_head_];
      committed(f.messages, f.started);
      held_.swap(f.jobs);
      held_outcomes_.swap(f.outcomes);
      held_barriers_.swap(f.barriers);
      release(ec); // empties held_ and held_barriers_
      f.jobs.swap(held_);
      f.outcomes.swap(held_outcomes_);
      f.barriers.swap(held_barriers_);
      flights_head_ = (flights_head_ + 1) % flights_.size();
      --flights_count_;
    },
    wait);
}

void storage_state::drain() {
  while (!pending_.empty() || flights_count_ > 0) {
    commit(); // submits the pending group when a writer is free
    reap(true);
  }
}

void storage_state::report_checkpoints() {
  auto now = init.store->checkpoints();
  if (now.taken == reported_.taken && now.failed == reported_.failed)
    return;
  if (init.metrics)
    init.metrics->checkpoints(now.taken - reported_.taken, now.failed - reported_.failed);
  // The log keeps every acknowledged group until a checkpoint succeeds;
  // when it fills, group commits fail and /readyz says so.
  if (now.failed != reported_.failed)
    log::error("storage: checkpoint failed; the write-ahead log keeps the groups since the last "
               "one",
               {{"error", now.last_error.message()}, {"failures", now.failed}});
  reported_ = now;
}

void storage_state::schedule_apply() {
  if (apply_scheduled_ || !init.store->has_deferred())
    return;
  apply_scheduled_ = true;
  self_->delayed_send(self_, init.opts.apply_idle, apply_atom::value, generation_);
}

void storage_state::set_health(bool ok) {
  failing_ = !ok;
  if (init.healthy)
    init.healthy->store(ok, std::memory_order_release);
  // Without traffic no commit would ever clear a failure, and a load
  // balancer that reads /readyz sends none: a probe write finds out.
  if (!ok)
    schedule_probe();
}

void storage_state::schedule_probe() {
  if (probe_scheduled_)
    return;
  probe_scheduled_ = true;
  self_->delayed_send(self_, init.opts.probe_interval, probe_atom::value);
}

void storage_state::probe() {
  if (!failing_)
    return; // a commit succeeded meanwhile
  if (!pending_.empty() || !held_.empty() || flights_count_ > 0) {
    // Groups are under way: their outcome will tell. Look again later.
    schedule_probe();
    return;
  }
  auto ec = init.store->probe();
  report_checkpoints();
  if (ec) {
    schedule_probe();
    return;
  }
  set_health(true);
  log::info("storage: writes succeed again");
}

void storage_state::sweep() {
  auto dropped = init.store->sweep(now_us());
  if (dropped.message_buckets_dropped > 0)
    log::info("expiry: dropped expired day buckets",
              {{"buckets", dropped.message_buckets_dropped}});
  self_->delayed_send(self_, init.opts.expiry_interval, sweep_atom::value);
}

} // namespace sluice
