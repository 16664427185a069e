#include <boost/test/unit_test.hpp>

#include "store/records.hpp"

using namespace sluice;
using namespace sluice::store;

namespace {

token_record sample_token() {
  token_record r;
  r.id = 0xfedcba9876543210ULL; // above 2^63: must survive as an exact integer
  r.kind = token_kind::webhook;
  r.tenant_id = 11;
  r.system_id = 22;
  r.user_id = 0;
  r.name = "billing \"prod\"\n";
  r.description = "ünïcode and \\ backslash";
  for (std::size_t i = 0; i < r.hash.size(); ++i)
    r.hash[i] = static_cast<std::uint8_t>(i * 7 + 1);
  r.hint = "alw_…x9Qa";
  r.scopes = scope_set{scope::ingest, scope::query};
  r.query_systems = {22, 0xfedcba9876543211ULL};
  r.is_public = true;
  r.reason = "dashboards";
  r.approval_id = 77;
  r.disabled_at_us = 1'700'000'000'000'001;
  r.disable_reason = "paused";
  r.rotated_at_us = 1'700'000'000'000'002;
  for (std::size_t i = 0; i < r.previous_hash.size(); ++i)
    r.previous_hash[i] = static_cast<std::uint8_t>(i * 3 + 2);
  r.previous_valid_until_us = 1'700'000'000'000'003;
  std::string bad;
  r.allowlist = *ip_allowlist::parse({"10.0.0.0/8", "2001:db8::1"}, bad);
  std::string error;
  r.hours = *time_restriction::parse(std::string_view{"22:00-06:00"}, {"mon", "fri"}, error);
  r.emergency_until_us = 1'700'000'000'000'004;
  r.emergency_reason = "incident 7";
  r.emergency_by = "usr_0Hk3v7N2aQm";
  r.status = token_status::disabled;
  r.retention_days = -1;
  r.created_at_us = 1'700'000'000'000'000;
  r.created_by = "usr_0Hk3v7N2aQm";
  r.expires_at_us = 1'800'000'000'000'000;
  r.revoked_at_us = 0;
  r.revoke_reason = "";
  r.last_used_at_us = 1'700'000'000'123'456;
  r.last_ip = "2001:db8::1";
  r.rate_limit = rate_limit{1000, 3600};
  r.rate_limit_shadow = true;
  r.security_reason = "abuse from one client";
  r.security_changed_at_us = 1'700'000'000'555'000;
  r.usage.totals.requests = 123456789012ULL;
  r.usage.totals.messages = 42;
  r.usage.totals.bytes = 4200;
  r.usage.totals.rejected[static_cast<std::size_t>(rejection::rate_limited)] = 7;
  r.usage.totals.sampled_messages = 3;
  r.usage.minutes = {usage_minute{28'333'333, 5, 50, 3, 0, 5000, {0, 1, 0, 2, 0}},
                     usage_minute{28'333'334, 1, 1, 0, 1, 10}};
  return r;
}

/// Every described field of `a` equals `b`'s: the description is the list
/// of what the store must keep. The usage fields of tokens and systems live
/// in the usage tables (meta_store_test), not in the record.
template <class R>
void check_equal(const R& a, const R& b) {
  for_each_field<R>([&](const auto& f) {
    if (!usage_field(f.key))
      BOOST_TEST((f.of(a) == f.of(b)), f.key);
  });
}

/// Whether the stored JSON has a member named `key`.
bool has_key(const std::string& json, std::string_view key) {
  return json.find("\"" + std::string(key) + "\":") != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(records)

BOOST_AUTO_TEST_CASE(a_tenant_survives_encode_and_decode) {
  tenant_record t;
  t.id = 77;
  t.name = "Acme \"Corp\"";
  t.tier = tier::enterprise;
  t.created_at_us = 1'700'000'000'000'000;
  auto back = decode_tenant(encode(t));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == 77u);
  BOOST_TEST(back->name == t.name);
  BOOST_TEST((back->tier == tier::enterprise));
  BOOST_TEST(back->created_at_us == t.created_at_us);
  BOOST_TEST(back->overrides.empty());
}

BOOST_AUTO_TEST_CASE(tenant_overrides_survive_with_only_the_fields_set) {
  tenant_record t;
  t.id = 78;
  t.tier = tier::pro;
  t.overrides.max_retention_days = 365;
  t.overrides.steady_rate = 200;
  t.overrides.shadow = true;
  auto json = encode(t);
  BOOST_TEST(json.find("burst_rate") == std::string::npos);
  auto back = decode_tenant(json);
  BOOST_REQUIRE(back);
  BOOST_TEST(*back->overrides.max_retention_days == 365);
  BOOST_TEST(*back->overrides.steady_rate == 200u);
  BOOST_TEST(*back->overrides.shadow);
  BOOST_TEST(!back->overrides.burst_rate.has_value());
  BOOST_TEST(!back->overrides.sampling.has_value());
}

BOOST_AUTO_TEST_CASE(a_user_survives_encode_and_decode) {
  user_record u{5, 77, "Ada", "ada@example.com", user_role::viewer, false, 123};
  auto back = decode_user(encode(u));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == 5u);
  BOOST_TEST(back->tenant_id == 77u);
  BOOST_TEST(back->name == "Ada");
  BOOST_TEST(back->email == "ada@example.com");
  BOOST_TEST((back->role == user_role::viewer));
  BOOST_TEST(back->active == false);
  BOOST_TEST(back->created_at_us == 123);
}

BOOST_AUTO_TEST_CASE(a_system_survives_encode_and_decode_without_its_usage) {
  system_record s{9, 77, "billing-api production", "tab\there", 456, {}};
  s.usage.totals.messages = 99;
  s.usage.minutes = {usage_minute{28'333'333, 1, 99, 0, 0, 990}};
  auto json = encode(s);
  // Usage is the usage tables' (meta_store), not the record's.
  BOOST_TEST(!has_key(json, "usage"));
  auto back = decode_system(json);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == 9u);
  BOOST_TEST(back->tenant_id == 77u);
  BOOST_TEST(back->name == s.name);
  BOOST_TEST(back->description == s.description);
  BOOST_TEST(back->created_at_us == 456);
  BOOST_TEST((back->usage == usage_record{}));
}

BOOST_AUTO_TEST_CASE(a_usage_minute_row_keeps_its_refusals_by_reason) {
  usage_minute m{28'333'333, 2, 2, 6, 1, 20};
  m.rejected_by[static_cast<std::size_t>(rejection::rate_limited)] = 4;
  m.rejected_by[static_cast<std::size_t>(rejection::invalid)] = 2;
  auto json = encode(m);
  // Reasons by name, zeros left out.
  BOOST_TEST(json == R"([28333333,2,2,6,1,20,{"invalid":2,"rate_limited":4}])");
  auto back = decode_usage_minute(json);
  BOOST_REQUIRE(back);
  BOOST_TEST((*back == m));
  auto quiet = decode_usage_minute(encode(usage_minute{28'333'334, 1, 1, 0, 0, 10}));
  BOOST_REQUIRE(quiet);
  BOOST_TEST((*quiet == usage_minute{28'333'334, 1, 1, 0, 0, 10}));
}

BOOST_AUTO_TEST_CASE(usage_minute_rows_that_do_not_add_up_are_malformed) {
  BOOST_TEST(!decode_usage_minute(R"([28333333,0,0,2,0,0,{"invalid":3}])")); // reasons > refusals
  BOOST_TEST(!decode_usage_minute(R"([28333333,0,0,2,0,0])"));               // no reasons
  BOOST_TEST(!decode_usage_minute(R"([28333333,0,0,2,0,0,[1]])"));           // not an object
  BOOST_TEST(!decode_usage_minute(R"([28333333,"x",0,0,0,0,{}])"));          // not a count
  BOOST_TEST(!decode_usage_minute(R"({"minute":1})"));
  // A reason a later version may add is ignored; its refusal stays unrecorded.
  auto back = decode_usage_minute(R"([28333333,0,0,2,0,0,{"invalid":1,"quota":1}])");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->rejected_by[static_cast<std::size_t>(rejection::invalid)] == 1u);
  BOOST_TEST(back->rejected_unrecorded() == 1u);
}

BOOST_AUTO_TEST_CASE(a_usage_row_survives_encode_and_decode) {
  usage_row r;
  r.totals.requests = 123456789012ULL;
  r.totals.rejected[static_cast<std::size_t>(rejection::too_large)] = 3;
  r.totals.shadow_limited = 2;
  r.last_used_at_us = 1'700'000'000'123'456;
  r.last_ip = "2001:db8::1";
  auto back = decode_usage_row(encode(r));
  BOOST_REQUIRE(back);
  BOOST_TEST((back->totals == r.totals));
  BOOST_TEST(back->last_used_at_us == r.last_used_at_us);
  BOOST_TEST(back->last_ip == r.last_ip);
  // A system's row: no last use, and nothing written for it.
  auto json = encode(usage_row{r.totals, 0, {}});
  BOOST_TEST(!has_key(json, "last_ip"));
  BOOST_TEST(!has_key(json, "last_used_at_us"));
}

BOOST_AUTO_TEST_CASE(usage_minutes_with_reasons_load_from_records_of_earlier_versions) {
  // Records written before the usage tables held their usage; they are read
  // with it until it moves to the tables.
  auto back =
    decode_system(R"({"id":9,"tenant_id":77,"name":"api","usage":{"totals":{"messages":3},)"
                  R"("minutes":[[28333333,2,2,6,0,20],[28333334,1,1,0,0,10]],)"
                  R"("rejections":[[28333333,{"invalid":2,"rate_limited":4}]]}})");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->usage.totals.messages == 3u);
  BOOST_REQUIRE_EQUAL(back->usage.minutes.size(), 2u);
  auto& m = back->usage.minutes[0];
  BOOST_TEST(m.rejected_by[static_cast<std::size_t>(rejection::invalid)] == 2u);
  BOOST_TEST(m.rejected_by[static_cast<std::size_t>(rejection::rate_limited)] == 4u);
  BOOST_TEST(back->usage.minutes[1].bytes == 10u);
}

BOOST_AUTO_TEST_CASE(usage_minutes_stored_without_reasons_still_load) {
  // A record written before refusals were counted per reason and minute:
  // the refusals stay in each minute's total, reason unrecorded.
  auto back = decode_system(
    R"({"id":9,"tenant_id":77,"name":"api","usage":{"totals":{"rejected":{"invalid":3}},)"
    R"("minutes":[[28333333,1,1,3,0,10],[28333334,0,0,0,1,0]]}})");
  BOOST_REQUIRE(back);
  BOOST_REQUIRE_EQUAL(back->usage.minutes.size(), 2u);
  auto& m = back->usage.minutes[0];
  BOOST_TEST(m.rejected == 3u);
  BOOST_TEST(m.rejected_unrecorded() == 3u);
  for (auto n : m.rejected_by)
    BOOST_TEST(n == 0u);
  BOOST_TEST(back->usage.minutes[1].sampled == 1u);
}

BOOST_AUTO_TEST_CASE(usage_reasons_that_do_not_fit_their_minute_are_malformed) {
  auto with = [](std::string rejections) {
    return decode_system(R"({"id":9,"usage":{"minutes":[[28333333,0,0,2,0,0]],"rejections":)"
                         + rejections + "}}");
  };
  BOOST_TEST(!with(R"([[28333333,{"invalid":3}]])"));   // more than the minute's refusals
  BOOST_TEST(!with(R"([[28333399,{"invalid":1}]])"));   // a minute not stored
  BOOST_TEST(!with(R"([[28333333,[1]]])"));             // not an object
  BOOST_TEST(!with(R"([[28333333,{"invalid":"x"}]])")); // not a count
  // A reason a later version may add is ignored; its refusal stays unrecorded.
  auto back = with(R"([[28333333,{"invalid":1,"quota":1}]])");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->usage.minutes[0].rejected_by[static_cast<std::size_t>(rejection::invalid)]
             == 1u);
  BOOST_TEST(back->usage.minutes[0].rejected_unrecorded() == 1u);
  // The "rejections" key may come before "minutes".
  auto early = decode_system(
    R"({"id":9,"usage":{"rejections":[[28333333,{"invalid":2}]],"minutes":[[28333333,0,0,2,0,0]]}})");
  BOOST_REQUIRE(early);
  BOOST_TEST(early->usage.minutes[0].rejected_unrecorded() == 0u);
}

BOOST_AUTO_TEST_CASE(a_token_survives_encode_and_decode_with_its_hash_as_hex) {
  auto t = sample_token();
  auto json = encode(t);
  // The hash is stored as 64 lowercase hex characters.
  BOOST_TEST(json.find("\"hash\":\"01080f161d") != std::string::npos);
  // Its usage and last use are the usage tables' (meta_store).
  for (auto key : {"usage", "last_used_at_us", "last_ip"})
    BOOST_TEST(!has_key(json, key), key);
  auto back = decode_token(json);
  BOOST_REQUIRE(back);
  check_equal(*back, t);
}

BOOST_AUTO_TEST_CASE(a_fresh_token_is_stored_compactly_and_comes_back_the_same) {
  // A million tokens is a normal deployment: defaults are not written.
  token_record t;
  t.id = 42;
  t.tenant_id = 1;
  t.system_id = 2;
  t.name = "app";
  t.hint = "al_…abcd";
  t.scopes = scope_set{scope::ingest};
  t.retention_days = 90;
  t.created_at_us = 1'700'000'000'000'000;
  t.created_by = "usr_0Hk3v7N2aQm";
  auto json = encode(t);
  for (auto absent : {"usage", "revoke_reason", "expires_at_us", "last_ip", "rate_limit", "user_id",
                      "description"})
    BOOST_TEST(json.find(absent) == std::string::npos, absent);
  BOOST_TEST(json.size() < 320u);
  auto back = decode_token(json);
  BOOST_REQUIRE(back);
  check_equal(*back, t);
}

BOOST_AUTO_TEST_CASE(an_approval_survives_encode_and_decode) {
  approval_record a;
  a.id = 5;
  a.tenant_id = 6;
  a.token_id = 7;
  a.status = approval_status::rejected;
  a.risk = risk::medium;
  a.scopes = scope_set{scope::query, scope::audit_read};
  a.reason = "weekly export";
  a.requested_by_user = 8;
  a.requested_by = "usr_0000000000A";
  a.requested_at_us = 1'700'000'000'000'000;
  a.decided_by = "usr_0000000000B";
  a.decided_at_us = 1'700'000'000'000'001;
  a.decision_reason = "too broad";
  auto back = decode_approval(encode(a));
  BOOST_REQUIRE(back);
  check_equal(*back, a);
}

BOOST_AUTO_TEST_CASE(fields_added_by_later_versions_are_ignored) {
  auto back = decode_tenant(
    R"({"id":1,"future":{"nested":[1,2,{"x":null}]},"name":"n","tier":"pro","z":true})");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == 1u);
  BOOST_TEST(back->name == "n");
  BOOST_TEST((back->tier == tier::pro));
}

BOOST_AUTO_TEST_CASE(missing_fields_take_their_defaults) {
  auto back = decode_token(R"({"id":3})");
  BOOST_REQUIRE(back);
  BOOST_TEST(back->id == 3u);
  BOOST_TEST((back->kind == token_kind::ingest));
  BOOST_TEST((back->status == token_status::active));
  BOOST_TEST(back->retention_days == 7);
  BOOST_TEST(back->scopes.empty());
  auto user = decode_user("{}");
  BOOST_REQUIRE(user);
  BOOST_TEST(user->active == true);
  BOOST_TEST((user->role == user_role::member));
}

BOOST_AUTO_TEST_CASE(garbage_decodes_to_nothing) {
  BOOST_TEST(!decode_tenant(""));
  BOOST_TEST(!decode_tenant("not json"));
  BOOST_TEST(!decode_tenant("[1,2]"));
  BOOST_TEST(!decode_tenant(R"({"id":1)"));
  BOOST_TEST(!decode_user(R"({"role":"emperor"})"));
  BOOST_TEST(!decode_system(R"({"id":"nine"})"));
  BOOST_TEST(!decode_token(R"({"hash":"abc"})"));
  BOOST_TEST(!decode_token(R"({"status":"maybe"})"));
  BOOST_TEST(!decode_token(R"({"scopes":["ingest",3]})"));
  BOOST_TEST(!decode_token(R"({"retention_days":99999999999})"));
}

BOOST_AUTO_TEST_CASE(user_roles_have_stable_names) {
  for (auto r : {user_role::superuser, user_role::admin, user_role::member, user_role::viewer}) {
    auto back = parse_user_role(to_string(r));
    BOOST_REQUIRE(back);
    BOOST_TEST((*back == r));
  }
  BOOST_TEST(to_string(user_role::superuser) == "superuser");
  BOOST_TEST(!parse_user_role("root"));
}

BOOST_AUTO_TEST_SUITE_END()
