#include "bench/sluice_bench/check.hpp"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "bench/sluice_bench/admin_api.hpp"
#include "bench/sluice_bench/parallel.hpp"
#include "bench/sluice_bench/progress.hpp"

namespace sluice::bench {

namespace {

constexpr std::size_t max_examples = 10;

/// The message keys of `requests`, by system.
std::vector<std::vector<std::uint64_t>> keys_by_system(const token_set& set,
                                                       const std::vector<sent_request>& requests) {
  std::vector<std::vector<std::uint64_t>> out(set.system_ids.size());
  for (const auto& r : requests) {
    const auto& t = set.tokens[r.token];
    if (t.cls == token_class::invalid)
      continue; // never minted: nothing of it can be stored anywhere
    auto& v = out[t.system];
    for (std::uint32_t m = 0; m < r.messages; ++m)
      v.push_back(r.key + m);
  }
  for (auto& v : out)
    std::sort(v.begin(), v.end());
  return out;
}

} // namespace

check_result check_messages(const bench_options& o, const token_set& set, const std::string& run_id,
                            const load_result& load) {
  auto started = std::chrono::steady_clock::now();
  check_result out;
  out.ran = true;
  out.systems = set.system_ids.size();
  const auto expected = keys_by_system(set, load.acked);
  const auto ambiguous = keys_by_system(set, load.ambiguous);
  for (auto& v : expected)
    out.expected += v.size();
  for (auto& v : ambiguous)
    out.ambiguous += v.size();

  std::mutex mtx; // guards `out` while the systems are read in parallel
  auto problem = [&](std::string text) {
    if (out.examples.size() < max_examples)
      out.examples.push_back(std::move(text));
  };
  progress_bar bar{"check", out.expected, !o.quiet && !o.json};
  parallel_for(o, set.system_ids.size(), [&](admin_client& c, std::size_t s) {
    const auto& sys = set.system_ids[s];
    std::vector<std::uint64_t> got;
    got.reserve(expected[s].size());
    std::uint64_t other = 0, pages = 0;
    std::optional<std::string> cursor;
    do {
      std::uint64_t before = got.size();
      cursor = read_messages_page(c, sys, cursor, [&](std::string_view bseq) {
        if (auto k = parse_bseq(run_id, bseq))
          got.push_back(*k);
        else
          ++other;
      });
      ++pages;
      bar.advance(got.size() - before);
    } while (cursor);
    std::sort(got.begin(), got.end());

    // One merge over the three sorted lists.
    const auto& exp = expected[s];
    const auto& amb = ambiguous[s];
    std::uint64_t found = 0, missing = 0, extra = 0, dup = 0, amb_stored = 0;
    std::vector<std::string> examples;
    auto note = [&](const char* what, std::uint64_t key) {
      if (examples.size() < max_examples)
        examples.push_back(std::string{what} + " " + format_bseq(run_id, key) + " (system " + sys
                           + ")");
    };
    std::size_t e = 0, a = 0;
    for (std::size_t g = 0; g < got.size(); ++g) {
      auto key = got[g];
      if (g > 0 && got[g - 1] == key) {
        ++dup;
        note("stored twice:", key);
        continue;
      }
      while (e < exp.size() && exp[e] < key) {
        ++missing;
        note("missing:", exp[e++]);
      }
      if (e < exp.size() && exp[e] == key) {
        ++found;
        ++e;
        continue;
      }
      while (a < amb.size() && amb[a] < key)
        ++a;
      if (a < amb.size() && amb[a] == key) {
        ++amb_stored;
        continue;
      }
      ++extra;
      note("never acknowledged but stored:", key);
    }
    for (; e < exp.size(); ++e) {
      ++missing;
      note("missing:", exp[e]);
    }

    std::lock_guard guard{mtx};
    out.pages += pages;
    out.found += found;
    out.missing += missing;
    out.extra += extra;
    out.duplicated += dup;
    out.ambiguous_stored += amb_stored;
    out.other += other;
    for (auto& x : examples)
      problem(std::move(x));
  });
  bar.finish();
  out.ok = out.missing == 0 && out.extra == 0 && out.duplicated == 0;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

} // namespace sluice::bench
