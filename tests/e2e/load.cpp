#include "tests/e2e/load.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace sluice::e2e {

std::uint64_t load_result::answers() const {
  std::uint64_t n = 0;
  for (auto& [status, count] : statuses)
    n += count;
  return n;
}

std::string load_result::by_status() const {
  std::string out;
  for (auto& [status, count] : statuses)
    out += std::to_string(status) + ": " + std::to_string(count) + "  ";
  return out;
}

load_result hammer(const sluiced_process& server, const std::string& secret,
                   const std::string& body, int connections, std::chrono::milliseconds duration) {
  return hammer(server, std::vector<std::string>{secret}, body, connections, duration);
}

load_result hammer(const sluiced_process& server, const std::vector<std::string>& secrets,
                   const std::string& body, int connections, std::chrono::milliseconds duration) {
  return hammer_calls(server.ingest_port(), connections, duration,
                      [&](http_client& c, std::size_t i) {
                        return c.post("/messages", body, bearer(secrets[i % secrets.size()]));
                      });
}

load_result hammer_calls(std::uint16_t port, int connections, std::chrono::milliseconds duration,
                         const std::function<http_result(http_client&, std::size_t)>& call) {
  using clock = std::chrono::steady_clock;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::atomic<bool> stop{false};
  std::mutex mtx;
  load_result result;
  std::vector<std::thread> threads;
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      http_client c{port};
      auto next = static_cast<std::size_t>(i);
      std::map<unsigned, std::uint64_t> statuses;
      std::uint64_t accepted = 0;
      ++ready;
      while (!go)
        std::this_thread::yield();
      while (!stop) {
        auto r = call(c, next++);
        ++statuses[r.status];
        if (r.status == 202) {
          // {"accepted":n,…}: read n without a JSON parser per answer.
          auto at = r.body.find("\"accepted\":");
          if (at != std::string::npos)
            accepted += std::stoull(r.body.substr(at + 11));
        }
      }
      std::lock_guard guard{mtx};
      for (auto& [s, n] : statuses)
        result.statuses[s] += n;
      result.accepted_messages += accepted;
    });
  }
  while (ready < connections)
    std::this_thread::yield();
  // Every client is connected: the clock starts now.
  auto start = clock::now();
  go = true;
  std::this_thread::sleep_for(duration);
  stop = true;
  auto stopped = clock::now();
  for (auto& t : threads)
    t.join();
  auto end = clock::now();
  result.sending_s = std::chrono::duration<double>(stopped - start).count();
  result.elapsed_s = std::chrono::duration<double>(end - start).count();
  return result;
}

} // namespace sluice::e2e
