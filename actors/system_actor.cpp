#include "actors/system_actor.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "actors/spawn.hpp"
#include "actors/timers.hpp"
#include "policy/ids.hpp"
#include "policy/json_writer.hpp"
#include "policy/time.hpp"

namespace sluice {

system_actor_if spawn_system_actor(caf::actor_system& sys, system_init init) {
  return spawn_state<system_actor_if, system_state>(sys, std::move(init));
}

system_actor_if::behavior_type system_state::make_behavior() {
  auto now = now_us();
  limiter_ = system_limiter{init.terms.caps, monotonic_us()};
  usage_.restore(init.record.usage.totals, init.record.usage.minutes, now);
  tick_on_grid(self_, init.usage_flush_interval, tick_atom::value);
  return {
    [this](ingest_atom, ingest_batch& jobs) {
      for (auto& job : jobs)
        ingest(job);
      // One message to storage for the whole batch, in the same order.
      if (!to_storage_.empty()) {
        self_->send(init.storage, write_atom::value, std::move(to_storage_));
        to_storage_.clear(); // moved from: valid, made empty for sure
      }
    },
    [this](info_atom, info_job_ptr& job) { describe(job); },
    [this](reserve_atom, std::uint32_t n) -> caf::result<bool, std::uint64_t> {
      // All n or none: the cap must still hold after the last one.
      if (n == 0 || check_token_cap(init.terms.caps, init.live_tokens, n))
        return {false, init.live_tokens};
      init.live_tokens += n;
      return {true, init.live_tokens};
    },
    [this](release_atom, std::uint32_t n) {
      init.live_tokens -= std::min<std::uint64_t>(n, init.live_tokens);
    },
    [this](update_atom, system_terms& terms) {
      init.terms = std::move(terms);
      limiter_.reconfigure(init.terms.caps, monotonic_us());
      return caf::ok_atom::value;
    },
    [this](barrier_atom) { return self_->delegate(init.storage, barrier_atom::value); },
    [this](caf::get_atom) { return snapshot(); },
    [this](committed_atom, const commit_report& r) {
      count_commit(usage_, r, now_us());
      usage_dirty_ = true;
    },
    [this](refused_atom) {
      usage_.rejected(now_us(), rejection::unauthorized);
      usage_dirty_ = true;
    },
    [this](flush_atom) {
      flush_usage();
      return caf::ok_atom::value;
    },
    [this](tick_atom) {
      flush_usage();
      tick_on_grid(self_, init.usage_flush_interval, tick_atom::value);
    },
  };
}

void system_state::tell_token(const ingest_job& job, system_outcome outcome) {
  if (!job.token_reserved && outcome == system_outcome::admitted)
    return; // counted already; storage settles it if the commit differs
  if (auto token = caf::actor_cast<token_actor_if>(job.token_reporter))
    self_->send(token, decided_atom::value, outcome,
                static_cast<std::uint32_t>(job.batch.items.size()), job.token_claim,
                job.token_reserved);
}

void system_state::ingest(ingest_job_ptr& job) {
  auto now = now_us();
  auto& caps = init.terms.caps;
  usage_dirty_ = true;
  auto refuse = [&](problem p, rejection why, system_outcome outcome) {
    usage_.rejected(now, why);
    if (init.metrics) // decided here; the token only mirrors it in its usage
      init.metrics->rejected(why);
    tell_token(*job, outcome);
    job->complete(ingest_reply::refused(std::move(p), job->rate));
  };

  // Refused by the token actor already (invalid, or the token's own limit):
  // only the headers are added here, and nothing is taken.
  if (job->verdict) {
    job->rate.burst = limiter_.state(monotonic_us());
    usage_.rejected(now, rejection_of(job->verdict.code));
    job->complete(ingest_reply::refused(std::move(job->verdict), job->rate));
    return;
  }
  if (job->probe) {
    // A handshake: answered with the limits, takes nothing from the bucket.
    job->rate.burst = limiter_.state(monotonic_us());
    job->complete(job->answer(0, 0));
    return;
  }
  if (job->partial && job->batch.largest_message > caps.inline_cap_bytes)
    drop_oversized(*job, caps.inline_cap_bytes);
  // Counted after the drop: records left out take nothing from the bucket.
  auto messages = static_cast<std::uint64_t>(job->batch.items.size());
  if (job->batch.largest_message > caps.inline_cap_bytes) {
    job->rate.burst = limiter_.state(monotonic_us());
    return refuse(make_problem(errc::message_too_large,
                               "a message of " + std::to_string(job->batch.largest_message)
                                 + " bytes is over the inline cap of "
                                 + std::to_string(caps.inline_cap_bytes) + " bytes ("
                                 + std::string{to_string(init.terms.tier)} + " tier)"),
                  rejection::too_large, system_outcome::too_large);
  }

  auto d = limiter_.admit(messages, monotonic_us());
  job->rate.burst = d.burst;
  job->rate.sampled = d.sampled;
  if (d.shadow_limited) {
    usage_.shadow_limited(now);
    if (init.metrics)
      init.metrics->shadow_limited(shadow_limit::system);
  }
  switch (d.verdict) {
    case system_verdict::too_large:
      return refuse(make_problem(errc::batch_too_large,
                                 "a request of " + std::to_string(messages)
                                   + " messages can never fit this system's burst capacity of "
                                   + std::to_string(caps.burst_capacity()) + " messages"),
                    rejection::too_large, system_outcome::too_large);
    case system_verdict::reject: {
      auto p =
        make_problem(errc::rate_limited,
                     "this system's tier limit is exhausted: " + std::to_string(caps.steady_rate)
                       + " messages/s steady, bursts up to " + std::to_string(caps.burst_capacity())
                       + " messages");
      p.retry_after_s = retry_after_seconds(d.wait_us);
      return refuse(std::move(p), rejection::rate_limited, system_outcome::rate_limited);
    }
    case system_verdict::drop_sampled: {
      // Acknowledged but not stored: what sampling means (docs/api.md, rate limits).
      usage_.sampled(now, 1, messages);
      if (init.metrics)
        init.metrics->sampled(messages);
      tell_token(*job, system_outcome::sampled);
      auto n = static_cast<std::uint32_t>(messages);
      job->complete(job->answer(n, 0));
      return;
    }
    case system_verdict::admit: break;
  }
  tell_token(*job, system_outcome::admitted);
  // Counted as acknowledged now; a commit that says otherwise settles it.
  job->system_claim = claim_accepted(usage_, job->batch, now);
  job->system_reporter = caf::actor_cast<caf::strong_actor_ptr>(self_);
  to_storage_.push_back(std::move(job));
}

void system_state::drop_oversized(ingest_job& job, std::uint64_t cap) {
  // Partial doors (OTLP, Langfuse) store what fits and report the rest.
  auto& items = job.batch.items;
  std::size_t kept = 0;
  std::uint64_t largest = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].body_size > cap) {
      job.dropped.push_back(static_cast<std::uint32_t>(i));
      continue;
    }
    largest = std::max<std::uint64_t>(largest, items[i].body_size);
    items[kept++] = items[i];
  }
  items.resize(kept);
  job.batch.largest_message = largest;
  // The request itself is accepted: usage counts requests, and the records
  // left out are reported in the response.
  job.dropped_reason = "a record is over the inline cap of " + std::to_string(cap) + " bytes ("
                       + std::string{to_string(init.terms.tier)} + " tier)";
}

void system_state::describe(info_job_ptr& job) {
  auto& rec = job->token;
  auto& caps = init.terms.caps;
  json_reply reply;
  json_writer w{reply.body};
  w.begin_object();
  w.key("tenant")
    .begin_object()
    .field("id", format_id(id_kind::tenant, rec.tenant_id))
    .field("name", init.terms.tenant_name)
    .field("tier", to_string(init.terms.tier))
    .end_object();
  w.key("system")
    .begin_object()
    .field("id", format_id(id_kind::system, init.record.id))
    .field("name", init.record.name)
    .end_object();
  w.key("token")
    .begin_object()
    .field("id", format_id(id_kind::token, rec.id))
    .field("name", rec.name)
    .field("kind", to_string(rec.kind))
    .field("hint", rec.hint)
    .field("status", to_string(rec.status));
  w.key("expires_at");
  if (rec.expires_at_us != 0)
    w.value(format_rfc3339_us(rec.expires_at_us));
  else
    w.null();
  w.key("rate_limit");
  if (rec.rate_limit)
    w.value(rec.rate_limit->to_string());
  else
    w.null();
  w.end_object();
  w.field("retention_days", rec.retention_days);
  w.field("tier", to_string(init.terms.tier));
  w.key("scopes").begin_array();
  for (auto s : rec.scopes.list())
    w.value(to_string(s));
  w.end_array();
  auto burst = limiter_.state(monotonic_us());
  w.key("limits").begin_object();
  write_fields(w, caps);
  w.field("max_batch_messages", static_cast<std::uint64_t>(init.max_batch_messages))
    .field("burst_remaining", burst.remaining);
  w.key("token");
  if (job->token_limit)
    w.begin_object()
      .field("limit", job->token_limit->limit)
      .field("window_s", job->token_limit->window_s)
      .field("remaining", job->token_limit->remaining)
      .field("shadow", rec.rate_limit_shadow)
      .end_object();
  else
    w.null();
  w.end_object();
  w.end_object();
  job->complete(std::move(reply));
}

system_usage system_state::snapshot() const { return {usage_snapshot(usage_, now_us()), {}}; }

void system_state::flush_usage() {
  if (!usage_dirty_)
    return;
  auto usage = snapshot();
  usage.changed = usage_.take_changed();
  init.usage->post_system(init.record.id, std::move(usage));
  usage_dirty_ = false;
}

} // namespace sluice
