// The registry's index from token hashes to actors
// (actors/token_hash_index.hpp): every stored hash is found until it is
// erased, none is replaced, and erasing one never hides another, however
// the hashes collide or wrap around the end of the table.

#include "actors/token_hash_index.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstring>
#include <map>
#include <random>

using namespace sluice;

namespace {

/// A hash whose slot bytes (0..7) are `slot_bits` and whose other bytes
/// carry `tag`: hashes with equal slot bits collide at every table size.
token_hash hash_with(std::uint64_t slot_bits, std::uint64_t tag) {
  token_hash h{};
  std::memcpy(h.data(), &slot_bits, sizeof slot_bits);
  std::memcpy(h.data() + 8, &tag, sizeof tag);
  return h;
}

} // namespace

BOOST_AUTO_TEST_SUITE(token_hash_index_suite)

BOOST_AUTO_TEST_CASE(a_stored_hash_is_found_and_never_replaced) {
  token_hash_index<int> index;
  auto a = hash_with(1, 1), b = hash_with(2, 2);
  BOOST_TEST(index.find(a) == nullptr);
  BOOST_TEST(index.insert(a, 10));
  BOOST_TEST(!index.insert(a, 11));
  BOOST_TEST(*index.find(a) == 10);
  BOOST_TEST(index.find(b) == nullptr);
  BOOST_TEST(index.size() == 1u);
}

BOOST_AUTO_TEST_CASE(erasing_one_of_colliding_hashes_keeps_the_others_reachable) {
  // All-ones slot bits: every hash starts in the table's last slot, so the
  // run wraps around to the front.
  for (std::uint64_t victim = 0; victim < 5; ++victim) {
    token_hash_index<int> index;
    for (std::uint64_t t = 0; t < 5; ++t)
      BOOST_TEST(index.insert(hash_with(~0ull, t), static_cast<int>(t) + 1));
    BOOST_TEST(index.erase_unless(hash_with(~0ull, victim), [](int) { return false; }));
    BOOST_TEST(index.find(hash_with(~0ull, victim)) == nullptr);
    for (std::uint64_t t = 0; t < 5; ++t)
      if (t != victim) {
        BOOST_TEST_REQUIRE(index.find(hash_with(~0ull, t)) != nullptr, "victim " << victim);
        BOOST_TEST(*index.find(hash_with(~0ull, t)) == static_cast<int>(t) + 1);
      }
    BOOST_TEST(index.size() == 4u);
  }
}

BOOST_AUTO_TEST_CASE(erase_leaves_a_value_the_caller_keeps) {
  token_hash_index<int> index;
  auto a = hash_with(3, 3);
  index.insert(a, 7);
  BOOST_TEST(!index.erase_unless(a, [](int v) { return v == 7; }));
  BOOST_TEST(*index.find(a) == 7);
  BOOST_TEST(!index.erase_unless(hash_with(4, 4), [](int) { return false; }));
  BOOST_TEST(index.erase_unless(a, [](int v) { return v != 7; }));
  BOOST_TEST(index.size() == 0u);
}

BOOST_AUTO_TEST_CASE(agrees_with_a_map_over_many_inserts_and_erases) {
  // 5,000 hashes, of which every tenth starts in one of the last three
  // slots (runs that collide and wrap) and the rest spread out; the table
  // grows from 16 slots to thousands on the way.
  std::mt19937_64 rng{42};
  token_hash_index<int> index;
  std::map<token_hash, int> oracle;
  // Checked with plain comparisons, failing at the first disagreement: an
  // assertion macro per step would cost more than the index.
  for (int step = 0; step < 100000; ++step) {
    auto id = rng() % 5000;
    auto key = hash_with(id % 10 == 0 ? ~0ull - id % 3 : id * 0x9E3779B97F4A7C15ull, id);
    bool agree = true;
    switch (rng() % 3) {
      case 0: agree = index.insert(key, step + 1) == oracle.emplace(key, step + 1).second; break;
      case 1:
        agree = index.erase_unless(key, [](int) { return false; }) == (oracle.erase(key) == 1);
        break;
      default: {
        auto* found = index.find(key);
        auto it = oracle.find(key);
        agree = found ? it != oracle.end() && *found == it->second : it == oracle.end();
      }
    }
    if (!agree || index.size() != oracle.size())
      BOOST_FAIL("the index and the map disagree at step " << step);
  }
  for (auto& [key, v] : oracle)
    BOOST_TEST_REQUIRE(*index.find(key) == v);
}

BOOST_AUTO_TEST_SUITE_END()
