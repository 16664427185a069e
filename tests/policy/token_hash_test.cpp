#include <boost/test/unit_test.hpp>

#include "policy/token_format.hpp"
#include "policy/token_hash.hpp"

using namespace sluice;

BOOST_AUTO_TEST_SUITE(token_hash_suite)

BOOST_AUTO_TEST_CASE(the_same_secret_and_pepper_give_the_same_hash) {
  auto p = generate_pepper();
  auto secret = generate_secret(token_kind::ingest);
  BOOST_TEST(hashes_equal(hash_secret(p, secret), hash_secret(p, secret)));
}

BOOST_AUTO_TEST_CASE(hashing_is_keyed_by_the_pepper) {
  auto secret = generate_secret(token_kind::ingest);
  auto a = hash_secret(generate_pepper(), secret);
  auto b = hash_secret(generate_pepper(), secret);
  BOOST_TEST(!hashes_equal(a, b));
}

BOOST_AUTO_TEST_CASE(different_secrets_give_different_hashes) {
  auto p = generate_pepper();
  auto a = hash_secret(p, generate_secret(token_kind::ingest));
  auto b = hash_secret(p, generate_secret(token_kind::ingest));
  BOOST_TEST(!hashes_equal(a, b));
}

BOOST_AUTO_TEST_CASE(the_hash_is_blake2b_256_keyed_known_answer) {
  // Known answer computed independently (Python hashlib.blake2b): BLAKE2b-256, key = 32 bytes
  // 0x00..0x1f, message "al_test". Guards against silently changing the construction, which would
  // orphan every stored token.
  pepper p;
  for (std::size_t i = 0; i < p.key.size(); ++i)
    p.key[i] = static_cast<std::uint8_t>(i);
  auto h = hash_secret(p, "al_test");
  static const char* hex = "0123456789abcdef";
  std::string text;
  for (auto b : h) {
    text.push_back(hex[b >> 4]);
    text.push_back(hex[b & 15]);
  }
  BOOST_TEST(text.size() == 64u);
  BOOST_TEST(text == "1f72ddb8bfe76ddbc039f6be7bf0fdb2906ab7559b984055f511b194f51b80b1");
}

BOOST_AUTO_TEST_CASE(the_memo_finds_only_the_exact_last_secret_of_its_owner) {
  auto p = generate_pepper();
  auto a = generate_secret(token_kind::ingest);
  auto b = a;
  b.back() = b.back() == 'x' ? 'y' : 'x'; // same length, last character differs
  secret_hash_memo memo;
  BOOST_TEST(memo.find(1, a) == nullptr); // nothing remembered yet
  memo.remember(1, a, hash_secret(p, a));
  auto* found = memo.find(1, a);
  BOOST_REQUIRE(found != nullptr);
  BOOST_TEST(hashes_equal(*found, hash_secret(p, a)));
  BOOST_TEST(memo.find(1, b) == nullptr);
  BOOST_TEST(!hashes_equal(*found, hash_secret(p, b)));
  BOOST_TEST(memo.find(1, a.substr(0, a.size() - 1)) == nullptr);
  BOOST_TEST(memo.find(1, a + "x") == nullptr);
  BOOST_TEST(memo.find(2, a) == nullptr); // another owner: another pepper
  // The next secret replaces it.
  memo.remember(1, b, hash_secret(p, b));
  BOOST_TEST(memo.find(1, a) == nullptr);
  BOOST_REQUIRE(memo.find(1, b) != nullptr);
  BOOST_TEST(hashes_equal(*memo.find(1, b), hash_secret(p, b)));
}

BOOST_AUTO_TEST_CASE(the_memo_never_finds_a_secret_longer_than_it_keeps) {
  auto p = generate_pepper();
  std::string longer(secret_hash_memo::max_secret_bytes + 1, 'a');
  secret_hash_memo memo;
  memo.remember(1, longer, hash_secret(p, longer));
  BOOST_TEST(memo.find(1, longer) == nullptr);
  // Nor a prefix of it that fits: nothing was remembered.
  BOOST_TEST(memo.find(1, longer.substr(0, secret_hash_memo::max_secret_bytes)) == nullptr);
}

BOOST_AUTO_TEST_SUITE_END()
