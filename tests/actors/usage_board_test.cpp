// The usage board (actors/usage_board.hpp): token and system actors post
// their usage totals there, and the admin actor takes them all when it
// writes. Only the newest snapshot of each token or system may reach the
// store, and one the admin actor still holds after a failed write is
// replaced by a newer one, never the other way round.

#include "actors/usage_board.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <thread>
#include <vector>

using namespace sluice;

namespace {

token_usage token_with(std::uint64_t requests, std::string ip = "192.0.2.1") {
  token_usage u;
  u.usage.totals.requests = requests;
  u.last_used_at_us = static_cast<std::int64_t>(requests) * 1000;
  u.last_ip = std::move(ip);
  return u;
}

system_usage system_with(std::uint64_t requests) {
  system_usage u;
  u.usage.totals.requests = requests;
  return u;
}

} // namespace

BOOST_AUTO_TEST_SUITE(usage_board_tests)

BOOST_AUTO_TEST_CASE(a_take_hands_over_the_newest_snapshot_of_each_token_and_system) {
  usage_board board;
  board.post_token(1, token_with(5));
  board.post_token(2, token_with(7));
  board.post_token(1, token_with(9, "198.51.100.4"));
  board.post_system(10, system_with(3));
  board.post_system(10, system_with(4));

  usage_board::token_map tokens;
  usage_board::system_map systems;
  board.take(tokens, systems);
  BOOST_TEST(tokens.size() == 2u);
  BOOST_TEST(tokens.at(1).usage.totals.requests == 9u);
  BOOST_TEST(tokens.at(1).last_ip == "198.51.100.4");
  BOOST_TEST(tokens.at(2).usage.totals.requests == 7u);
  BOOST_TEST(systems.size() == 1u);
  BOOST_TEST(systems.at(10).usage.totals.requests == 4u);

  // Taken means gone from the board: the next take brings nothing new.
  tokens.clear();
  systems.clear();
  board.take(tokens, systems);
  BOOST_TEST(tokens.empty());
  BOOST_TEST(systems.empty());
}

BOOST_AUTO_TEST_CASE(what_a_failed_write_kept_is_replaced_by_newer_posts_and_kept_otherwise) {
  usage_board board;
  usage_board::token_map tokens;
  usage_board::system_map systems;
  // Held by the admin actor since a write that failed.
  tokens.emplace(1, token_with(5));
  tokens.emplace(2, token_with(6));
  systems.emplace(10, system_with(11));
  board.post_token(1, token_with(8));
  board.post_system(20, system_with(1));

  board.take(tokens, systems);
  BOOST_TEST(tokens.size() == 2u);
  BOOST_TEST(tokens.at(1).usage.totals.requests == 8u); // the newer post
  BOOST_TEST(tokens.at(2).usage.totals.requests == 6u); // kept for the retry
  BOOST_TEST(systems.size() == 2u);
  BOOST_TEST(systems.at(10).usage.totals.requests == 11u);
  BOOST_TEST(systems.at(20).usage.totals.requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_replaced_snapshot_leaves_its_changed_minutes_to_the_newer_one) {
  // The store rewrites only the minutes a snapshot marks as changed, so the
  // minutes an unwritten snapshot had changed must be rewritten with the
  // newer one's counts.
  usage_board board;
  auto first = token_with(5);
  first.changed = {100, 101};
  board.post_token(1, first);
  auto second = token_with(8);
  second.changed = {103, 103};
  board.post_token(1, second);
  auto sys = system_with(1);
  sys.changed = {101, 101};
  board.post_system(10, sys);

  usage_board::token_map tokens;
  usage_board::system_map systems;
  // After a failed write, the admin actor still holds system 10's snapshot.
  auto kept = system_with(0);
  kept.changed = {99, 99};
  systems.emplace(10, kept);
  board.take(tokens, systems);
  BOOST_TEST(tokens.at(1).usage.totals.requests == 8u);
  BOOST_TEST((tokens.at(1).changed == minute_range{100, 103}));
  BOOST_TEST(systems.at(10).usage.totals.requests == 1u);
  BOOST_TEST((systems.at(10).changed == minute_range{99, 101}));
}

// A token actor spawned again must start from usage the store does not have
// yet (actors/registry.cpp): the board shows a token's newest snapshot until
// the admin actor says it is written, and nothing after.
BOOST_AUTO_TEST_CASE(a_tokens_newest_snapshot_stays_readable_until_it_is_written) {
  usage_board board;
  BOOST_TEST(!board.latest_token(7).has_value());
  board.post_token(7, token_with(5));
  BOOST_REQUIRE(board.latest_token(7).has_value());
  BOOST_TEST(board.latest_token(7)->usage.totals.requests == 5u);
  usage_board::token_map tokens;
  usage_board::system_map systems;
  board.take(tokens, systems);
  // Taken, not written yet (or the write failed): still there.
  BOOST_TEST(board.latest_token(7)->usage.totals.requests == 5u);
  board.post_token(7, token_with(9)); // a newer post wins over the taken one
  BOOST_TEST(board.latest_token(7)->usage.totals.requests == 9u);
  board.written(); // the 5 is in the store; the 9 was not taken yet
  BOOST_TEST(board.latest_token(7)->usage.totals.requests == 9u);
  board.take(tokens, systems);
  board.written();
  BOOST_TEST(!board.latest_token(7).has_value());
}

BOOST_AUTO_TEST_CASE(posts_from_many_threads_all_arrive_with_each_tokens_last_totals) {
  usage_board board;
  constexpr std::uint64_t threads = 4;
  constexpr std::uint64_t tokens_each = 200;
  constexpr std::uint64_t rounds = 50;
  usage_board::token_map taken;
  usage_board::system_map systems;
  std::vector<std::thread> posters;
  // Each thread is the only poster of its tokens (as each token has one
  // actor), and its totals only grow; a taker runs meanwhile.
  for (std::uint64_t t = 0; t < threads; ++t)
    posters.emplace_back([&board, t] {
      for (std::uint64_t r = 1; r <= rounds; ++r)
        for (std::uint64_t k = 0; k < tokens_each; ++k)
          board.post_token(t * tokens_each + k, token_with(r));
    });
  std::thread taker{[&] {
    for (int i = 0; i < 100; ++i)
      board.take(taken, systems);
  }};
  for (auto& p : posters)
    p.join();
  taker.join();
  board.take(taken, systems);
  BOOST_TEST(taken.size() == threads * tokens_each);
  for (auto& [id, u] : taken)
    BOOST_TEST_REQUIRE(u.usage.totals.requests == rounds);
}

BOOST_AUTO_TEST_SUITE_END()
