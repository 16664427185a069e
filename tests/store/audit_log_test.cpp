#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "store/audit_log.hpp"
#include "store/lmdb.hpp"
#include "temp_dir.hpp"
#include "test_keys.hpp"

using namespace sluice::store;
using sluice::store::test::be;
using sluice::store::test::temp_dir;

namespace {

std::string stored_value(const audit_event& e) {
  std::string v(reinterpret_cast<const char*>(e.hash.data()), e.hash.size());
  return v + canonical_encoding(e);
}

/// A metadata-like environment holding an opened audit log.
struct audit_fixture : temp_dir {
  env e;
  sluice::store::audit_log log;

  audit_fixture() : e(path / "meta", 1 << 20, 8) {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    log.open(t);
    BOOST_REQUIRE(!t.commit());
  }

  /// Appends each event in its own committed transaction; returns them as
  /// append completed them (seq, prev_hash, hash set).
  std::vector<audit_event> append(std::vector<audit_event> events) {
    for (auto& ev : events) {
      auto [t, ec] = txn::begin(e, false);
      BOOST_REQUIRE(!ec);
      auto aec = log.append(t, ev);
      BOOST_REQUIRE_MESSAGE(!aec, aec.message());
      BOOST_REQUIRE(!t.commit());
    }
    return events;
  }

  audit_verdict verify() {
    auto [t, ec] = txn::begin(e, true);
    BOOST_REQUIRE(!ec);
    return log.verify(t);
  }

  std::optional<audit_event> get(std::uint64_t seq) {
    auto [t, ec] = txn::begin(e, true);
    BOOST_REQUIRE(!ec);
    return log.get(t, seq);
  }

  audit_page query(const audit_query& q) {
    auto [t, ec] = txn::begin(e, true);
    BOOST_REQUIRE(!ec);
    return log.query(t, q);
  }

  /// Tampering from outside the API: raw writes to the `audit` database.
  void tamper(const std::function<void(txn&, MDB_dbi)>& edit) {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    MDB_dbi dbi = 0;
    BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), "audit", 0, &dbi), 0);
    edit(t, dbi);
    BOOST_REQUIRE(!t.commit());
  }
  void raw_put(std::uint64_t seq, const std::string& value) {
    tamper([&](txn& t, MDB_dbi dbi) { BOOST_REQUIRE(!t.put(dbi, be(seq), value)); });
  }
  std::string raw_get(std::uint64_t seq) {
    auto [t, ec] = txn::begin(e, true);
    BOOST_REQUIRE(!ec);
    MDB_dbi dbi = 0;
    BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), "audit", 0, &dbi), 0);
    std::string_view v;
    BOOST_REQUIRE(t.get(dbi, be(seq), v));
    return std::string(v); // copied: the view dies with the transaction
  }
};

audit_event sample(int i) {
  audit_event e;
  e.at_us = 1'700'000'000'000'000 + i;
  e.actor_kind = "user";
  e.actor_user_id = 42;
  e.actor_token_id = 4242;
  e.client_ip = "203.0.113.7";
  e.action = "token.create";
  e.tenant_id = 1;
  e.system_id = 2;
  e.token_id = 100 + static_cast<std::uint64_t>(i);
  e.reason = "event " + std::to_string(i);
  e.after_json = R"({"name":"t)" + std::to_string(i) + R"("})";
  return e;
}

std::vector<audit_event> samples(int n) {
  std::vector<audit_event> out;
  for (int i = 1; i <= n; ++i)
    out.push_back(sample(i));
  return out;
}

void check_same(const audit_event& a, const audit_event& b) {
  BOOST_TEST(a.seq == b.seq);
  BOOST_TEST(a.at_us == b.at_us);
  BOOST_TEST(a.actor_kind == b.actor_kind);
  BOOST_TEST(a.actor_user_id == b.actor_user_id);
  BOOST_TEST(a.actor_token_id == b.actor_token_id);
  BOOST_TEST(a.client_ip == b.client_ip);
  BOOST_TEST(a.action == b.action);
  BOOST_TEST(a.tenant_id == b.tenant_id);
  BOOST_TEST(a.system_id == b.system_id);
  BOOST_TEST(a.token_id == b.token_id);
  BOOST_TEST(a.user_id == b.user_id);
  BOOST_TEST(a.approval_id == b.approval_id);
  BOOST_TEST(a.reason == b.reason);
  BOOST_TEST(a.before_json == b.before_json);
  BOOST_TEST(a.after_json == b.after_json);
  BOOST_TEST((a.prev_hash == b.prev_hash));
  BOOST_TEST((a.hash == b.hash));
}

} // namespace

BOOST_AUTO_TEST_SUITE(audit_log)

BOOST_FIXTURE_TEST_CASE(events_append_with_consecutive_seqs_and_chained_hashes, audit_fixture) {
  auto events = append(samples(3));
  // Two more in one transaction: the second sees the first's uncommitted head.
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    for (int i = 4; i <= 5; ++i) {
      events.push_back(sample(i));
      BOOST_REQUIRE(!log.append(t, events.back()));
    }
    BOOST_REQUIRE(!t.commit());
  }
  for (std::size_t i = 0; i < events.size(); ++i) {
    BOOST_TEST(events[i].seq == i + 1);
    BOOST_TEST((events[i].hash == chain_hash(events[i])));
    BOOST_TEST((events[i].prev_hash == (i == 0 ? audit_digest{} : events[i - 1].hash)));
    auto back = get(i + 1);
    BOOST_REQUIRE(back);
    BOOST_TEST((back->hash == events[i].hash));
  }
  BOOST_TEST(!get(0));
  BOOST_TEST(!get(6));
}

BOOST_FIXTURE_TEST_CASE(an_append_aborted_with_its_transaction_leaves_no_trace, audit_fixture) {
  auto events = append(samples(1));
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    auto ev = sample(2);
    BOOST_REQUIRE(!log.append(t, ev));
  } // aborted
  auto next = append({sample(3)});
  BOOST_TEST(next[0].seq == 2u);
  BOOST_TEST((next[0].prev_hash == events[0].hash));
  BOOST_TEST(verify().whole);
}

BOOST_FIXTURE_TEST_CASE(an_event_reads_back_exactly_as_written, audit_fixture) {
  audit_event full;
  full.at_us = -5; // before the epoch: still an integer, still round-trips
  full.actor_kind = "service";
  full.actor_user_id = 0xffff'ffff'ffff'fffe;
  full.actor_token_id = 7;
  full.client_ip = "2001:db8::1";
  full.action = "user.update";
  full.tenant_id = 11;
  full.system_id = 12;
  full.token_id = 13;
  full.user_id = 14;
  full.approval_id = 15;
  full.reason = "quote \" backslash \\ newline \n tab \t bell \x07 caf\xc3\xa9 \xe2\x9c\x93";
  // Caller-made JSON, kept byte for byte: whitespace, number spelling, escapes.
  full.before_json =
    R"( { "role" : "member", "n": 1.50e2, "s": "\u00e9\/", "a": [ 1 , {}, null ] } )";
  full.after_json = R"("just a string, with } and ] and , inside")";
  auto written = append({sample(1), full});

  auto back = get(2);
  BOOST_REQUIRE(back);
  check_same(*back, written[1]);
  BOOST_TEST(back->before_json == full.before_json);
  BOOST_TEST(back->reason == full.reason);

  auto decoded = decode_audit_value(raw_get(2));
  BOOST_REQUIRE(decoded);
  check_same(*decoded, written[1]);

  // Empty before/after are written as null and read back empty.
  auto minimal = append({audit_event{}});
  auto m = get(3);
  BOOST_REQUIRE(m);
  check_same(*m, minimal[0]);
  BOOST_TEST(m->before_json.empty());
  BOOST_TEST(m->after_json.empty());
  BOOST_TEST(verify().whole);
}

BOOST_AUTO_TEST_CASE(the_encoding_is_deterministic_and_changes_when_any_field_changes) {
  audit_event e;
  e.seq = 3;
  e.at_us = 17;
  e.actor_kind = "sluiced";
  e.action = "token.revoke";
  e.token_id = 9;
  e.reason = "a \"b\"";
  e.after_json = R"({"status":"revoked"})";
  e.prev_hash[0] = 0xab;
  e.prev_hash[31] = 0x01;
  const std::string zeros60(60, '0');
  BOOST_TEST(canonical_encoding(e)
             == R"({"seq":3,"at_us":17,"actor_kind":"sluiced","actor_user_id":0,)"
                R"("actor_token_id":0,"client_ip":"","action":"token.revoke","tenant_id":0,)"
                R"("system_id":0,"token_id":9,"user_id":0,"approval_id":0,"reason":"a \"b\"",)"
                R"("before":null,"after":{"status":"revoked"},"prev_hash":"ab)"
                  + zeros60 + R"(01"})");

  // Same event, same bytes; `hash` itself is not covered.
  audit_event copy = e;
  copy.hash[5] = 0x55;
  BOOST_TEST(canonical_encoding(copy) == canonical_encoding(e));
  BOOST_TEST((chain_hash(copy) == chain_hash(e)));

  std::vector<std::function<void(audit_event&)>> edits = {
    [](audit_event& x) { x.seq += 1; },
    [](audit_event& x) { x.at_us += 1; },
    [](audit_event& x) { x.actor_kind = "user"; },
    [](audit_event& x) { x.actor_user_id = 1; },
    [](audit_event& x) { x.actor_token_id = 1; },
    [](audit_event& x) { x.client_ip = "10.0.0.1"; },
    [](audit_event& x) { x.action = "token.create"; },
    [](audit_event& x) { x.tenant_id = 1; },
    [](audit_event& x) { x.system_id = 1; },
    [](audit_event& x) { x.token_id = 8; },
    [](audit_event& x) { x.user_id = 1; },
    [](audit_event& x) { x.approval_id = 1; },
    [](audit_event& x) { x.reason = "a \"c\""; },
    [](audit_event& x) { x.before_json = "{}"; },
    [](audit_event& x) { x.after_json = R"({"status":"active"})"; },
    [](audit_event& x) { x.prev_hash[7] ^= 1; },
  };
  std::set<std::string> seen = {canonical_encoding(e)};
  for (auto& edit : edits) {
    audit_event changed = e;
    edit(changed);
    BOOST_TEST(seen.insert(canonical_encoding(changed)).second);
    BOOST_TEST((chain_hash(changed) != chain_hash(e)));
  }
}

BOOST_AUTO_TEST_CASE(malformed_values_do_not_decode) {
  audit_event e = sample(1);
  e.seq = 1;
  e.hash = chain_hash(e);
  auto good = stored_value(e);
  BOOST_TEST(decode_audit_value(good).has_value());
  BOOST_TEST(!decode_audit_value(good.substr(0, 31))); // shorter than a hash
  BOOST_TEST(!decode_audit_value(good.substr(0, 32))); // no encoding
  BOOST_TEST(!decode_audit_value(good.substr(0, good.size() - 1)));
  auto without = [&](std::string_view member) {
    std::string v = good;
    auto at = v.find(member);
    BOOST_REQUIRE(at != std::string::npos);
    v.erase(at, member.size());
    return v;
  };
  BOOST_TEST(!decode_audit_value(without(R"("user_id":0,)"))); // a member missing
  auto extra = good;
  extra.insert(extra.size() - 1, R"(,"note":"x")");
  BOOST_TEST(!decode_audit_value(extra)); // a member too many
  auto twice = good;
  twice.insert(twice.size() - 1, R"(,"reason":"y")");
  BOOST_TEST(!decode_audit_value(twice)); // a member twice
  auto wrong_type = good;
  wrong_type.replace(wrong_type.find(R"("seq":1)"), 7, R"("seq":"1")");
  BOOST_TEST(!decode_audit_value(wrong_type));
}

BOOST_FIXTURE_TEST_CASE(an_event_that_would_not_read_back_is_refused, audit_fixture) {
  append(samples(1));
  for (std::string bad : {"{", "1, 2", "   ", "{\"a\":1}}"}) {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    auto ev = sample(2);
    ev.before_json = bad;
    BOOST_TEST((log.append(t, ev) == std::errc::invalid_argument), bad);
  }
  {
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    auto ev = sample(2);
    ev.reason = "\xff\xfe not UTF-8";
    BOOST_TEST((log.append(t, ev) == std::errc::invalid_argument));
  }
  BOOST_TEST(!get(2));
  BOOST_TEST(verify().whole);
}

// ---------------------------------------------------------------------------
// query

namespace {

/// The meaning of each filter, spelled out independently of the store.
bool reference_match(const audit_event& e, const audit_query& q) {
  bool prefix = !q.action.empty() && q.action.back() == '.';
  return (q.tenant_id == 0 || e.tenant_id == q.tenant_id)
         && (q.system_id == 0 || e.system_id == q.system_id)
         && (q.token_id == 0 || e.token_id == q.token_id)
         && (q.actor_id == 0 || e.actor_user_id == q.actor_id || e.actor_token_id == q.actor_id)
         && (q.action.empty() || (prefix ? e.action.rfind(q.action, 0) == 0 : e.action == q.action))
         && (q.since_us == 0 || e.at_us >= q.since_us) && (q.until_us == 0 || e.at_us < q.until_us);
}

std::vector<audit_event> varied(int n) {
  static const char* actions[] = {"token.create", "token.revoke", "user.update", "tokens.list"};
  std::vector<audit_event> out;
  for (int i = 0; i < n; ++i) {
    audit_event e;
    auto u = static_cast<std::uint64_t>(i);
    e.at_us = 1000 + 10 * i;
    e.actor_kind = i % 5 == 0 ? "user" : "service";
    e.actor_user_id = i % 5 == 0 ? 7 : 0;
    e.actor_token_id = i % 5 == 0 ? 0 : 200 + u % 3;
    e.action = actions[i % 4];
    e.tenant_id = u % 3; // 0: an event with no tenant
    e.system_id = 10 + u % 2;
    e.token_id = i % 4 == 3 ? 0 : 100 + u % 5;
    out.push_back(e);
  }
  return out;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(query_filters_and_pages_with_the_cursor, audit_fixture) {
  auto events = append(varied(60));

  std::vector<audit_query> queries;
  auto add = [&](auto set) {
    audit_query q;
    set(q);
    queries.push_back(q);
  };
  add([](audit_query&) {});
  add([](audit_query& q) { q.tenant_id = 1; });
  add([](audit_query& q) {
    q.tenant_id = 2;
    q.system_id = 11;
  });
  add([](audit_query& q) { q.token_id = 101; });
  add([](audit_query& q) {
    q.token_id = 101;
    q.tenant_id = 1;
  });
  add([](audit_query& q) {
    q.token_id = 103;
    q.tenant_id = 2;
    q.action = "token.";
  });
  add([](audit_query& q) { q.system_id = 10; });
  add([](audit_query& q) { q.actor_id = 7; });
  add([](audit_query& q) { q.actor_id = 201; });
  add([](audit_query& q) { q.action = "token.revoke"; });
  add([](audit_query& q) { q.action = "token."; }); // not "tokens.list"
  add([](audit_query& q) { q.action = "token"; });  // exact: matches nothing
  add([](audit_query& q) {
    q.since_us = 1100;
    q.until_us = 1250;
  });
  add([](audit_query& q) { q.until_us = 1001; });
  add([](audit_query& q) {
    q.tenant_id = 1;
    q.action = "token.";
    q.since_us = 1200;
  });
  add([](audit_query& q) { q.tenant_id = 99; });
  add([](audit_query& q) { q.token_id = 99; });

  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    std::vector<std::uint64_t> expected;
    for (auto& ev : events)
      if (reference_match(ev, queries[qi]))
        expected.push_back(ev.seq);
    for (std::size_t limit : {1, 2, 3, 7, 100}) {
      BOOST_TEST_CONTEXT("query " << qi << ", limit " << limit) {
        audit_query q = queries[qi];
        q.limit = limit;
        std::vector<std::uint64_t> got;
        for (int pages = 0; pages < 100; ++pages) {
          auto page = query(q);
          BOOST_TEST(page.items.size() <= limit);
          for (auto& item : page.items) {
            BOOST_TEST(reference_match(item, queries[qi]));
            got.push_back(item.seq);
          }
          if (!page.next_cursor)
            break;
          // A cursor is only handed out with a full page and more to come.
          BOOST_TEST(page.items.size() == limit);
          BOOST_TEST(*page.next_cursor == page.items.back().seq);
          q.after_seq = *page.next_cursor;
        }
        BOOST_TEST(got == expected, boost::test_tools::per_element());
      }
    }
  }

  // Items come back whole, not just their seqs.
  audit_query q;
  q.token_id = 101;
  q.limit = 1;
  auto first = query(q);
  BOOST_REQUIRE_EQUAL(first.items.size(), 1u);
  check_same(first.items[0], *get(first.items[0].seq));

  q.limit = 0;
  auto none = query(q);
  BOOST_TEST(none.items.empty());
  BOOST_TEST(!none.next_cursor);
}

BOOST_FIXTURE_TEST_CASE(a_page_that_ends_exactly_with_the_last_match_has_no_cursor, audit_fixture) {
  append(samples(4));
  audit_query q;
  q.limit = 2;
  auto p1 = query(q);
  BOOST_REQUIRE(p1.next_cursor);
  BOOST_TEST(*p1.next_cursor == 2u);
  q.after_seq = 2;
  auto p2 = query(q);
  BOOST_TEST(p2.items.size() == 2u);
  BOOST_TEST(!p2.next_cursor);
}

// ---------------------------------------------------------------------------
// verify

BOOST_FIXTURE_TEST_CASE(verify_of_an_empty_log_is_whole, audit_fixture) {
  auto v = verify();
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == 0u);
  BOOST_TEST(v.broken_at == 0u);
  BOOST_TEST((v.head == audit_digest{}));
}

BOOST_FIXTURE_TEST_CASE(verify_passes_on_an_intact_chain, audit_fixture) {
  auto events = append(samples(6));
  auto v = verify();
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == 6u);
  BOOST_TEST(v.broken_at == 0u);
  BOOST_TEST(v.why.empty());
  BOOST_TEST((v.head == events.back().hash));
}

BOOST_FIXTURE_TEST_CASE(verify_catches_an_edited_field_with_the_old_hash, audit_fixture) {
  append(samples(5));
  auto ev = decode_audit_value(raw_get(3));
  BOOST_REQUIRE(ev);
  ev->actor_user_id = 666; // hash left as it was
  raw_put(3, stored_value(*ev));
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 3u);
  BOOST_TEST(v.why == "its hash does not match its content");
  BOOST_TEST((v.head == audit_digest{}));
}

BOOST_FIXTURE_TEST_CASE(verify_catches_an_edited_field_with_a_recomputed_hash, audit_fixture) {
  append(samples(5));
  auto ev = decode_audit_value(raw_get(3));
  BOOST_REQUIRE(ev);
  ev->reason = "nothing to see here";
  ev->hash = chain_hash(*ev);
  raw_put(3, stored_value(*ev));
  // Event 3 is self-consistent now; the next link gives it away.
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 4u);
  BOOST_TEST(v.why == "its prev_hash does not match event 3");
}

BOOST_FIXTURE_TEST_CASE(a_rewritten_last_event_shows_only_in_the_head, audit_fixture) {
  auto events = append(samples(3));
  auto ev = decode_audit_value(raw_get(3));
  BOOST_REQUIRE(ev);
  ev->reason = "rewritten";
  ev->hash = chain_hash(*ev);
  raw_put(3, stored_value(*ev));
  // Nothing follows it, so the chain alone cannot tell: the head, compared
  // with one recorded elsewhere, can.
  auto v = verify();
  BOOST_TEST(v.whole);
  BOOST_TEST((v.head != events.back().hash));
}

BOOST_FIXTURE_TEST_CASE(verify_catches_a_deleted_middle_event, audit_fixture) {
  append(samples(5));
  tamper([](txn& t, MDB_dbi dbi) { BOOST_REQUIRE(!t.del(dbi, be(3))); });
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 3u);
  BOOST_TEST(v.why == "event 3 is missing");

  // A query skips what the index still points at, without failing.
  audit_query q;
  q.tenant_id = 1;
  auto page = query(q);
  BOOST_TEST(page.items.size() == 4u);
}

BOOST_FIXTURE_TEST_CASE(verify_catches_a_deleted_first_event, audit_fixture) {
  append(samples(2));
  tamper([](txn& t, MDB_dbi dbi) { BOOST_REQUIRE(!t.del(dbi, be(1))); });
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 1u);
  BOOST_TEST(v.why == "event 1 is missing");
}

BOOST_FIXTURE_TEST_CASE(verify_catches_a_reordered_pair, audit_fixture) {
  append(samples(5));
  auto v2 = raw_get(2);
  auto v3 = raw_get(3);
  raw_put(2, v3);
  raw_put(3, v2);
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 2u);
  BOOST_TEST(v.why == "it is stored as event 2 but its content says event 3");
}

BOOST_FIXTURE_TEST_CASE(verify_catches_a_reordered_pair_with_renumbered_events, audit_fixture) {
  append(samples(5));
  // A careful forger swaps the contents, renumbers them and rehashes each,
  // but cannot rewrite the links without rewriting every later event.
  auto a = decode_audit_value(raw_get(2));
  auto b = decode_audit_value(raw_get(3));
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  std::swap(a->seq, b->seq);
  a->hash = chain_hash(*a);
  b->hash = chain_hash(*b);
  raw_put(2, stored_value(*b));
  raw_put(3, stored_value(*a));
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 2u);
  BOOST_TEST(v.why == "its prev_hash does not match event 1");
}

BOOST_FIXTURE_TEST_CASE(verify_catches_a_value_that_cannot_be_decoded, audit_fixture) {
  append(samples(3));
  auto value = raw_get(2);
  value.back() = 'x'; // the closing brace
  raw_put(2, value);
  auto v = verify();
  BOOST_TEST(!v.whole);
  BOOST_TEST(v.broken_at == 2u);
  BOOST_TEST(v.why == "it cannot be decoded");
  BOOST_TEST(v.checked == 2u);
}

// ---------------------------------------------------------------------------
// verify_audit_chain

BOOST_AUTO_TEST_CASE(verify_audit_chain_reads_a_closed_environment) {
  temp_dir dir;
  const auto meta = dir.path / "meta";
  audit_digest head{};
  {
    env e(meta, 1 << 20, 8);
    sluice::store::audit_log log; // qualified: the test suite shares the name
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    log.open(t);
    for (int i = 1; i <= 4; ++i) {
      auto ev = sample(i);
      BOOST_REQUIRE(!log.append(t, ev));
      head = ev.hash;
    }
    BOOST_REQUIRE(!t.commit());
  } // closed: LMDB forbids opening one environment twice in a process

  auto whole = verify_audit_chain(meta);
  BOOST_TEST(whole.whole);
  BOOST_TEST(whole.checked == 4u);
  BOOST_TEST((whole.head == head));

  {
    env e(meta, 1 << 20, 8);
    auto [t, ec] = txn::begin(e, false);
    BOOST_REQUIRE(!ec);
    MDB_dbi dbi = 0;
    BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), "audit", 0, &dbi), 0);
    std::string_view v;
    BOOST_REQUIRE(t.get(dbi, be(3), v));
    std::string value(v);
    auto at = value.find("event 3");
    BOOST_REQUIRE(at != std::string::npos);
    value[at] = 'E';
    BOOST_REQUIRE(!t.put(dbi, be(3), value));
    BOOST_REQUIRE(!t.commit());
  }
  auto broken = verify_audit_chain(meta);
  BOOST_TEST(!broken.whole);
  BOOST_TEST(broken.broken_at == 3u);
  BOOST_TEST(broken.why == "its hash does not match its content");
}

BOOST_AUTO_TEST_CASE(verify_audit_chain_of_an_environment_without_a_log_is_whole) {
  temp_dir dir;
  const auto meta = dir.path / "meta";
  { env e(meta, 1 << 20, 8); }
  auto v = verify_audit_chain(meta);
  BOOST_TEST(v.whole);
  BOOST_TEST(v.checked == 0u);
}

BOOST_AUTO_TEST_CASE(verify_audit_chain_of_a_missing_directory_throws) {
  temp_dir dir;
  BOOST_CHECK_THROW(verify_audit_chain(dir.path / "nowhere"), std::system_error);
  BOOST_TEST(!std::filesystem::exists(dir.path / "nowhere"));
}

BOOST_AUTO_TEST_SUITE_END()
