#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>

#include "actors/atoms.hpp"
#include "actors/jobs.hpp"
#include "store/records.hpp"

// The messages below never leave the process: they carry callbacks and
// borrowed state, so they are declared local-only rather than serialisable.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::ingest_job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::ingest_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::info_job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::admin_job_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::token_usage)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::system_usage)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::commit_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::usage_claim)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::system_outcome)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::system_terms)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::store::token_record)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(sluice::store::user_record)

namespace sluice {

/// One actor per live token, of every kind: status, restrictions (IP, hours,
/// break-glass), its own rate limit, usage. Every request presenting a
/// token's secret passes through it: ingest requests on to its system's
/// actor, admin calls (personal and service tokens) on to the admin actor
/// with the caller's principal.
using token_actor_if =
  caf::typed_actor< /// Ingest requests of one turn of an I/O thread, in arrival order.
    caf::reacts_to<ingest_atom, ingest_batch>, caf::reacts_to<info_atom, info_job_ptr>,
    caf::reacts_to<admin_atom, admin_job_ptr>,
    /// A personal token's user changed (role, active), already durable.
    caf::replies_to<user_atom, store::user_record>::with<caf::ok_atom>,
    /// A changed record from the admin actor (already durable). Answered once it
    /// is in force: for a revoke, also once every request the token let through
    /// before has been committed and answered.
    caf::replies_to<update_atom, store::token_record>::with<caf::ok_atom>,
    caf::replies_to<caf::get_atom>::with<token_usage>,
    /// From the system actor: its decision on a request this token let through
    /// (sent when the token holds a reservation for it, or it was refused):
    /// the outcome, the messages, what the token counted, the reservation.
    caf::reacts_to<decided_atom, system_outcome, std::uint32_t, usage_claim, bool>,
    /// From storage, where a commit differs from what the token counted.
    caf::reacts_to<committed_atom, commit_report>,
    /// Posts its usage to the usage board now (at shutdown); answered after.
    caf::replies_to<flush_atom>::with<caf::ok_atom>, caf::reacts_to<tick_atom>>;

/// One actor per system: its tier limit (bucket, sampling, shadow), its caps
/// (inline cap, tokens per system) and its usage. Every authenticated request
/// passes through it, so it also writes the rate-limit headers.
using system_actor_if = caf::typed_actor<
  /// Requests its tokens let through, in the order each token did.
  caf::reacts_to<ingest_atom, ingest_batch>, caf::reacts_to<info_atom, info_job_ptr>,
  /// Takes n token slots when the caps allow: (granted, live tokens after).
  caf::replies_to<reserve_atom, std::uint32_t>::with<bool, std::uint64_t>,
  /// Gives n slots back (a revoke, or a mint that failed after its reserve).
  caf::reacts_to<release_atom, std::uint32_t>,
  /// New terms (the tenant's tier or overrides changed, already durable).
  caf::replies_to<update_atom, system_terms>::with<caf::ok_atom>,
  /// Passed on to storage behind every job this actor forwarded before it.
  caf::replies_to<barrier_atom>::with<caf::ok_atom>,
  caf::replies_to<caf::get_atom>::with<system_usage>,
  /// From storage, where a commit differs from what the system counted.
  caf::reacts_to<committed_atom, commit_report>,
  /// From a token actor: it refused a request with its genuine secret (the
  /// token's status, expiry or kind), counted here as `unauthorized` too, so
  /// a system's usage is the sum of its tokens'.
  caf::reacts_to<refused_atom>, caf::replies_to<flush_atom>::with<caf::ok_atom>,
  caf::reacts_to<tick_atom>>;

/// The single writer of the message environments: gathers jobs into groups,
/// commits each group durably, then answers every job in it.
using storage_actor_if =
  caf::typed_actor< /// Requests a system actor admitted, in the order it did.
    caf::reacts_to<write_atom, ingest_batch>, caf::reacts_to<flush_atom, std::uint64_t>,
    caf::reacts_to<sync_atom, std::uint64_t>,
    /// Answered once everything received before it is committed and answered.
    caf::replies_to<barrier_atom>::with<caf::ok_atom>, caf::reacts_to<sweep_atom>,
    /// After a failed commit: tries a write while no traffic does.
    caf::reacts_to<probe_atom>,
    /// Commits the groups left in open transactions (applying behind the
    /// log): with a generation, the idle check a checkpoint interval after
    /// that group, only if no group came since; with 0, at once (a reader
    /// waits for them).
    caf::reacts_to<apply_atom, std::uint64_t>,
    /// From a log writer thread of the store: a group's log write ended.
    caf::reacts_to<written_atom>>;

/// The admin API and the single writer of the metadata environment.
using admin_actor_if = caf::typed_actor<caf::reacts_to<admin_atom, admin_job_ptr>,
                                        /// Writes the usage posted so far (actors/usage_board.hpp)
                                        /// now: at shutdown, after every token and system posted.
                                        caf::replies_to<flush_atom>::with<caf::ok_atom>,
                                        /// Periodic usage write.
                                        caf::reacts_to<tick_atom>>;

} // namespace sluice
