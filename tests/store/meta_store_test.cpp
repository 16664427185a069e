#include <boost/test/unit_test.hpp>

#include <string>

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

  BOOST_TEST(!s.tenant(2));      // id of a system, not a tenant
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

BOOST_FIXTURE_TEST_CASE(the_live_count_follows_rewrites_and_moves_without_double_counting, temp_dir) {
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

BOOST_AUTO_TEST_SUITE_END()
