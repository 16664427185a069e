#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "policy/retention.hpp"
#include "store/lmdb.hpp"
#include "store/message_store.hpp"
#include "temp_dir.hpp"

using namespace sluice;
using namespace sluice::store;
using sluice::store::test::temp_dir;

namespace {

constexpr std::int64_t day_us = retention::us_per_day;
constexpr std::int64_t hour_us = 3'600'000'000LL;
constexpr std::int64_t D = 19723; // 2024-01-01

/// A time on day `day` (UTC), `hours` after midnight.
std::int64_t at(std::int64_t day, std::int64_t hours = 12) {
  return day * day_us + hours * hour_us;
}

/// One message to put into a hand-built batch.
struct msg {
  msg(std::string b, std::string i = {}, message_level l = message_level::none,
      std::int64_t t = no_event_time)
      : body(std::move(b)), id(std::move(i)), level(l), event_time_us(t) {}
  std::string body;
  std::string id; ///< client id; empty = none
  message_level level;
  std::int64_t event_time_us;
};

/// Builds a message_batch the way the parser would: bytes plus offsets.
message_batch make_batch(const std::vector<msg>& msgs) {
  message_batch b;
  for (const auto& m : msgs) {
    parsed_message p;
    p.body_offset = static_cast<std::uint32_t>(b.bytes.size());
    p.body_size = static_cast<std::uint32_t>(m.body.size());
    b.bytes += m.body;
    p.id_offset = static_cast<std::uint32_t>(b.bytes.size());
    p.id_size = static_cast<std::uint32_t>(m.id.size());
    b.bytes += m.id;
    p.level = m.level;
    p.event_time_us = m.event_time_us;
    b.items.push_back(p);
    b.largest_message = std::max<std::uint64_t>(b.largest_message, m.body.size());
  }
  return b;
}

message_batch bodies(std::size_t n, const std::string& prefix = "m") {
  std::vector<msg> v;
  for (std::size_t i = 0; i < n; ++i)
    v.push_back({R"({"message":")" + prefix + std::to_string(i) + "\"}"});
  return make_batch(v);
}

write_job job(const message_batch& b, std::uint64_t system_id, int retention = 7,
              std::uint64_t token_id = 100, message_source source = message_source::native) {
  write_job j;
  j.retention_days = retention;
  j.tenant_id = 1;
  j.system_id = system_id;
  j.token_id = token_id;
  j.source = source;
  j.batch = &b;
  return j;
}

std::vector<job_outcome> commit(message_store& s, const std::vector<write_job>& jobs,
                                std::int64_t now_us) {
  std::vector<job_outcome> out(jobs.size());
  s.commit_group(jobs, now_us, out);
  return out;
}

/// Commits one job and requires it to succeed.
job_outcome commit_one(message_store& s, const write_job& j, std::int64_t now_us) {
  auto out = commit(s, {j}, now_us);
  BOOST_REQUIRE_MESSAGE(!out[0].ec, out[0].ec.message());
  return out[0];
}

/// Reads every page of `q`, checking that pages move forward.
std::vector<stored_message> read_all(const message_store& s, message_query q,
                                     std::size_t* pages = nullptr) {
  std::vector<stored_message> all;
  std::size_t n = 0;
  for (;;) {
    auto page = s.query(q);
    ++n;
    BOOST_REQUIRE(n < 100000);
    for (auto& m : page.items)
      all.push_back(std::move(m));
    if (!page.next_cursor)
      break;
    BOOST_REQUIRE(*page.next_cursor >= q.after_id); // progress
    BOOST_REQUIRE(*page.next_cursor != q.after_id || q.after_id == 0);
    q.after_id = *page.next_cursor;
  }
  if (pages)
    *pages = n;
  return all;
}

std::vector<stored_message> read_all(const message_store& s, std::uint64_t system_id) {
  message_query q;
  q.system_id = system_id;
  q.limit = 1000;
  return read_all(s, q);
}

/// Names of the day buckets in one environment directory (opened directly,
/// after the store is closed).
std::set<std::string> bucket_names(const std::filesystem::path& env_dir) {
  std::set<std::string> names;
  env e(env_dir, 1 << 20, 8192);
  auto [t, ec] = txn::begin(e, true);
  BOOST_REQUIRE(!ec);
  MDB_dbi main = 0;
  BOOST_REQUIRE_EQUAL(mdb_dbi_open(t.get(), nullptr, 0, &main), 0);
  cursor c(t, main);
  std::string_view k, v;
  for (bool ok = c.first(k, v); ok; ok = c.next(k, v))
    if (k != "info")
      names.emplace(k);
  return names;
}

struct store_dir : temp_dir {
  message_store_options options() const {
    message_store_options o;
    o.dir = path / "messages";
    o.map_size = 1 << 20;
    return o;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(messages)

BOOST_FIXTURE_TEST_CASE(a_committed_message_reads_back_with_everything_it_was_stored_with,
                        store_dir) {
  message_store s(options());
  auto b = make_batch(
    {{R"({"message":"hello","level":"warn"})", "", message_level::warn, 1'700'000'000'000'000}});
  write_job j = job(b, 42, 30, 77, message_source::otlp_logs);
  j.tenant_id = 9;
  auto out = commit_one(s, j, at(D));
  BOOST_TEST(out.accepted == 1u);
  BOOST_TEST(out.duplicates == 0u);

  auto all = read_all(s, 42);
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  const auto& m = all[0];
  BOOST_TEST(m.id == static_cast<std::uint64_t>(at(D))); // received_at in µs
  BOOST_TEST(m.body == R"({"message":"hello","level":"warn"})");
  BOOST_TEST(m.system_id == 42u);
  BOOST_TEST(m.tenant_id == 9u);
  BOOST_TEST(m.token_id == 77u);
  BOOST_TEST(m.retention_days == 30);
  BOOST_TEST((m.source == message_source::otlp_logs));
  BOOST_TEST((m.level == message_level::warn));
  BOOST_TEST(m.event_time_us == 1'700'000'000'000'000);
  BOOST_TEST(s.watermark() == m.id);
  BOOST_TEST(read_all(s, 43).empty()); // another system sees nothing
}

BOOST_FIXTURE_TEST_CASE(a_message_without_timestamp_or_level_reads_back_as_such, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"message":"x"})"}});
  commit_one(s, job(b, 1, retention::never), at(D));
  auto all = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(all.size(), 1u);
  BOOST_TEST(all[0].event_time_us == no_event_time);
  BOOST_TEST((all[0].level == message_level::none));
  BOOST_TEST(all[0].retention_days == retention::never);
}

BOOST_FIXTURE_TEST_CASE(ids_are_unique_and_increasing_even_when_the_clock_stalls, store_dir) {
  message_store s(options());
  auto b = bodies(5);
  commit_one(s, job(b, 1), at(D));
  commit_one(s, job(b, 1), at(D));           // same clock
  commit_one(s, job(b, 1), at(D) - hour_us); // clock went backwards
  auto all = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(all.size(), 15u);
  for (std::size_t i = 1; i < all.size(); ++i)
    BOOST_TEST(all[i].id > all[i - 1].id);
  BOOST_TEST(all.front().id == static_cast<std::uint64_t>(at(D)));
}

BOOST_FIXTURE_TEST_CASE(messages_land_in_the_environment_of_their_retention_class, store_dir) {
  {
    message_store s(options());
    auto b = bodies(3);
    commit_one(s, job(b, 1, 30), at(D));
    commit_one(s, job(b, 1, retention::never), at(D + 1));
    auto all = read_all(s, 1);
    BOOST_REQUIRE_EQUAL(all.size(), 6u);
  }
  auto dir = options().dir;
  for (int days : retention::values) {
    std::string name = days == retention::never ? "rnever" : "r" + std::to_string(days);
    BOOST_TEST_CONTEXT("class " << name) {
      BOOST_REQUIRE(std::filesystem::exists(dir / name / "data.mdb"));
      auto names = bucket_names(dir / name);
      if (days == 30)
        BOOST_TEST((names == std::set<std::string>{"m" + std::to_string(D)}));
      else if (days == retention::never)
        BOOST_TEST((names == std::set<std::string>{"m" + std::to_string(D + 1)}));
      else
        BOOST_TEST(names.empty());
    }
  }
}

BOOST_FIXTURE_TEST_CASE(messages_of_different_days_go_to_different_day_buckets, store_dir) {
  message_store s(options());
  auto b1 = bodies(2, "day1-");
  auto b2 = bodies(3, "day2-");
  commit_one(s, job(b1, 1), at(D, 10));
  commit_one(s, job(b2, 1), at(D + 1, 10));

  message_query q;
  q.system_id = 1;
  q.since_us = D * day_us;
  q.until_us = (D + 1) * day_us;
  auto first = read_all(s, q);
  BOOST_REQUIRE_EQUAL(first.size(), 2u);
  BOOST_TEST(first[0].body.find("day1-") != std::string::npos);
  q.since_us = (D + 1) * day_us;
  q.until_us = (D + 2) * day_us;
  BOOST_TEST(read_all(s, q).size() == 3u);

  // Day D expired for 7-day retention, day D+1 not yet: exactly one bucket goes.
  auto r = s.sweep((D + 8) * day_us + hour_us);
  BOOST_TEST(r.message_buckets_dropped == 1u);
  auto left = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(left.size(), 3u);
  for (const auto& m : left)
    BOOST_TEST(m.body.find("day2-") != std::string::npos);
  BOOST_TEST(s.sweep((D + 8) * day_us + hour_us).message_buckets_dropped == 0u);
}

BOOST_FIXTURE_TEST_CASE(expiry_never_drops_a_message_before_its_retention_is_over, store_dir) {
  message_store s(options());
  auto early = bodies(1, "early");
  auto late = bodies(1, "late");
  commit_one(s, job(early, 1), D * day_us);           // 00:00:00 of day D
  const std::int64_t received = (D + 1) * day_us - 1; // 23:59:59.999999 of day D
  commit_one(s, job(late, 1), received);
  auto all = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_REQUIRE(all[1].id == static_cast<std::uint64_t>(received));

  // The early message is past 7 days, but the late one in the same bucket is
  // not: nothing is dropped, up to the last microsecond of its retention.
  BOOST_TEST(s.sweep(D * day_us + 7 * day_us + hour_us).message_buckets_dropped == 0u);
  BOOST_TEST(s.sweep(received + 7 * day_us - 1).message_buckets_dropped == 0u);
  BOOST_TEST(read_all(s, 1).size() == 2u);

  // Once the whole bucket is past its retention, it goes.
  auto r = s.sweep(retention::expires_at(received, 7) + 1);
  BOOST_TEST(r.message_buckets_dropped == 1u);
  BOOST_TEST(read_all(s, 1).empty());
}

BOOST_FIXTURE_TEST_CASE(messages_kept_forever_are_never_swept, store_dir) {
  message_store s(options());
  auto b = bodies(2);
  commit_one(s, job(b, 1, retention::never), at(D));
  auto r = s.sweep(at(D + 100'000));
  BOOST_TEST(r.message_buckets_dropped == 0u);
  BOOST_TEST(read_all(s, 1).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(each_class_keeps_messages_for_its_own_retention, store_dir) {
  message_store s(options());
  auto b = bodies(1);
  commit_one(s, job(b, 1, 7), at(D));
  commit_one(s, job(b, 1, 30), at(D));
  commit_one(s, job(b, 1, 365), at(D));
  s.sweep(at(D + 20));
  auto left = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(left.size(), 2u);
  BOOST_TEST(left[0].retention_days == 30);
  BOOST_TEST(left[1].retention_days == 365);
  s.sweep(at(D + 40));
  left = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(left.size(), 1u);
  BOOST_TEST(left[0].retention_days == 365);
}

BOOST_FIXTURE_TEST_CASE(a_message_id_seen_within_the_window_is_a_duplicate, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"message":"a"})", "evt-1"}});
  auto first = commit_one(s, job(b, 1), at(D, 12));
  BOOST_TEST(first.accepted == 1u);
  // Next day, still within 24 h: found in the previous day's dedup bucket.
  auto second = commit_one(s, job(b, 1), at(D + 1, 11));
  BOOST_TEST(second.accepted == 0u);
  BOOST_TEST(second.duplicates == 1u);
  BOOST_TEST(read_all(s, 1).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(dedup_is_per_system, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"message":"a"})", "evt-1"}});
  BOOST_TEST(commit_one(s, job(b, 1), at(D)).accepted == 1u);
  BOOST_TEST(commit_one(s, job(b, 2), at(D)).accepted == 1u);
  BOOST_TEST(read_all(s, 1).size() == 1u);
  BOOST_TEST(read_all(s, 2).size() == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_message_id_is_accepted_again_after_the_window, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"message":"a"})", "evt-1"}});
  commit_one(s, job(b, 1), at(D, 12));
  auto again = commit_one(s, job(b, 1), at(D, 12) + day_us + 1);
  BOOST_TEST(again.accepted == 1u);
  BOOST_TEST(again.duplicates == 0u);
  // And the new copy starts a new window.
  auto third = commit_one(s, job(b, 1), at(D, 12) + day_us + hour_us);
  BOOST_TEST(third.duplicates == 1u);
  BOOST_TEST(read_all(s, 1).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_message_id_repeated_inside_one_batch_is_stored_once, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"n":1})", "x"},
                       {R"({"n":2})", "x"},
                       {R"({"n":3})", "y"},
                       {R"({"n":4})"},
                       {R"({"n":5})"}});
  auto out = commit_one(s, job(b, 1), at(D));
  BOOST_TEST(out.accepted == 4u);
  BOOST_TEST(out.duplicates == 1u);
  auto all = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(all.size(), 4u);
  BOOST_TEST(all[0].body == R"({"n":1})");
  BOOST_TEST(all[1].body == R"({"n":3})");
}

BOOST_FIXTURE_TEST_CASE(dedup_spans_retention_classes_within_and_across_groups, store_dir) {
  message_store s(options());
  auto bx = make_batch({{R"({"m":"x"})", "x"}});
  auto by = make_batch({{R"({"m":"y"})", "y"}});
  // Same group, two environments: the second job sees the first one's
  // pending write.
  auto out = commit(s, {job(bx, 1, 7), job(bx, 1, 30), job(by, 1, 90)}, at(D));
  BOOST_TEST(!out[0].ec);
  BOOST_TEST(!out[1].ec);
  BOOST_TEST(out[0].accepted == 1u);
  BOOST_TEST(out[1].duplicates == 1u);
  BOOST_TEST(out[2].accepted == 1u);
  // Later group, another environment: found in the committed ones.
  auto later = commit_one(s, job(by, 1, 365), at(D, 13));
  BOOST_TEST(later.duplicates == 1u);
  BOOST_TEST(read_all(s, 1).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(sweeping_old_dedup_buckets_keeps_recent_ones, store_dir) {
  message_store s(options());
  auto b = make_batch({{R"({"m":"x"})", "x"}});
  commit_one(s, job(b, 1), at(D, 12));
  commit_one(s, job(make_batch({{R"({"m":"z"})", "z"}}), 1), at(D + 1, 12));
  auto r = s.sweep(at(D + 2, 12)); // day D's entries all older than 24 h
  BOOST_TEST(r.dedup_buckets_dropped == 1u);
  BOOST_TEST(r.message_buckets_dropped == 0u);
  BOOST_TEST(commit_one(s, job(b, 1), at(D + 2, 12)).accepted == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_job_with_an_invalid_retention_fails_alone, store_dir) {
  message_store s(options());
  auto b = bodies(2);
  auto out = commit(s, {job(b, 1, 8), job(b, 1, 7), job(b, 1, 0)}, at(D));
  BOOST_TEST(out[0].ec == lmdb_error(EINVAL));
  BOOST_TEST(!out[1].ec);
  BOOST_TEST(out[1].accepted == 2u);
  BOOST_TEST(out[2].ec == lmdb_error(EINVAL));
  BOOST_TEST(read_all(s, 1).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_full_map_grows_and_every_write_is_kept, store_dir) {
  auto o = options(); // 1 MiB maps
  o.max_map_size = 1ull << 30;
  message_store s(o);
  const auto before = s.map_size(7);
  const std::string payload(1000, 'p');

  // A reader keeps querying while the writer grows the map underneath it.
  std::atomic<bool> done{false};
  std::atomic<std::size_t> reader_errors{0};
  std::thread reader([&] {
    while (!done.load()) {
      message_query q;
      q.system_id = 1;
      q.limit = 50;
      auto wm = s.watermark();
      auto page = s.query(q);
      for (std::size_t i = 0; i < page.items.size(); ++i)
        if ((i > 0 && page.items[i].id <= page.items[i - 1].id))
          ++reader_errors;
      (void)wm;
    }
  });

  std::uint32_t accepted = 0;
  for (int g = 0; g < 200; ++g) {
    std::vector<msg> v;
    for (int i = 0; i < 100; ++i)
      v.push_back({R"({"g":)" + std::to_string(g) + R"(,"p":")" + payload + "\"}"});
    auto b = make_batch(v);
    accepted += commit_one(s, job(b, 1), at(D) + g * 1000).accepted;
  }
  done = true;
  reader.join();

  BOOST_TEST(accepted == 20000u);
  BOOST_TEST(reader_errors.load() == 0u);
  BOOST_TEST(s.map_size(7) > before);
  BOOST_TEST(s.map_size(7) >= 20u << 20);
  BOOST_TEST(s.map_size(30) == before); // other classes untouched
  message_query q;
  q.system_id = 1;
  q.limit = 5000;
  auto all = read_all(s, q);
  BOOST_REQUIRE_EQUAL(all.size(), 20000u);
  for (std::size_t i = 1; i < all.size(); ++i)
    BOOST_REQUIRE(all[i].id > all[i - 1].id);
  BOOST_TEST(all.back().body.find(payload) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_group_beyond_the_maximum_map_size_fails_and_stores_nothing, store_dir) {
  auto o = options();
  o.max_map_size = 2 << 20;
  message_store s(o);
  std::vector<msg> v;
  for (int i = 0; i < 3000; ++i)
    v.push_back({std::string(1000, 'x'), "id" + std::to_string(i)});
  auto big = make_batch(v);
  auto small = bodies(1);
  auto out = commit(s, {job(big, 1), job(small, 2, 30)}, at(D));
  BOOST_TEST(out[0].ec == lmdb_error(MDB_MAP_FULL));
  BOOST_TEST(!out[1].ec); // the other environment's job is unaffected
  BOOST_TEST(read_all(s, 1).empty());
  BOOST_TEST(read_all(s, 2).size() == 1u);
  // Nothing of the failed job counts for dedup, and small writes still work.
  auto retry = make_batch({{"{}", "id0"}});
  BOOST_TEST(commit_one(s, job(retry, 1), at(D)).accepted == 1u);
}

BOOST_FIXTURE_TEST_CASE(messages_and_the_last_id_survive_a_restart, store_dir) {
  std::uint64_t last = 0;
  {
    message_store s(options());
    auto b = make_batch({{"{}", "a"}, {"{}", "b"}});
    commit_one(s, job(b, 1), at(D, 12));
    last = s.watermark();
    BOOST_TEST(last == static_cast<std::uint64_t>(at(D, 12)) + 1);
  }
  message_store s(options());
  BOOST_TEST(s.watermark() == last);
  BOOST_TEST(read_all(s, 1).size() == 2u);
  // The clock is an hour behind now; ids still move forward.
  auto b = make_batch({{"{}", "a"}, {"{}", "c"}});
  auto out = commit_one(s, job(b, 1), at(D, 11));
  BOOST_TEST(out.duplicates == 1u); // dedup state survived too
  auto all = read_all(s, 1);
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  BOOST_TEST(all[2].id == last + 1);
}

BOOST_FIXTURE_TEST_CASE(pages_cover_every_message_exactly_once, store_dir) {
  message_store s(options());
  auto b = bodies(125);
  commit_one(s, job(b, 1), at(D, 23));
  commit_one(s, job(b, 1), at(D + 1, 1)); // spans two day buckets
  message_query q;
  q.system_id = 1;
  q.limit = 100;
  std::size_t pages = 0;
  auto all = read_all(s, q, &pages);
  BOOST_TEST(pages == 3u);
  BOOST_REQUIRE_EQUAL(all.size(), 250u);
  std::set<std::uint64_t> ids;
  for (const auto& m : all)
    ids.insert(m.id);
  BOOST_TEST(ids.size() == 250u);
  for (std::size_t i = 1; i < all.size(); ++i)
    BOOST_TEST(all[i].id > all[i - 1].id);

  auto p1 = s.query(q);
  BOOST_TEST(p1.items.size() == 100u);
  BOOST_REQUIRE(p1.next_cursor);
  BOOST_TEST(*p1.next_cursor == p1.items.back().id);
}

BOOST_FIXTURE_TEST_CASE(filters_select_by_token_level_and_source, store_dir) {
  message_store s(options());
  auto b1 =
    make_batch({{"{\"n\":1}", "", message_level::error}, {"{\"n\":2}", "", message_level::info}});
  auto b2 = make_batch({{"{\"n\":3}", "", message_level::error}});
  auto b3 = make_batch({{"{\"n\":4}", "", message_level::debug}});
  auto out =
    commit(s,
           {job(b1, 1, 7, 10, message_source::native), job(b2, 1, 7, 11, message_source::webhook),
            job(b3, 1, 30, 10, message_source::langfuse)},
           at(D));
  for (const auto& o : out)
    BOOST_REQUIRE(!o.ec);

  message_query q;
  q.system_id = 1;
  q.token_id = 10;
  auto by_token = read_all(s, q);
  BOOST_REQUIRE_EQUAL(by_token.size(), 3u);
  for (const auto& m : by_token)
    BOOST_TEST(m.token_id == 10u);

  q = {};
  q.system_id = 1;
  q.level = message_level::error;
  auto errors = read_all(s, q);
  BOOST_REQUIRE_EQUAL(errors.size(), 2u);
  BOOST_TEST(errors[0].body == "{\"n\":1}");
  BOOST_TEST(errors[1].body == "{\"n\":3}");

  q = {};
  q.system_id = 1;
  q.source = message_source::langfuse;
  auto lf = read_all(s, q);
  BOOST_REQUIRE_EQUAL(lf.size(), 1u);
  BOOST_TEST(lf[0].body == "{\"n\":4}");

  q.level = message_level::error; // combined: nothing matches both
  BOOST_TEST(read_all(s, q).empty());
}

BOOST_FIXTURE_TEST_CASE(messages_of_all_environments_come_back_merged_by_id, store_dir) {
  message_store s(options());
  std::vector<message_batch> batches;
  batches.reserve(30);
  for (int i = 0; i < 30; ++i)
    batches.push_back(bodies(3, "b" + std::to_string(i) + "-"));
  const int classes[] = {7, 30, 90, retention::never, 1825};
  for (int g = 0; g < 3; ++g) {
    std::vector<write_job> jobs;
    for (int i = 0; i < 10; ++i)
      jobs.push_back(job(batches[g * 10 + i], 1, classes[i % 5]));
    for (const auto& o : commit(s, jobs, at(D) + g))
      BOOST_REQUIRE(!o.ec);
  }
  // Every page size, including ones that stop mid-environment.
  for (std::size_t limit : {1, 4, 7, 100}) {
    BOOST_TEST_CONTEXT("limit " << limit) {
      message_query q;
      q.system_id = 1;
      q.limit = limit;
      auto all = read_all(s, q);
      BOOST_REQUIRE_EQUAL(all.size(), 90u);
      for (std::size_t i = 1; i < all.size(); ++i)
        BOOST_REQUIRE(all[i].id > all[i - 1].id);
      // Arrival order is id order: batch by batch.
      BOOST_TEST(all[0].body.find("\"b0-0\"") != std::string::npos);
      BOOST_TEST(all[3].body.find("\"b1-0\"") != std::string::npos);
      BOOST_TEST(all[89].body.find("\"b29-2\"") != std::string::npos);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_small_scan_budget_still_pages_through_every_match, store_dir) {
  message_store s(options());
  std::vector<msg> v;
  for (int i = 0; i < 300; ++i)
    v.push_back({"{\"n\":" + std::to_string(i) + "}", "",
                 i % 10 == 0 ? message_level::error : message_level::info});
  auto b = make_batch(v);
  auto out = commit(s, {job(b, 1, 7), job(b, 1, 30)}, at(D));
  BOOST_REQUIRE(!out[0].ec);
  BOOST_REQUIRE(!out[1].ec);

  message_query q;
  q.system_id = 1;
  q.level = message_level::error;
  q.limit = 4;
  q.scan_budget = 15;
  std::size_t pages = 0;
  auto all = read_all(s, q, &pages);
  BOOST_TEST(all.size() == 60u);
  BOOST_TEST(pages > 15u); // budget-limited pages
  std::set<std::uint64_t> ids;
  for (const auto& m : all) {
    BOOST_TEST((m.level == message_level::error));
    ids.insert(m.id);
  }
  BOOST_TEST(ids.size() == 60u);
}

BOOST_FIXTURE_TEST_CASE(since_and_until_bound_the_time_range, store_dir) {
  message_store s(options());
  auto b = bodies(1);
  std::vector<std::uint64_t> ids;
  for (int h = 0; h < 48; h += 6) {
    commit_one(s, job(b, 1), at(D, h));
    ids.push_back(static_cast<std::uint64_t>(at(D, h)));
  }
  message_query q;
  q.system_id = 1;
  q.since_us = at(D, 6);
  q.until_us = at(D, 30); // exclusive
  auto got = read_all(s, q);
  BOOST_REQUIRE_EQUAL(got.size(), 4u); // 6, 12, 18, 24
  BOOST_TEST(got.front().id == ids[1]);
  BOOST_TEST(got.back().id == ids[4]);
  q.until_us = q.since_us;
  auto empty = s.query(q);
  BOOST_TEST(empty.items.empty());
  BOOST_TEST(!empty.next_cursor);
}

BOOST_FIXTURE_TEST_CASE(systems_interleaved_in_one_day_bucket_all_read_back, store_dir) {
  // Keys are system id + message id: a lower system written after a higher
  // one lands before it in the bucket (no append fast path), a higher one
  // after it again (append).
  message_store s(options());
  auto b = bodies(3);
  for (int round = 0; round < 4; ++round)
    for (std::uint64_t system : {9, 2, 5})
      commit_one(s, job(b, system), at(D) + round * 10);
  for (std::uint64_t system : {9, 2, 5}) {
    auto all = read_all(s, system);
    BOOST_REQUIRE_EQUAL(all.size(), 12u);
    for (std::size_t i = 1; i < all.size(); ++i)
      BOOST_TEST(all[i].id > all[i - 1].id);
    for (const auto& m : all)
      BOOST_TEST(m.system_id == system);
  }
}

BOOST_FIXTURE_TEST_CASE(writing_continues_normally_after_buckets_were_dropped, store_dir) {
  message_store s(options());
  auto b = make_batch({{"{\"n\":1}", "k1"}, {"{\"n\":2}", "k2"}});
  commit_one(s, job(b, 7), at(D));
  commit_one(s, job(b, 3), at(D + 1));
  auto r = s.sweep(at(D + 30));
  BOOST_TEST(r.message_buckets_dropped == 2u);
  BOOST_TEST(r.dedup_buckets_dropped == 2u);
  // New buckets may reuse the dropped handles' numbers.
  for (int day = 31; day < 37; day += 2) // 2 days apart: outside the dedup window
    for (std::uint64_t system : {1, 7, 3})
      BOOST_TEST(commit_one(s, job(b, system), at(D + day)).accepted == 2u);
  for (std::uint64_t system : {1, 7, 3})
    BOOST_TEST(read_all(s, system).size() == 6u);
}

BOOST_FIXTURE_TEST_CASE(queries_run_safely_while_buckets_come_and_go, store_dir) {
  message_store s(options());
  std::atomic<bool> done{false};
  std::atomic<std::size_t> bad{0};
  std::atomic<std::size_t> queries{0};
  std::thread reader([&] {
    while (!done.load()) {
      message_query q;
      q.system_id = 1;
      q.limit = 20;
      std::uint64_t wm = s.watermark();
      auto page = s.query(q);
      for (std::size_t i = 0; i < page.items.size(); ++i) {
        if (i > 0 && page.items[i].id <= page.items[i - 1].id)
          ++bad;
        if (page.items[i].id > s.watermark() || page.items[i].body.empty())
          ++bad;
      }
      (void)wm;
      ++queries;
    }
  });
  auto b = make_batch({{"{\"x\":1}", "same"}, {"{\"x\":2}"}});
  for (int day = 0; day < 40; ++day) {
    for (int cls : {7, 30})
      BOOST_REQUIRE(!commit(s, {job(b, 1, cls)}, at(D + day))[0].ec);
    s.sweep(at(D + day));
  }
  done = true;
  reader.join();
  BOOST_TEST(bad.load() == 0u);
  BOOST_TEST(queries.load() > 0u);
  // 7-day class: the last days that are not yet expired remain.
  auto left = read_all(s, 1);
  BOOST_TEST(!left.empty());
  BOOST_TEST(left.size() < 160u);
}

BOOST_AUTO_TEST_SUITE_END()
