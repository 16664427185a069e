#include "actors/token_actor.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>

#include "policy/ids.hpp"
#include "policy/json_writer.hpp"
#include "policy/time.hpp"

namespace sluice {

namespace {

token_actor_if::behavior_type token_fn(token_actor_if::stateful_pointer<token_state> self,
                                       token_init init) {
  self->state.init = std::move(init);
  return self->state.make_behavior();
}

} // namespace

token_actor_if spawn_token_actor(caf::actor_system& sys, token_init init) {
  return sys.spawn(token_fn, std::move(init));
}

token_actor_if::behavior_type token_state::make_behavior() {
  // Usage for this actor's life starts from what was last flushed.
  usage.requests = init.record.requests;
  usage.messages = init.record.messages;
  usage.last_used_at_us = init.record.last_used_at_us;
  usage.last_ip = init.record.last_ip;
  last_activity_us = now_us();
  self_->delayed_send(self_, init.opts.usage_flush_interval, tick_atom::value);
  return {
    [this](ingest_atom, ingest_job_ptr& job) { ingest(job); },
    [this](info_atom, info_job_ptr& job) { describe(job); },
    [this](update_atom, store::token_record& rec) -> caf::result<caf::ok_atom> {
      // The admin actor has made `rec` durable. Its usage fields are older than
      // the live counters in `usage`, which stay as they are.
      init.record = std::move(rec);
      if (usable(init.record.status, init.record.expires_at_us, now_us()) == errc::ok)
        return caf::ok_atom::value;
      // From now on every request is refused. Requests let through before are
      // in the storage actor's mailbox ahead of this barrier (messages between
      // two actors keep their order), so its answer means they are all
      // committed and answered: after the revoke returns, nothing more of this
      // token is acknowledged.
      return self_->delegate(init.storage, barrier_atom::value);
    },
    [this](caf::get_atom) { return usage; },
    [this](committed_atom, std::uint32_t accepted, std::uint32_t duplicates) {
      // Duplicates were stored before; only new messages count.
      (void)duplicates;
      usage.messages += accepted;
      usage_dirty = true;
    },
    [this](flush_atom) {
      flush_usage();
      return caf::ok_atom::value;
    },
    [this](tick_atom) { tick(); },
  };
}

void token_state::ingest(ingest_job_ptr& job) {
  auto now = now_us();
  last_activity_us = now;
  auto& rec = init.record;
  if (auto e = usable(rec.status, rec.expires_at_us, now); e != errc::ok)
    return job->complete({make_problem(e), 0, 0});
  if (rec.kind != token_kind::ingest)
    return job->complete(
      {make_problem(errc::insufficient_scope, "only ingest (al_) tokens may write messages"), 0, 0});
  ++usage.requests;
  usage.last_used_at_us = now;
  if (usage.last_ip != job->client_ip)
    usage.last_ip = job->client_ip;
  usage_dirty = true;
  if (job->parse_problem)
    return job->complete({std::move(job->parse_problem), 0, 0});
  if (job->batch.largest_message > init.caps.inline_cap_bytes)
    return job->complete(
      {make_problem(errc::message_too_large,
                    "a message of " + std::to_string(job->batch.largest_message)
                      + " bytes is over the " + std::string{to_string(init.tier)}
                      + " tier's inline cap of " + std::to_string(init.caps.inline_cap_bytes)
                      + " bytes"),
       0, 0});
  job->tenant_id = rec.tenant_id;
  job->system_id = rec.system_id;
  job->token_id = rec.id;
  job->retention_days = rec.retention_days;
  job->reporter = caf::actor_cast<caf::strong_actor_ptr>(self_);
  self_->send(init.storage, write_atom::value, std::move(job));
}

void token_state::describe(info_job_ptr& job) {
  auto now = now_us();
  last_activity_us = now;
  auto& rec = init.record;
  if (auto e = usable(rec.status, rec.expires_at_us, now); e != errc::ok)
    return job->complete({make_problem(e), reply_kind::ok, {}});
  json_reply reply;
  json_writer w{reply.body};
  w.begin_object();
  w.key("tenant").begin_object()
    .field("id", format_id(id_kind::tenant, rec.tenant_id))
    .field("name", init.tenant_name)
    .field("tier", to_string(init.tier))
    .end_object();
  w.key("system").begin_object()
    .field("id", format_id(id_kind::system, rec.system_id))
    .field("name", init.system_name)
    .end_object();
  w.key("token").begin_object()
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
  w.end_object();
  w.field("retention_days", rec.retention_days);
  w.field("tier", to_string(init.tier));
  w.key("scopes").begin_array();
  for (auto& s : rec.scopes)
    w.value(s);
  w.end_array();
  w.key("limits").begin_object()
    .field("inline_cap_bytes", init.caps.inline_cap_bytes)
    .field("max_batch_messages", static_cast<std::uint64_t>(init.max_batch_messages))
    .field("steady_rate", init.caps.steady_rate)
    .field("burst_rate", init.caps.burst_rate)
    .field("tokens_per_system", static_cast<std::uint64_t>(init.caps.tokens_per_system))
    .end_object();
  w.end_object();
  job->complete(std::move(reply));
}

void token_state::flush_usage() {
  if (!usage_dirty)
    return;
  self_->send(init.admin, usage_atom::value, init.record.id, usage);
  usage_dirty = false;
}

void token_state::tick() {
  if (passivating) {
    // Every message that arrived before this second tick has been handled.
    flush_usage();
    self_->quit();
    return;
  }
  flush_usage();
  auto idle = std::chrono::microseconds(now_us() - last_activity_us);
  if (idle >= init.opts.token_idle_timeout) {
    // Leave the registry first, so no new request finds this actor; then let
    // whatever is already queued drain before quitting.
    init.reg->forget_token(init.record.hash, self_->address());
    passivating = true;
    self_->send(self_, tick_atom::value);
    return;
  }
  self_->delayed_send(self_, init.opts.usage_flush_interval, tick_atom::value);
}

} // namespace sluice
