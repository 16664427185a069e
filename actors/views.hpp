#pragma once

#include "actors/jobs.hpp"
#include "policy/authz.hpp"
#include "policy/json_writer.hpp"
#include "store/audit_log.hpp"
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
/// The status shows `expired` once the token is past its expiry, and the
/// derived risk is shown beside the scopes.
void write_token(json_writer& w, const store::token_record& t, const token_usage* live);
void write_approval(json_writer& w, const store::approval_record& a);
void write_event(json_writer& w, const store::audit_event& e);
/// GET /me: who the caller is and what it may do.
void write_principal(json_writer& w, const principal& p);

/// A record as an audit event's before/after keeps it: its view without
/// usage, last use and (for tokens) anything secret.
std::string audit_view(const store::tenant_record& r);
std::string audit_view(const store::user_record& r);
std::string audit_view(const store::system_record& r);
std::string audit_view(const store::token_record& r);
std::string audit_view(const store::approval_record& r);
void write_message(json_writer& w, const store::stored_message& m);

/// Usage of a token or system: totals by outcome and reason, and one entry
/// per minute of the last hour ending at `now_us`, oldest first.
void write_usage(json_writer& w, const store::usage_record& u, std::int64_t now_us);

} // namespace sluice
