// The move-only callable that carries each request's completion callback
// (net/small_function.hpp): it calls what it holds, moves it along, and
// destroys it exactly once, whether it keeps it in place or on the heap.

#include "net/small_function.hpp"

#include <boost/test/unit_test.hpp>

#include <array>
#include <memory>
#include <string>

using namespace sluice::net;

namespace {

using callback = small_function<int(std::string&&)>;

/// Counts its live copies, so a test sees every construction and destruction.
struct tracked {
  explicit tracked(int& live) : live_(&live) { ++*live_; }
  tracked(tracked&& o) noexcept : live_(o.live_) { ++*live_; }
  tracked(const tracked& o) : live_(o.live_) { ++*live_; }
  ~tracked() { --*live_; }
  int* live_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(small_function_tests)

BOOST_AUTO_TEST_CASE(a_small_capture_is_kept_in_place_and_a_large_one_on_the_heap) {
  auto shared = std::make_shared<int>(1);
  auto small = [shared](std::string&&) { return *shared; };
  std::array<char, 200> big_state{};
  auto big = [big_state](std::string&&) { return static_cast<int>(big_state.size()); };
  BOOST_TEST(callback::stored_inline<decltype(small)>);
  BOOST_TEST(!callback::stored_inline<decltype(big)>);
  callback a{small}, b{big};
  BOOST_TEST(a("x") == 1);
  BOOST_TEST(b("x") == 200);
}

BOOST_AUTO_TEST_CASE(the_argument_reaches_the_callable_as_an_rvalue_it_can_take) {
  std::string taken;
  callback f{[&taken](std::string&& s) {
    taken = std::move(s);
    return 7;
  }};
  std::string arg(100, 'a'); // longer than any small-string buffer
  BOOST_TEST(f(std::move(arg)) == 7);
  BOOST_TEST(taken == std::string(100, 'a'));
}

BOOST_AUTO_TEST_CASE(moving_hands_the_callable_over_and_leaves_the_source_empty) {
  for (bool large : {false, true}) {
    int live = 0;
    {
      std::array<char, 100> pad{};
      callback first;
      if (large)
        first = [t = tracked{live}, pad](std::string&&) { return static_cast<int>(pad.size()); };
      else
        first = [t = tracked{live}](std::string&&) { return 3; };
      BOOST_TEST(live == 1);
      callback second{std::move(first)};
      BOOST_TEST(!first);
      BOOST_TEST(static_cast<bool>(second));
      BOOST_TEST(live == 1);
      callback third;
      third = std::move(second);
      BOOST_TEST(!second);
      BOOST_TEST(third("") == (large ? 100 : 3));
      BOOST_TEST(live == 1);
    }
    BOOST_TEST(live == 0, "destroyed exactly once (large: " << large << ")");
  }
}

BOOST_AUTO_TEST_CASE(assigning_over_a_callable_destroys_the_old_one) {
  int live_a = 0, live_b = 0;
  callback f{[t = tracked{live_a}](std::string&&) { return 1; }};
  callback g{[t = tracked{live_b}](std::string&&) { return 2; }};
  f = std::move(g);
  BOOST_TEST(live_a == 0);
  BOOST_TEST(live_b == 1);
  BOOST_TEST(f("") == 2);
  f = nullptr;
  BOOST_TEST(live_b == 0);
  BOOST_TEST(!f);
}

BOOST_AUTO_TEST_CASE(a_move_only_capture_is_accepted) {
  auto owned = std::make_unique<int>(42);
  callback f{[p = std::move(owned)](std::string&&) { return *p; }};
  callback g{std::move(f)};
  BOOST_TEST(g("") == 42);
}

BOOST_AUTO_TEST_SUITE_END()
