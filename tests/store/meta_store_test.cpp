#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "store/lmdb.hpp"
#include "store/meta_store.hpp"
#include "temp_dir.hpp"

using namespace sluice;
using namespace sluice::store;
using sluice::store::test::temp_dir;

namespace {

meta_options options(const std::filesystem::path& dir) {
  meta_options o;
  o.dir = dir / "meta";
  o.map_size = 1 << 20;
  return o;
}

token_hash hash_of(std::uint8_t seed) {
  token_hash h{};
  for (std::size_t i = 0; i < h.size(); ++i)
    h[i] = static_cast<std::uint8_t>(seed + i);
  return h;
}

token_record ingest_token(std::uint64_t id, std::uint64_t system_id, std::uint8_t seed,
                          token_status status = token_status::active) {
  token_record t;
  t.id = id;
  t.kind = token_kind::ingest;
  t.tenant_id = 1;
  t.system_id = system_id;
  t.name = "token " + std::to_string(id);
  t.hash = hash_of(seed);
  t.status = status;
  return t;
}

token_record personal_token(std::uint64_t id, std::uint64_t user_id, std::uint8_t seed) {
  token_record t;
  t.id = id;
  t.kind = token_kind::user;
  t.tenant_id = 1;
  t.user_id = user_id;
  t.hash = hash_of(seed);
  return t;
}

token_record service_token(std::uint64_t id, std::uint64_t tenant_id, std::uint8_t seed) {
  token_record t;
  t.id = id;
  t.kind = token_kind::service;
  t.tenant_id = tenant_id;
  t.hash = hash_of(seed);
  return t;
}

approval_record approval_of(std::uint64_t id, std::uint64_t tenant_id, approval_status status) {
  approval_record a;
  a.id = id;
  a.tenant_id = tenant_id;
  a.token_id = id + 1000;
  a.status = status;
  a.requested_by = "usr_x";
  return a;
}

audit_event event(std::string action, std::uint64_t tenant_id = 0, std::uint64_t token_id = 0) {
  audit_event e;
  e.at_us = 1'000'000;
  e.actor_kind = "sluiced";
  e.action = std::move(action);
  e.tenant_id = tenant_id;
  e.token_id = token_id;
  return e;
}

template <class R>
std::vector<std::uint64_t> ids(const std::vector<R>& records) {
  std::vector<std::uint64_t> out;
  for (const auto& r : records)
    out.push_back(r.id);
  return out;
}

std::vector<std::uint64_t> seqs(const audit_page& p) {
  std::vector<std::uint64_t> out;
  for (const auto& e : p.items)
    out.push_back(e.seq);
  return out;
}

using id_list = std::vector<std::uint64_t>;

/// Writes one record in its own transaction.
template <class R>
void put(meta_store& s, const R& r) {
  auto ec = s.write([&](meta_writer& w) { w.put(r); });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
}

} // namespace

BOOST_AUTO_TEST_SUITE(meta)

BOOST_FIXTURE_TEST_CASE(tenants_systems_and_tokens_read_back_as_written, temp_dir) {
  meta_store s(options(path));
  put(s, tenant_record{1, "Acme", tier::pro, 100, {}});
  put(s, system_record{2, 1, "billing", "prod", 200, {}});
  put(s, ingest_token(3, 2, 9));

  auto t = s.tenant(1);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->name == "Acme");
  BOOST_TEST((t->tier == tier::pro));
  auto sys = s.system(2);
  BOOST_REQUIRE(sys);
  BOOST_TEST(sys->tenant_id == 1u);
  BOOST_TEST(sys->description == "prod");
  auto tok = s.token(3);
  BOOST_REQUIRE(tok);
  BOOST_TEST(tok->system_id == 2u);
  BOOST_TEST((tok->hash == hash_of(9)));

  BOOST_TEST(!s.tenant(2)); // id of a system, not a tenant
  BOOST_TEST(!s.token(4));
  BOOST_TEST(!s.user(1));
}

BOOST_FIXTURE_TEST_CASE(a_token_is_found_by_the_hash_of_its_secret_and_only_by_it, temp_dir) {
  meta_store s(options(path));
  put(s, ingest_token(3, 2, 9));
  auto found = s.token_by_hash(hash_of(9));
  BOOST_REQUIRE(found);
  BOOST_TEST(found->id == 3u);
  BOOST_TEST(!s.token_by_hash(hash_of(10)));
  auto almost = hash_of(9);
  almost[31] ^= 1;
  BOOST_TEST(!s.token_by_hash(almost));
}

BOOST_FIXTURE_TEST_CASE(a_rotated_token_is_no_longer_found_by_its_old_hash, temp_dir) {
  meta_store s(options(path));
  auto t = ingest_token(3, 2, 9);
  put(s, t);
  t.hash = hash_of(50);
  put(s, t);
  BOOST_TEST(!s.token_by_hash(hash_of(9)));
  auto found = s.token_by_hash(hash_of(50));
  BOOST_REQUIRE(found);
  BOOST_TEST(found->id == 3u);
}

BOOST_FIXTURE_TEST_CASE(revoked_tokens_do_not_count_towards_the_system_cap, temp_dir) {
  meta_store s(options(path));
  put(s, ingest_token(10, 2, 1));
  put(s, ingest_token(11, 2, 2, token_status::disabled));
  put(s, ingest_token(12, 2, 3, token_status::revoked));
  put(s, ingest_token(13, 3, 4)); // another system
  BOOST_TEST(s.live_tokens_of_system(2) == 2u);
  BOOST_TEST(s.live_tokens_of_system(3) == 1u);
  BOOST_TEST(s.live_tokens_of_system(4) == 0u);

  // Revoking an active token (same id, new status) updates the count.
  put(s, ingest_token(10, 2, 1, token_status::revoked));
  BOOST_TEST(s.live_tokens_of_system(2) == 1u);
  BOOST_TEST(s.tokens_of_system(2, 0, 10).size() == 3u); // lists still show all
}

BOOST_FIXTURE_TEST_CASE(the_live_count_follows_rewrites_and_moves_without_double_counting,
                        temp_dir) {
  meta_store s(options(path));
  auto t = ingest_token(20, 5, 8);
  put(s, t);
  t.name = "renamed";
  put(s, t); // a rewrite of a live token: still one
  BOOST_TEST(s.live_tokens_of_system(5) == 1u);
  t.system_id = 6;
  put(s, t); // moved to another system
  BOOST_TEST(s.live_tokens_of_system(5) == 0u);
  BOOST_TEST(s.live_tokens_of_system(6) == 1u);
  t.status = token_status::revoked;
  put(s, t);
  put(s, t); // revoking twice takes one off once
  BOOST_TEST(s.live_tokens_of_system(6) == 0u);
}

BOOST_FIXTURE_TEST_CASE(lists_page_in_creation_order_after_a_cursor, temp_dir) {
  meta_store s(options(path));
  // Written out of order in one transaction; ids are creation times.
  auto ec = s.write([](meta_writer& w) {
    for (std::uint64_t id : {50, 10, 40, 20, 30})
      w.put(tenant_record{id, "t" + std::to_string(id), tier::free, 0, {}});
  });
  BOOST_REQUIRE(!ec);
  auto page1 = s.tenants(0, 2);
  BOOST_REQUIRE_EQUAL(page1.size(), 2u);
  BOOST_TEST(page1[0].id == 10u);
  BOOST_TEST(page1[1].id == 20u);
  auto page2 = s.tenants(page1.back().id, 2);
  BOOST_REQUIRE_EQUAL(page2.size(), 2u);
  BOOST_TEST(page2[0].id == 30u);
  BOOST_TEST(page2[1].id == 40u);
  auto page3 = s.tenants(page2.back().id, 2);
  BOOST_REQUIRE_EQUAL(page3.size(), 1u);
  BOOST_TEST(page3[0].id == 50u);
  BOOST_TEST(s.tenants(50, 2).empty());

  for (std::uint64_t id : {7, 5, 6})
    put(s, ingest_token(id, 2, static_cast<std::uint8_t>(id)));
  put(s, ingest_token(1, 3, 1)); // other system, lower id
  auto toks = s.tokens_of_system(2, 5, 10);
  BOOST_REQUIRE_EQUAL(toks.size(), 2u);
  BOOST_TEST(toks[0].id == 6u);
  BOOST_TEST(toks[1].id == 7u);
}

BOOST_FIXTURE_TEST_CASE(systems_are_listed_per_tenant, temp_dir) {
  meta_store s(options(path));
  put(s, system_record{5, 1, "a", "", 0, {}});
  put(s, system_record{6, 2, "b", "", 0, {}});
  put(s, system_record{7, 1, "c", "", 0, {}});
  auto of1 = s.systems_of(1, 0, 10);
  BOOST_REQUIRE_EQUAL(of1.size(), 2u);
  BOOST_TEST(of1[0].id == 5u);
  BOOST_TEST(of1[1].id == 7u);
  BOOST_TEST(s.systems_of(1, 5, 10).size() == 1u);
  BOOST_TEST(s.systems_of(2, 0, 10).size() == 1u);
  BOOST_TEST(s.systems_of(3, 0, 10).empty());
}

BOOST_FIXTURE_TEST_CASE(the_store_is_empty_until_the_first_user_is_written, temp_dir) {
  meta_store s(options(path));
  BOOST_TEST(s.empty());
  put(s, tenant_record{1, "Acme", tier::free, 0, {}});
  BOOST_TEST(s.empty()); // tenants alone are not a first user
  put(s, user_record{2, 0, "root", "", user_role::superuser, true, 0});
  BOOST_TEST(!s.empty());
  auto u = s.user(2);
  BOOST_REQUIRE(u);
  BOOST_TEST((u->role == user_role::superuser));
}

BOOST_FIXTURE_TEST_CASE(every_kind_of_record_makes_its_id_taken, temp_dir) {
  meta_store s(options(path));
  put(s, tenant_record{1, "", tier::free, 0, {}});
  put(s, user_record{2, 1, "", "", user_role::admin, true, 0});
  put(s, system_record{3, 1, "", "", 0, {}});
  put(s, ingest_token(4, 3, 4));
  for (std::uint64_t id : {1, 2, 3, 4})
    BOOST_TEST(s.id_taken(id));
  BOOST_TEST(!s.id_taken(5));
}

BOOST_FIXTURE_TEST_CASE(a_failed_write_stores_none_of_its_records, temp_dir) {
  meta_store s(options(path));
  BOOST_CHECK_THROW(s.write([](meta_writer& w) {
    w.put(tenant_record{1, "a", tier::free, 0, {}});
    throw std::runtime_error("caller gave up");
  }),
                    std::runtime_error);
  BOOST_TEST(!s.tenant(1));
}

BOOST_FIXTURE_TEST_CASE(records_survive_closing_and_reopening_the_store, temp_dir) {
  {
    meta_store s(options(path));
    put(s, tenant_record{1, "Acme", tier::enterprise, 0, {}});
    put(s, user_record{2, 1, "Ada", "a@x", user_role::admin, true, 0});
    put(s, ingest_token(3, 4, 7));
  }
  meta_store s(options(path));
  BOOST_TEST(!s.empty());
  BOOST_REQUIRE(s.tenant(1));
  BOOST_TEST((s.tenant(1)->tier == tier::enterprise));
  auto t = s.token_by_hash(hash_of(7));
  BOOST_REQUIRE(t);
  BOOST_TEST(t->id == 3u);
  BOOST_TEST(s.live_tokens_of_system(4) == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_full_map_grows_instead_of_failing_the_write, temp_dir) {
  meta_options o = options(path);
  o.map_size = 64 << 10; // 64 KiB: a few records fill it
  meta_store s(o);
  const auto before = s.map_size();
  std::string big(2000, 'x');
  int calls = 0;
  auto ec = s.write([&](meta_writer& w) {
    ++calls;
    for (std::uint64_t id = 1; id <= 500; ++id)
      w.put(system_record{id, 1, "s", big, 0, {}});
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(calls > 1); // redone after growth
  BOOST_TEST(s.map_size() > before);
  BOOST_TEST(s.systems_of(1, 0, 1000).size() == 500u);
}

BOOST_FIXTURE_TEST_CASE(a_write_beyond_the_maximum_map_size_fails_cleanly, temp_dir) {
  meta_options o = options(path);
  o.map_size = 64 << 10;
  o.max_map_size = 256 << 10;
  meta_store s(o);
  std::string big(4000, 'x');
  auto ec = s.write([&](meta_writer& w) {
    for (std::uint64_t id = 1; id <= 500; ++id)
      w.put(system_record{id, 1, "s", big, 0, {}});
  });
  BOOST_TEST(ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(!s.system(1));
  // The store still works for writes that fit.
  put(s, system_record{1, 1, "s", "small", 0, {}});
  BOOST_TEST(s.system(1).has_value());
}

// ---------------------------------------------------------------------------
// rotation grace

BOOST_FIXTURE_TEST_CASE(a_rotated_token_is_found_by_both_secrets_until_its_grace_is_cleared,
                        temp_dir) {
  meta_store s(options(path));
  auto t = ingest_token(3, 2, 9);
  put(s, t);
  // Rotation: the old hash becomes the previous one, with a grace.
  t.previous_hash = t.hash;
  t.previous_valid_until_us = 5'000'000;
  t.hash = hash_of(50);
  put(s, t);
  auto by_new = s.token_by_hash(hash_of(50));
  auto by_old = s.token_by_hash(hash_of(9));
  BOOST_REQUIRE(by_new);
  BOOST_REQUIRE(by_old);
  BOOST_TEST(by_new->id == 3u);
  BOOST_TEST(by_old->id == 3u);
  BOOST_TEST(by_old->previous_valid_until_us == 5'000'000);

  // A later write that ends the grace takes the old hash out of the index.
  t.previous_valid_until_us = 0;
  put(s, t);
  BOOST_TEST(!s.token_by_hash(hash_of(9)));
  BOOST_REQUIRE(s.token_by_hash(hash_of(50)));
  // The record keeps previous_hash, but without a grace it finds nothing.
  BOOST_TEST((s.token(3)->previous_hash == hash_of(9)));
}

BOOST_FIXTURE_TEST_CASE(an_unrelated_rewrite_during_the_grace_keeps_both_secrets, temp_dir) {
  meta_store s(options(path));
  auto t = ingest_token(3, 2, 9);
  t.previous_hash = hash_of(8);
  t.previous_valid_until_us = 5'000'000;
  put(s, t);
  t.name = "renamed";
  put(s, t);
  BOOST_TEST(s.token_by_hash(hash_of(9)).has_value());
  BOOST_TEST(s.token_by_hash(hash_of(8)).has_value());
}

BOOST_FIXTURE_TEST_CASE(rotating_twice_leaves_only_the_latest_previous_secret, temp_dir) {
  meta_store s(options(path));
  auto t = ingest_token(3, 2, 10); // secret A
  put(s, t);
  t.previous_hash = t.hash; // A -> B
  t.previous_valid_until_us = 5'000'000;
  t.hash = hash_of(20);
  put(s, t);
  t.previous_hash = t.hash; // B -> C, within A's grace
  t.previous_valid_until_us = 6'000'000;
  t.hash = hash_of(30);
  put(s, t);
  BOOST_TEST(!s.token_by_hash(hash_of(10)));
  BOOST_REQUIRE(s.token_by_hash(hash_of(20)));
  BOOST_REQUIRE(s.token_by_hash(hash_of(30)));
  BOOST_TEST(s.token_by_hash(hash_of(20))->id == 3u);
}

// ---------------------------------------------------------------------------
// users, personal tokens, service tokens, approvals

BOOST_FIXTURE_TEST_CASE(users_are_listed_per_tenant_in_creation_order_with_paging, temp_dir) {
  meta_store s(options(path));
  auto ec = s.write([](meta_writer& w) {
    for (std::uint64_t id : {14, 11, 13, 12, 15})
      w.put(user_record{id, id % 2 == 0 ? 2u : 1u, "u", "", user_role::member, true, 0});
    w.put(user_record{1, 0, "root", "", user_role::superuser, true, 0});
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(ids(s.users_of(1, 0, 10)) == (id_list{11, 13, 15}), boost::test_tools::per_element());
  BOOST_TEST(ids(s.users_of(1, 0, 2)) == (id_list{11, 13}), boost::test_tools::per_element());
  BOOST_TEST(ids(s.users_of(1, 13, 2)) == (id_list{15}), boost::test_tools::per_element());
  BOOST_TEST(s.users_of(1, 15, 2).empty());
  BOOST_TEST(ids(s.users_of(2, 0, 10)) == (id_list{12, 14}), boost::test_tools::per_element());
  BOOST_TEST(s.users_of(3, 0, 10).empty());
  BOOST_TEST(s.users_of(1, 0, 0).empty());
  // Superusers (tenant 0) are listed under 0 and under no tenant.
  BOOST_TEST(ids(s.users_of(0, 0, 10)) == (id_list{1}), boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(a_user_moved_to_another_tenant_leaves_the_old_list, temp_dir) {
  meta_store s(options(path));
  put(s, user_record{11, 1, "a", "", user_role::member, true, 0});
  put(s, user_record{12, 1, "b", "", user_role::member, true, 0});
  put(s, user_record{13, 2, "c", "", user_role::member, true, 0});
  put(s, user_record{12, 2, "b", "", user_role::admin, true, 0});
  BOOST_TEST(ids(s.users_of(1, 0, 10)) == (id_list{11}), boost::test_tools::per_element());
  // Listed by id (creation), not by when the user arrived.
  BOOST_TEST(ids(s.users_of(2, 0, 10)) == (id_list{12, 13}), boost::test_tools::per_element());
  BOOST_TEST((s.users_of(2, 0, 10)[0].role == user_role::admin));
  // A rewrite in place keeps one entry.
  put(s, user_record{12, 2, "b2", "", user_role::admin, true, 0});
  BOOST_TEST(s.users_of(2, 0, 10).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(personal_and_service_tokens_are_listed_per_owner_with_paging, temp_dir) {
  meta_store s(options(path));
  auto ec = s.write([](meta_writer& w) {
    w.put(personal_token(23, 7, 1));
    w.put(service_token(22, 1, 2));
    w.put(personal_token(21, 7, 3));
    w.put(personal_token(25, 8, 4));
    w.put(service_token(24, 1, 5));
    w.put(service_token(26, 2, 6));
    w.put(ingest_token(27, 9, 7)); // tenant 1, but neither personal nor service
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(ids(s.tokens_of_user(7, 0, 10)) == (id_list{21, 23}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.tokens_of_user(7, 0, 1)) == (id_list{21}), boost::test_tools::per_element());
  BOOST_TEST(ids(s.tokens_of_user(7, 21, 1)) == (id_list{23}), boost::test_tools::per_element());
  BOOST_TEST(s.tokens_of_user(7, 23, 1).empty());
  BOOST_TEST(ids(s.tokens_of_user(8, 0, 10)) == (id_list{25}), boost::test_tools::per_element());
  BOOST_TEST(s.tokens_of_user(9, 0, 10).empty());

  BOOST_TEST(ids(s.service_tokens_of(1, 0, 10)) == (id_list{22, 24}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.service_tokens_of(1, 22, 10)) == (id_list{24}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.service_tokens_of(2, 0, 10)) == (id_list{26}), boost::test_tools::per_element());
  BOOST_TEST(s.service_tokens_of(3, 0, 10).empty());

  // Revoked tokens stay listed; lists show every status.
  auto revoked = personal_token(21, 7, 3);
  revoked.status = token_status::revoked;
  put(s, revoked);
  BOOST_TEST(s.tokens_of_user(7, 0, 10).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(approvals_filter_by_tenant_and_status_and_page, temp_dir) {
  meta_store s(options(path));
  auto ec = s.write([](meta_writer& w) {
    w.put(approval_of(35, 1, approval_status::approved));
    w.put(approval_of(31, 1, approval_status::pending));
    w.put(approval_of(32, 2, approval_status::pending));
    w.put(approval_of(34, 1, approval_status::pending));
    w.put(approval_of(33, 2, approval_status::rejected));
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  auto a = s.approval(33);
  BOOST_REQUIRE(a);
  BOOST_TEST(a->tenant_id == 2u);
  BOOST_TEST((a->status == approval_status::rejected));
  BOOST_TEST(a->token_id == 1033u);
  BOOST_TEST(!s.approval(36));

  BOOST_TEST(ids(s.approvals(0, std::nullopt, 0, 10)) == (id_list{31, 32, 33, 34, 35}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.approvals(1, std::nullopt, 0, 10)) == (id_list{31, 34, 35}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.approvals(0, approval_status::pending, 0, 10)) == (id_list{31, 32, 34}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.approvals(1, approval_status::pending, 0, 10)) == (id_list{31, 34}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.approvals(2, approval_status::approved, 0, 10)).empty());
  // Paging counts matches only, and resumes after the last one returned.
  BOOST_TEST(ids(s.approvals(0, approval_status::pending, 0, 2)) == (id_list{31, 32}),
             boost::test_tools::per_element());
  BOOST_TEST(ids(s.approvals(0, approval_status::pending, 32, 2)) == (id_list{34}),
             boost::test_tools::per_element());
  BOOST_TEST(s.approvals(0, approval_status::pending, 34, 2).empty());

  // A decision rewrites the record in place.
  auto decided = approval_of(31, 1, approval_status::approved);
  decided.decided_by = "usr_y";
  put(s, decided);
  BOOST_TEST(ids(s.approvals(1, approval_status::pending, 0, 10)) == (id_list{34}),
             boost::test_tools::per_element());
  BOOST_TEST(s.approval(31)->decided_by == "usr_y");

  BOOST_TEST(s.id_taken(33));
  BOOST_TEST(!s.id_taken(36));
}

// ---------------------------------------------------------------------------
// audit log

BOOST_FIXTURE_TEST_CASE(an_audit_event_is_stored_with_its_change_and_never_without_it, temp_dir) {
  meta_store s(options(path));
  // Committed together.
  auto e1 = event("tenant.create", 1);
  auto ec = s.write([&](meta_writer& w) {
    w.put(tenant_record{1, "Acme", tier::free, 0, {}});
    w.append(e1);
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(e1.seq == 1u);
  BOOST_TEST(s.tenant(1).has_value());
  auto stored = s.audit_event_at(1);
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->action == "tenant.create");
  BOOST_TEST((stored->hash == e1.hash));

  // An event the log refuses (its `before` is not JSON) fails the write: the
  // change it was to record is not stored either.
  auto bad = event("tenant.update", 2);
  bad.before_json = "{not json";
  ec = s.write([&](meta_writer& w) {
    w.put(tenant_record{2, "Beta", tier::free, 0, {}});
    w.append(bad);
  });
  BOOST_TEST(ec == std::make_error_code(std::errc::invalid_argument));
  BOOST_TEST(!s.tenant(2));
  BOOST_TEST(!s.audit_event_at(2));

  // A fill that gives up after appending leaves neither.
  auto e3 = event("tenant.create", 3);
  BOOST_CHECK_THROW(s.write([&](meta_writer& w) {
    w.append(e3);
    w.put(tenant_record{3, "Gamma", tier::free, 0, {}});
    throw std::runtime_error("caller gave up");
  }),
                    std::runtime_error);
  BOOST_TEST(!s.tenant(3));
  BOOST_TEST(!s.audit_event_at(2));

  auto v = s.verify_audit();
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == 1u);
  BOOST_TEST((v.head == e1.hash));
}

BOOST_FIXTURE_TEST_CASE(a_write_that_cannot_fit_the_maximum_map_stores_no_event, temp_dir) {
  meta_options o = options(path);
  o.map_size = 64 << 10;
  o.max_map_size = 256 << 10;
  meta_store s(o);
  std::string big(4000, 'x');
  auto ec = s.write([&](meta_writer& w) {
    auto e = event("system.create", 1);
    w.append(e);
    for (std::uint64_t id = 1; id <= 500; ++id)
      w.put(system_record{id, 1, "s", big, 0, {}});
  });
  BOOST_TEST(ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(!s.audit_event_at(1));
  BOOST_TEST(s.verify_audit().checked == 0u);
}

BOOST_FIXTURE_TEST_CASE(events_appended_across_writes_chain_and_verify_whole, temp_dir) {
  std::vector<audit_event> written;
  {
    meta_store s(options(path));
    for (std::uint64_t i = 1; i <= 3; ++i) {
      auto e = event("token.create", 1, 100 + i);
      auto ec = s.write([&](meta_writer& w) {
        w.put(ingest_token(100 + i, 2, static_cast<std::uint8_t>(i)));
        w.append(e);
      });
      BOOST_REQUIRE_MESSAGE(!ec, ec.message());
      written.push_back(e);
    }
    // Two events in one write chain to each other as well.
    auto a = event("token.revoke", 1, 101);
    auto b = event("token.revoke", 1, 102);
    auto ec = s.write([&](meta_writer& w) {
      w.append(a);
      w.append(b);
    });
    BOOST_REQUIRE_MESSAGE(!ec, ec.message());
    written.push_back(a);
    written.push_back(b);
  }
  meta_store s(options(path)); // and across a reopen
  auto c = event("token.create", 1, 106);
  BOOST_REQUIRE(!s.write([&](meta_writer& w) { w.append(c); }));
  written.push_back(c);

  for (std::size_t i = 0; i < written.size(); ++i) {
    BOOST_TEST(written[i].seq == i + 1);
    if (i > 0)
      BOOST_TEST((written[i].prev_hash == written[i - 1].hash));
    auto stored = s.audit_event_at(i + 1);
    BOOST_REQUIRE(stored);
    BOOST_TEST((stored->hash == written[i].hash));
  }
  BOOST_TEST((written[0].prev_hash == audit_digest{}));
  auto v = s.verify_audit();
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == written.size());
  BOOST_TEST((v.head == written.back().hash));
  BOOST_TEST(!s.audit_event_at(written.size() + 1));
}

BOOST_FIXTURE_TEST_CASE(the_audit_log_filters_by_tenant_and_token_and_pages, temp_dir) {
  meta_store s(options(path));
  auto ec = s.write([](meta_writer& w) {
    auto e1 = event("token.create", 1, 50); // seq 1
    auto e2 = event("token.create", 2, 60); // seq 2
    auto e3 = event("token.revoke", 1, 50); // seq 3
    auto e4 = event("tenant.update", 1);    // seq 4
    auto e5 = event("token.create", 1, 51); // seq 5
    for (auto* e : {&e1, &e2, &e3, &e4, &e5})
      w.append(*e);
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());

  audit_query q;
  BOOST_TEST(seqs(s.audit(q)) == (id_list{1, 2, 3, 4, 5}), boost::test_tools::per_element());
  q.tenant_id = 1;
  BOOST_TEST(seqs(s.audit(q)) == (id_list{1, 3, 4, 5}), boost::test_tools::per_element());
  q.tenant_id = 0;
  q.token_id = 50;
  BOOST_TEST(seqs(s.audit(q)) == (id_list{1, 3}), boost::test_tools::per_element());
  q.token_id = 60;
  BOOST_TEST(seqs(s.audit(q)) == (id_list{2}), boost::test_tools::per_element());

  // Pages of two within tenant 1, following next_cursor.
  audit_query p;
  p.tenant_id = 1;
  p.limit = 2;
  auto page1 = s.audit(p);
  BOOST_TEST(seqs(page1) == (id_list{1, 3}), boost::test_tools::per_element());
  BOOST_REQUIRE(page1.next_cursor);
  BOOST_TEST(*page1.next_cursor == 3u);
  p.after_seq = *page1.next_cursor;
  auto page2 = s.audit(p);
  BOOST_TEST(seqs(page2) == (id_list{4, 5}), boost::test_tools::per_element());
  BOOST_TEST(!page2.next_cursor); // nothing after it
}

BOOST_FIXTURE_TEST_CASE(map_growth_redoes_audit_appends_without_duplicating_them, temp_dir) {
  meta_options o = options(path);
  o.map_size = 64 << 10; // 64 KiB: a few records fill it
  meta_store s(o);
  const auto before = s.map_size();
  const std::string big(1000, 'x');
  // Built once, outside the fill: a redone fill appends the same objects again
  // and each must come out with the seq of the only attempt that counted.
  std::vector<audit_event> events;
  for (std::uint64_t id = 1; id <= 200; ++id) {
    auto e = event("system.create", 1);
    e.system_id = id;
    e.reason = big;
    events.push_back(std::move(e));
  }
  int calls = 0;
  auto ec = s.write([&](meta_writer& w) {
    ++calls;
    for (std::uint64_t id = 1; id <= 200; ++id) {
      w.put(system_record{id, 1, "s", big, 0, {}});
      w.append(events[id - 1]);
    }
  });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
  BOOST_TEST(calls > 1); // redone after growth
  BOOST_TEST(s.map_size() > before);
  BOOST_TEST(s.systems_of(1, 0, 1000).size() == 200u);

  auto v = s.verify_audit();
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == 200u);
  BOOST_TEST(!s.audit_event_at(201));
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].seq == i + 1);
    auto stored = s.audit_event_at(i + 1);
    BOOST_REQUIRE(stored);
    BOOST_TEST(stored->system_id == i + 1);
    BOOST_TEST((stored->hash == events[i].hash));
  }

  // The next write continues the chain from where the grown one ended.
  auto next = event("system.update", 1);
  BOOST_REQUIRE(!s.write([&](meta_writer& w) { w.append(next); }));
  BOOST_TEST(next.seq == 201u);
  BOOST_TEST((next.prev_hash == events.back().hash));
  BOOST_TEST(s.verify_audit().whole);
}

// -- usage -------------------------------------------------------------------

namespace {

constexpr std::int64_t minute0 = 28'333'333;

usage_minute minute_with(std::int64_t minute, std::uint32_t requests) {
  return usage_minute{minute, requests, requests, 0, 0, requests * 10ull};
}

usage_record usage_with(std::uint64_t requests, std::vector<usage_minute> minutes) {
  usage_record u;
  u.totals.requests = requests;
  u.minutes = std::move(minutes);
  return u;
}

void put_usage(meta_store& s, std::uint64_t id, const usage_record& u, minute_range changed,
               std::int64_t last_used_at_us = 0, std::string_view last_ip = {}) {
  auto ec = s.write([&](meta_writer& w) { w.put_usage(id, u, changed, last_used_at_us, last_ip); });
  BOOST_REQUIRE_MESSAGE(!ec, ec.message());
}

minute_range range(std::int64_t first, std::int64_t last) { return {first, last}; }

/// Writes `json` as record `id` of the named database straight through
/// LMDB, as a version before the usage tables would have (the store must be
/// closed).
void put_raw(const std::filesystem::path& dir, const char* dbi_name, std::uint64_t id,
             std::string_view json) {
  env e(dir / "meta", 1 << 20, 32);
  auto [t, ec] = txn::begin(e, false);
  BOOST_REQUIRE(!ec);
  MDB_dbi dbi = 0;
  BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), dbi_name, 0, &dbi), 0);
  auto k = be_key(id);
  BOOST_REQUIRE(!t.put(dbi, view(k), json));
  BOOST_REQUIRE(!t.commit());
}

/// The stored JSON of record `id` in the named database.
std::string get_raw(const std::filesystem::path& dir, const char* dbi_name, std::uint64_t id) {
  env e(dir / "meta", 1 << 20, 32);
  auto [t, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  MDB_dbi dbi = 0;
  BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), dbi_name, 0, &dbi), 0);
  std::string_view v;
  auto k = be_key(id);
  BOOST_REQUIRE(t.get(dbi, view(k), v));
  return std::string(v);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(tokens_and_systems_are_read_with_their_usage, temp_dir) {
  meta_store s(options(path));
  put(s, system_record{5, 1, "api", "", 0, {}});
  put(s, ingest_token(10, 5, 1));
  auto u = usage_with(7, {minute_with(minute0, 3), minute_with(minute0 + 2, 4)});
  put_usage(s, 10, u, range(minute0, minute0 + 2), 1'700'000'000'000'000, "192.0.2.7");
  auto sys = usage_with(9, {minute_with(minute0 + 2, 9)});
  put_usage(s, 5, sys, range(minute0 + 2, minute0 + 2));

  for (auto t : {s.token(10), s.token_by_hash(hash_of(1))}) {
    BOOST_REQUIRE(t);
    BOOST_TEST((t->usage == u));
    BOOST_TEST(t->last_used_at_us == 1'700'000'000'000'000);
    BOOST_TEST(t->last_ip == "192.0.2.7");
  }
  BOOST_TEST((s.system(5)->usage == sys));
  // Lists carry the totals and the last use, not the series.
  auto listed = s.tokens_of_system(5, 0, 10);
  BOOST_REQUIRE_EQUAL(listed.size(), 1u);
  BOOST_TEST((listed[0].usage == usage_with(7, {})));
  BOOST_TEST(listed[0].last_used_at_us == 1'700'000'000'000'000);
  BOOST_TEST(listed[0].last_ip == "192.0.2.7");
  BOOST_TEST((s.systems_of(1, 0, 10).at(0).usage == usage_with(9, {})));
  // Rewriting the token (a rename, say) leaves its usage alone.
  auto renamed = *s.token(10);
  renamed.name = "renamed";
  renamed.usage = {};
  renamed.last_ip.clear();
  put(s, renamed);
  BOOST_TEST((s.token(10)->usage == u));
  BOOST_TEST(s.token(10)->last_ip == "192.0.2.7");
}

BOOST_FIXTURE_TEST_CASE(personal_and_service_token_lists_carry_usage_totals_only, temp_dir) {
  meta_store s(options(path));
  put(s, personal_token(21, 7, 1));
  put(s, service_token(22, 1, 2));
  put_usage(s, 21, usage_with(4, {minute_with(minute0, 4)}), {}, 1'700'000'000'000'000);
  put_usage(s, 22, usage_with(6, {minute_with(minute0, 6)}), {});
  auto personal = s.tokens_of_user(7, 0, 10);
  BOOST_REQUIRE_EQUAL(personal.size(), 1u);
  BOOST_TEST((personal[0].usage == usage_with(4, {})));
  BOOST_TEST(personal[0].last_used_at_us == 1'700'000'000'000'000);
  auto service = s.service_tokens_of(1, 0, 10);
  BOOST_REQUIRE_EQUAL(service.size(), 1u);
  BOOST_TEST((service[0].usage == usage_with(6, {})));
  // The series is still there for a read of the token itself.
  BOOST_TEST(s.token(21)->usage.minutes.size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_usage_write_rewrites_only_the_minutes_that_changed, temp_dir) {
  meta_store s(options(path));
  put(s, ingest_token(10, 5, 1));
  // The first write of an id writes its whole series.
  put_usage(s, 10, usage_with(3, {minute_with(minute0, 1), minute_with(minute0 + 1, 2)}), {});
  BOOST_TEST(s.token(10)->usage.minutes.size() == 2u);
  // Later ones only the changed minutes: minute0 holds what was written
  // first, whatever the snapshot says of it now.
  put_usage(s, 10,
            usage_with(9, {minute_with(minute0, 99), minute_with(minute0 + 1, 5),
                           minute_with(minute0 + 2, 3)}),
            range(minute0 + 1, minute0 + 2));
  auto t = s.token(10);
  BOOST_TEST(t->usage.totals.requests == 9u);
  BOOST_TEST((t->usage.minutes
              == std::vector{minute_with(minute0, 1), minute_with(minute0 + 1, 5),
                             minute_with(minute0 + 2, 3)}));
  // A changed minute the snapshot no longer holds (all of it taken back) goes.
  put_usage(s, 10, usage_with(6, {minute_with(minute0, 1), minute_with(minute0 + 1, 5)}),
            range(minute0 + 2, minute0 + 2));
  BOOST_TEST((s.token(10)->usage.minutes
              == std::vector{minute_with(minute0, 1), minute_with(minute0 + 1, 5)}));
}

BOOST_FIXTURE_TEST_CASE(usage_minutes_before_the_last_hour_are_not_read_and_can_be_dropped,
                        temp_dir) {
  meta_store s(options(path));
  put(s, ingest_token(10, 5, 1));
  put(s, ingest_token(11, 5, 2));
  put_usage(s, 10, usage_with(2, {minute_with(minute0, 1), minute_with(minute0 + 1, 1)}), {});
  // Token 11 is used an hour later: token 10's first minute is now older
  // than the hour up to the newest minute stored.
  put_usage(s, 11, usage_with(1, {minute_with(minute0 + 60, 1)}), {});
  BOOST_TEST((s.token(10)->usage.minutes == std::vector{minute_with(minute0 + 1, 1)}));
  auto ec = s.write([](meta_writer& w) { w.drop_usage_before(minute0 + 1); });
  BOOST_REQUIRE(!ec);
  BOOST_TEST((s.token(10)->usage.minutes == std::vector{minute_with(minute0 + 1, 1)}));
  ec = s.write([](meta_writer& w) { w.drop_usage_before(minute0 + 61); });
  BOOST_REQUIRE(!ec);
  BOOST_TEST(s.token(10)->usage.minutes.empty());
  BOOST_TEST(s.token(11)->usage.minutes.empty());
  // The totals stay.
  BOOST_TEST(s.token(10)->usage.totals.requests == 2u);
}

BOOST_FIXTURE_TEST_CASE(usage_held_by_records_of_earlier_versions_is_read_then_moved, temp_dir) {
  {
    meta_store s(options(path));
    put(s, ingest_token(10, 5, 1));
  }
  // A token record as versions before the usage tables wrote it.
  put_raw(path, "tokens", 10,
          R"({"id":10,"kind":"ingest","name":"old","tenant_id":1,"system_id":5,)"
          R"("scopes":["ingest"],"status":"active","last_used_at_us":1700000000000000,)"
          R"("last_ip":"192.0.2.9","usage":{"totals":{"requests":4},)"
          R"("minutes":[[28333333,4,4,0,0,40]]},)"
          R"("hash":"0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"})");
  const auto legacy = usage_with(4, {minute_with(minute0, 4)});
  {
    meta_store s(options(path));
    auto t = s.token(10);
    BOOST_REQUIRE(t);
    BOOST_TEST((t->usage == legacy));
    BOOST_TEST(t->last_ip == "192.0.2.9");
    // The record is written again (a rename): its usage moves to the tables.
    t->name = "new";
    put(s, *t);
  }
  auto json = get_raw(path, "tokens", 10);
  BOOST_TEST(json.find("usage") == std::string::npos, json);
  BOOST_TEST(json.find("last_ip") == std::string::npos, json);
  meta_store s(options(path));
  auto t = s.token(10);
  BOOST_TEST((t->usage == legacy));
  BOOST_TEST(t->last_used_at_us == 1'700'000'000'000'000);
  BOOST_TEST(t->last_ip == "192.0.2.9");
  // From then on, flushes write the minutes that changed.
  put_usage(s, 10, usage_with(5, {minute_with(minute0, 4), minute_with(minute0 + 1, 1)}),
            range(minute0 + 1, minute0 + 1));
  BOOST_TEST(
    (s.token(10)->usage == usage_with(5, {minute_with(minute0, 4), minute_with(minute0 + 1, 1)})));
}

BOOST_FIXTURE_TEST_CASE(a_first_usage_write_replaces_what_an_old_record_held, temp_dir) {
  {
    meta_store s(options(path));
    put(s, system_record{5, 1, "api", "", 0, {}});
  }
  put_raw(path, "systems", 5,
          R"({"id":5,"tenant_id":1,"name":"api","usage":{"totals":{"requests":4},)"
          R"("minutes":[[28333333,4,4,0,0,40]]}})");
  meta_store s(options(path));
  // The system's actor restored from the record, counted on, and flushed:
  // its snapshot holds the old minutes too, and the first write takes all.
  put_usage(s, 5, usage_with(6, {minute_with(minute0, 4), minute_with(minute0 + 1, 2)}),
            range(minute0 + 1, minute0 + 1));
  BOOST_TEST(
    (s.system(5)->usage == usage_with(6, {minute_with(minute0, 4), minute_with(minute0 + 1, 2)})));
}

BOOST_AUTO_TEST_SUITE_END()
