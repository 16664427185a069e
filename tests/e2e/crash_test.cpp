// Durability: a SIGKILL mid-stream loses nothing that was acknowledged and
// leaves no half of a batch.

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

BOOST_AUTO_TEST_SUITE(crash)

namespace {

/// Six writers ingest batches of 1 to 25 messages, each with its own id,
/// into two retention classes; sluiced is killed with SIGKILL after 300
/// acknowledged requests, started again, and every acknowledged message
/// must be read back, every stored batch whole.
void sigkill_keeps_what_was_acknowledged(const std::vector<std::string>& args) {
  sluice_fixture f{args};
  auto tok = f.ingest_token("enterprise", R"({"name":"app","retention_days":365})");
  auto short_tok = f.mint(f.last_system(), R"({"name":"short","retention_days":7})");

  std::mutex mtx;
  std::set<std::string> acked;            // message ids acknowledged
  std::map<std::string, int> batch_sizes; // batch tag -> messages in it
  std::atomic<bool> stop{false};
  std::atomic<int> acked_requests{0};
  std::atomic<int> writers_gone{0}; // writers that lost the server
  std::vector<std::thread> writers;
  for (int t = 0; t < 6; ++t) {
    writers.emplace_back([&, t] {
      auto c = f.ingest();
      auto& secret = t % 2 ? short_tok.secret : tok.secret;
      for (int b = 0; !stop; ++b) {
        auto tag = "t" + std::to_string(t) + "b" + std::to_string(b);
        int n = 1 + (b * 7 + t) % 25; // singles and batches up to 25
        std::string body = "[";
        std::vector<std::string> ids;
        for (int i = 0; i < n; ++i) {
          ids.push_back(tag + "m" + std::to_string(i));
          body += std::string{i ? "," : ""} + R"({"message":"crash test","id":")" + ids.back()
                  + R"(","batch":")" + tag + R"(","n":)" + std::to_string(n) + "}";
        }
        body += "]";
        try {
          auto r = post_messages(c, secret, body);
          if (r.status != 202)
            continue;
          std::lock_guard guard{mtx};
          acked.insert(ids.begin(), ids.end());
          batch_sizes[tag] = n;
          ++acked_requests;
        } catch (const std::exception&) {
          ++writers_gone;
          return; // the server is gone
        }
      }
    });
  }
  // Until 300 acknowledged requests, or every writer lost the server (which
  // must not happen before the kill: a sanitizer report stops sluiced).
  while (acked_requests < 300 && writers_gone < static_cast<int>(writers.size()))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (acked_requests < 300) {
    stop = true;
    for (auto& w : writers)
      w.join();
    BOOST_FAIL("sluiced stopped answering before the kill:\n" << f.server().output());
  }
  f.server().kill(); // SIGKILL while the writers are still sending
  stop = true;
  for (auto& w : writers)
    w.join();
  BOOST_TEST_MESSAGE("acknowledged " << acked.size() << " messages before the kill");

  f.restart_after_crash(args);
  auto msgs = f.read_messages(f.last_system());
  std::set<std::string> stored;
  std::map<std::string, int> stored_per_batch;
  std::map<std::string, int> declared;
  for (auto& m : msgs) {
    stored.insert(m.str("/body/id"));
    auto tag = m.str("/body/batch");
    ++stored_per_batch[tag];
    declared[tag] = static_cast<int>(m.num("/body/n"));
  }
  BOOST_TEST(stored.size() == msgs.size()); // no message twice
  std::size_t missing = 0;
  for (auto& id : acked)
    missing += stored.count(id) ? 0 : 1;
  BOOST_TEST(missing == 0u);
  // Every batch present is whole, acknowledged or not (one was in flight).
  for (auto& [tag, count] : stored_per_batch)
    BOOST_TEST(count == declared[tag], "batch " << tag);
  BOOST_TEST(msgs.size() >= acked.size());
}

} // namespace

BOOST_AUTO_TEST_CASE(sigkill_mid_stream_keeps_every_acknowledged_message_and_no_half_batch) {
  // The default: groups durable through the write-ahead log, one log write
  // at a time; the restart puts the last checkpoint back and applies the
  // log after it.
  sigkill_keeps_what_was_acknowledged({});
}

BOOST_AUTO_TEST_CASE(with_two_log_writes_in_flight_sigkill_keeps_every_acknowledged_message) {
  // storage.log-writes-in-flight=2: the store's log writers write the frames.
  sigkill_keeps_what_was_acknowledged({"--storage.log-writes-in-flight=2"});
}

BOOST_AUTO_TEST_CASE(with_many_log_writes_in_flight_sigkill_keeps_every_acknowledged_message) {
  // Up to 8 frames under way when the process dies: later ones may be on
  // disk past earlier ones that are not.
  sigkill_keeps_what_was_acknowledged({"--storage.log-writes-in-flight=8"});
}

BOOST_AUTO_TEST_CASE(without_the_write_ahead_log_sigkill_keeps_every_acknowledged_message) {
  // storage.write-ahead-log-size=0: every group commit flushes LMDB itself.
  sigkill_keeps_what_was_acknowledged({"--storage.write-ahead-log-size=0"});
}

BOOST_AUTO_TEST_SUITE_END()
