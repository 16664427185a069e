#pragma once

#include "actors/jobs.hpp"
#include "policy/json_writer.hpp"
#include "store/message_store.hpp"
#include "store/records.hpp"

namespace sluice {

// The public JSON shapes of the admin API (SPEC section 4). A token's view
// never holds its secret or its hash.

void write_tenant(json_writer& w, const store::tenant_record& t);
void write_system(json_writer& w, const store::system_record& s);
/// `live` (when the token's actor is running) overrides the stored usage.
void write_token(json_writer& w, const store::token_record& t, const token_usage* live);
void write_message(json_writer& w, const store::stored_message& m);

} // namespace sluice
