// SIGTERM: requests in flight are committed and answered before exit.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(sigterm_answers_what_is_in_flight_and_exits_cleanly) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  std::atomic<bool> stop{false};
  std::atomic<int> accepted{0};
  std::atomic<int> unanswered{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&] {
      auto c = f.ingest();
      std::string batch = "[";
      for (int i = 0; i < 20; ++i)
        batch += std::string{i ? "," : ""} + R"({"message":"m"})";
      batch += "]";
      while (!stop) {
        try {
          auto r = post_messages(c, tok.secret, batch);
          if (r.status == 202)
            accepted += 20;
        } catch (const std::exception&) {
          // Refused or closed: fine once the server stops accepting. A
          // request that was read but never answered would show up as a
          // missing message below, not here.
          ++unanswered;
          return;
        }
      }
    });
  }
  // Until 2,000 accepted, or every writer lost the server (which must not
  // happen before SIGTERM: a sanitizer report stops sluiced).
  while (accepted < 2000 && unanswered < static_cast<int>(writers.size()))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (accepted < 2000) {
    stop = true;
    for (auto& w : writers)
      w.join();
    BOOST_FAIL("sluiced stopped answering before SIGTERM:\n" << f.server().output());
  }
  auto status = f.server().terminate();
  stop = true;
  for (auto& w : writers)
    w.join();
  BOOST_TEST(status == 0);
  BOOST_TEST(f.server().output().find("stopped") != std::string::npos);

  f.restart_after_crash();
  BOOST_TEST(f.read_messages(f.last_system()).size() >= static_cast<std::size_t>(accepted));
}

BOOST_AUTO_TEST_SUITE_END()
