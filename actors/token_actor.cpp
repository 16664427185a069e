#include "actors/token_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "actors/spawn.hpp"
#include "actors/timers.hpp"
#include "policy/time.hpp"

namespace sluice {

token_actor_if spawn_token_actor(caf::actor_system& sys, token_init init) {
  return spawn_state<token_actor_if, token_state>(sys, std::move(init));
}

token_actor_if::behavior_type token_state::make_behavior() {
  auto now = now_us();
  auto& rec = init.record;
  // Usage for this actor's life starts from what was last flushed.
  usage_.restore(rec.usage.totals, rec.usage.minutes, now);
  last_used_at_us_ = rec.last_used_at_us;
  last_ip_ = rec.last_ip;
  limiter_.configure(rec.rate_limit, rec.rate_limit_shadow, monotonic_us());
  last_activity_us_ = now;
  tick_on_grid(self_, init.opts.usage_flush_interval, tick_atom::value);
  return {
    [this](ingest_atom, ingest_batch& jobs) {
      // Out of the registry already: requests from I/O turns that found this
      // actor before it left are dropped unanswered and unauthenticated, so
      // their job pool sends them on to the token's next actor
      // (ingest_rerouter). What this actor counted is then all in the usage
      // it posted as it left, which the next one starts from.
      if (passivating_)
        return;
      for (auto& job : jobs)
        ingest(job);
      send_on();
    },
    [this](info_atom, info_job_ptr& job) { describe(job); },
    [this](admin_atom, admin_job_ptr& job) { admin(job); },
    [this](user_atom, store::user_record& user) {
      // Deactivated: refused from the very next request; reactivated: works
      // again (unless the token itself was revoked meanwhile).
      init.user = std::move(user);
      drain();
      return caf::ok_atom::value;
    },
    [this](update_atom, store::token_record& rec) -> caf::result<caf::ok_atom> {
      apply(std::move(rec));
      if (!init.system)
        return caf::ok_atom::value;
      // From now on every request is judged by the new record. Requests let
      // through before are ahead of this barrier on the same path (token ->
      // system -> storage; messages between two actors keep their order), so
      // its answer means they are all committed and answered: after a revoke,
      // a rotation or a new restriction returns, nothing the old record let
      // in is still on its way.
      return self_->delegate(init.system, barrier_atom::value);
    },
    [this](caf::get_atom) { return snapshot(); },
    [this](decided_atom, system_outcome outcome, std::uint32_t messages, usage_claim claim,
           bool reserved) {
      auto now = now_us();
      if (reserved)
        limiter_.resolve(outcome == system_outcome::admitted || outcome == system_outcome::sampled,
                         monotonic_us());
      // Counted as acknowledged when let through (see gate); anything else
      // takes that back first.
      if (outcome != system_outcome::admitted && claim.at_us != 0)
        usage_.take_back(claim.at_us, 1, claim.messages, 0, claim.bytes);
      switch (outcome) {
        case system_outcome::admitted: break; // counted already
        case system_outcome::sampled: usage_.sampled(now, 1, messages); break;
        case system_outcome::rate_limited: usage_.rejected(now, rejection::rate_limited); break;
        case system_outcome::too_large: usage_.rejected(now, rejection::too_large); break;
      }
      usage_dirty_ = true;
      drain();
    },
    [this](committed_atom, const commit_report& r) {
      count_commit(usage_, r, now_us());
      usage_dirty_ = true;
    },
    [this](flush_atom) {
      flush_usage();
      return caf::ok_atom::value;
    },
    [this](tick_atom) { tick(); },
  };
}

void token_state::apply(store::token_record rec) {
  // The admin actor has made `rec` durable. Its usage fields are older than
  // the live counters here, which stay as they are.
  init.record = std::move(rec);
  limiter_.configure(init.record.rate_limit, init.record.rate_limit_shadow, monotonic_us());
  drain(); // a revoke or a raised limit settles waiting jobs at once
}

problem token_state::refusal(std::int64_t now, const token_hash& presented,
                             std::string_view client_ip, door d) const {
  auto& rec = init.record;
  // A rotated-out secret works until its grace ends; then it is no secret of
  // this token any more, and says nothing about the token.
  if (!hashes_equal(presented, rec.hash)
      && (rec.previous_valid_until_us == 0 || now >= rec.previous_valid_until_us
          || !hashes_equal(presented, rec.previous_hash)))
    return make_problem(errc::invalid_token);
  if (auto e = usable(rec.status, rec.expires_at_us, now); e != errc::ok)
    return make_problem(e);
  if (rec.kind == token_kind::user && !(init.user && init.user->active))
    return make_problem(errc::user_inactive);
  // Break-glass lifts the IP and time restrictions for its window only.
  if (now >= rec.emergency_until_us) {
    if (!rec.allowlist.empty() && !rec.allowlist.allows(client_ip))
      return make_problem(errc::ip_not_allowed,
                          "this token may not be used from " + std::string{client_ip});
    if (!rec.hours.empty() && !rec.hours.allows(now))
      return make_problem(errc::outside_allowed_hours);
  }
  bool ingests = rec.kind == token_kind::ingest;
  if (d == door::ingest && !ingests)
    return make_problem(errc::insufficient_scope,
                        rec.kind == token_kind::webhook
                          ? "a webhook (alw_) token is used in the path of POST /webhooks/{token}"
                          : "only ingest (al_) tokens may use the ingest port");
  if (d == door::webhook && rec.kind != token_kind::webhook)
    return make_problem(errc::insufficient_scope,
                        "only webhook (alw_) tokens may receive webhooks; mint one with "
                        "\"kind\":\"webhook\"");
  if (d == door::admin && (ingests || rec.kind == token_kind::webhook))
    return make_problem(errc::insufficient_scope,
                        "ingest and webhook tokens cannot use the admin API");
  return {};
}

token_state::door token_state::door_of(const ingest_job& job) noexcept {
  return job.door == ingest_door::webhook ? door::webhook : door::ingest;
}

void token_state::count_refusal(std::int64_t now) {
  usage_.rejected(now, rejection::unauthorized);
  count_metric(rejection::unauthorized);
  usage_dirty_ = true;
  if (init.system) // its system counts every request of its tokens
    self_->send(init.system, refused_atom::value);
}

void token_state::ingest(ingest_job_ptr& job) {
  auto now = now_us();
  last_activity_us_ = now;
  auto& rec = init.record;
  if (auto p = refusal(now, job->presented, job->client_ip, door_of(*job))) {
    count_refusal(now);
    return job->complete(ingest_reply::refused(std::move(p)));
  }
  job->complete.authenticated(rec.id);
  last_used_at_us_ = now;
  if (last_ip_ != job->client_ip)
    last_ip_ = job->client_ip;
  usage_dirty_ = true;
  job->tenant_id = rec.tenant_id;
  job->system_id = rec.system_id;
  job->token_id = rec.id;
  job->retention_days = rec.retention_days;
  job->token_reporter = caf::actor_cast<caf::strong_actor_ptr>(self_);
  if (job->parse_problem) {
    // Refused, but authenticated (a handshake too): the system actor adds
    // the rate headers.
    auto why = rejection_of(job->parse_problem.code);
    usage_.rejected(now, why);
    count_metric(why);
    job->verdict = std::move(job->parse_problem);
    job->rate.token = limiter_.state(monotonic_us());
    to_system_.push_back(std::move(job));
    return;
  }
  if (job->probe) {
    // A handshake: authenticated, nothing to store; the system adds its limits.
    job->rate.token = limiter_.state(monotonic_us());
    to_system_.push_back(std::move(job));
    return;
  }
  // Later arrivals never overtake waiting ones.
  if (!waiting_.empty() || !gate(job, now))
    waiting_.push_back(std::move(job));
}

bool token_state::gate(ingest_job_ptr& job, std::int64_t now) {
  auto c = limiter_.check(monotonic_us());
  switch (c.gate) {
    case token_gate::wait: return false;
    case token_gate::reject: {
      usage_.rejected(now, rejection::rate_limited);
      count_metric(rejection::rate_limited);
      auto p = make_problem(errc::rate_limited, "this token's rate limit ("
                                                  + init.record.rate_limit->to_string()
                                                  + ") is exhausted");
      p.retry_after_s = retry_after_seconds(c.wait_us);
      job->verdict = std::move(p);
      break;
    }
    case token_gate::reserved: job->token_reserved = true; break;
    case token_gate::pass:
      if (c.shadow_limited) {
        usage_.shadow_limited(now);
        count_shadow();
      }
      break;
  }
  if (limiter_.limited())
    job->rate.token = c.state;
  // Counted as acknowledged now rather than when storage commits it: that
  // would cost a message to this actor per request. The system's refusal
  // (decided_atom) or the commit (committed_atom) settles it when it differs.
  if (!job->verdict) {
    job->token_claim = claim_accepted(usage_, job->batch, now);
    usage_dirty_ = true; // also when drain() lets a waiting job through after a flush
  }
  to_system_.push_back(std::move(job));
  return true;
}

void token_state::drain() {
  auto now = now_us();
  while (!waiting_.empty()) {
    auto& job = waiting_.front();
    if (auto p = refusal(now, job->presented, job->client_ip, door_of(*job))) {
      count_refusal(now);
      job->complete(ingest_reply::refused(std::move(p)));
    } else if (!gate(job, now)) {
      break; // still waiting for a decision
    }
    waiting_.pop_front();
  }
  send_on();
}

void token_state::send_on() {
  if (to_system_.empty())
    return;
  self_->send(init.system, ingest_atom::value, std::move(to_system_));
  to_system_.clear(); // moved from: valid, made empty for sure
}

void token_state::describe(info_job_ptr& job) {
  auto now = now_us();
  last_activity_us_ = now;
  if (auto p = refusal(now, job->presented, job->client_ip, door::ingest))
    return job->complete({std::move(p), reply_kind::ok, {}});
  job->complete.authenticated(init.record.id);
  job->token = init.record;
  job->token_limit = limiter_.state(monotonic_us());
  self_->send(init.system, info_atom::value, std::move(job));
}

void token_state::admin(admin_job_ptr& job) {
  auto now = now_us();
  last_activity_us_ = now;
  auto& rec = init.record;
  // A poll of a stream the caller opened (the live tail) was counted when it
  // opened: authenticated like any call, not counted again, also when it is
  // refused (the token revoked or disabled meanwhile, which ends the stream).
  if (auto p = refusal(now, job->presented, job->cmd.client_ip, door::admin)) {
    if (!job->cmd.continuation)
      count_refusal(now);
    return job->complete({std::move(p), reply_kind::ok, {}});
  }
  job->complete.authenticated(rec.id);
  if (!job->cmd.continuation) {
    // The token's own limit, in requests. No system decides after this one,
    // so room is taken at once (a reservation settled on the spot).
    auto c = limiter_.check(monotonic_us());
    if (c.gate == token_gate::reserved)
      limiter_.resolve(true, monotonic_us());
    if (c.gate == token_gate::reject || c.gate == token_gate::wait) {
      usage_.rejected(now, rejection::rate_limited);
      count_metric(rejection::rate_limited);
      usage_dirty_ = true;
      auto p = make_problem(errc::rate_limited, "this token's rate limit ("
                                                  + rec.rate_limit->to_string() + ") is exhausted");
      p.retry_after_s = retry_after_seconds(c.wait_us);
      return job->complete({std::move(p), reply_kind::ok, {}});
    }
    if (c.shadow_limited) {
      usage_.shadow_limited(now);
      count_shadow();
    }
    usage_.accepted(now, 1, 0, 0, 0);
    last_used_at_us_ = now;
    if (last_ip_ != job->cmd.client_ip)
      last_ip_ = job->cmd.client_ip;
    usage_dirty_ = true;
  }
  job->who = rec.kind == token_kind::user
               ? person(rec.id, init.user->id, init.user->tenant_id, init.user->role)
               : service(rec.id, rec.tenant_id, rec.scopes, rec.is_public, rec.query_systems);
  self_->send(init.admin, admin_atom::value, std::move(job));
}

void token_state::count_metric(rejection why) const noexcept {
  if (auto* m = init.opts.metrics)
    m->rejected(why);
}

void token_state::count_shadow() const noexcept {
  if (auto* m = init.opts.metrics)
    m->shadow_limited(shadow_limit::token);
}

token_usage token_state::snapshot() const {
  return {usage_snapshot(usage_, now_us()), last_used_at_us_, last_ip_, {}};
}

void token_state::flush_usage() {
  if (!usage_dirty_)
    return;
  auto usage = snapshot();
  usage.changed = usage_.take_changed();
  init.opts.usage->post_token(init.record.id, std::move(usage));
  usage_dirty_ = false;
}

void token_state::tick() {
  if (passivating_) {
    // Every message that arrived before this tick has been handled (ingest
    // requests by sending them on, see the ingest handler). An admin call
    // may have been among them; its usage is posted here. Anything arriving
    // after the quit comes back to its job pool unanswered and is sent on
    // the same way.
    flush_usage();
    self_->quit();
    return;
  }
  flush_usage();
  auto idle = std::chrono::microseconds(now_us() - last_activity_us_);
  if (idle >= init.opts.token_idle_timeout && may_passivate(monotonic_us())) {
    // Leave the registry first, so no new request finds this actor; then let
    // whatever is already queued drain before quitting.
    init.reg->forget_token(init.record.id, self_->address());
    passivating_ = true;
    self_->send(self_, tick_atom::value);
    return;
  }
  tick_on_grid(self_, init.opts.usage_flush_interval, tick_atom::value);
}

} // namespace sluice
