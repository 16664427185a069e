#pragma once

#include "actors/jobs.hpp"
#include "policy/json_writer.hpp"
#include "store/message_store.hpp"
#include "store/records.hpp"

namespace sluice {

// The public JSON shapes of the admin API (docs/api.md), written from each
// record's description (store/records.hpp). A token's view never holds its
// secret or its hash.

/// A tenant with its overrides and the limits in force (`caps`: its tier's
/// row with the overrides applied).
void write_tenant(json_writer& w, const store::tenant_record& t, const tier_caps& caps);
void write_system(json_writer& w, const store::system_record& s);
void write_user(json_writer& w, const store::user_record& u);
/// `live` (when the token's actor is running) overrides the stored usage.
void write_token(json_writer& w, const store::token_record& t, const token_usage* live);
void write_message(json_writer& w, const store::stored_message& m);

/// Usage of a token or system: totals by outcome and reason, and one entry
/// per minute of the last hour ending at `now_us`, oldest first.
void write_usage(json_writer& w, const store::usage_record& u, std::int64_t now_us);

} // namespace sluice
