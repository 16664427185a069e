#include "bench/sluice_bench/setup.hpp"

#include <sys/stat.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "bench/sluice_bench/admin_api.hpp"
#include "bench/sluice_bench/parallel.hpp"
#include "bench/sluice_bench/progress.hpp"
#include "policy/token_format.hpp"

namespace sluice::bench {

namespace {

/// Tokens above this many per system are minted through the bulk endpoint.
/// Not higher: every single mint leaves the server a timer (its admin actor's
/// request to the system actor carries a 10 s timeout, which CAF 0.17 keeps
/// after the answer and fires anyway). 10,000 single mints took 9 s and
/// fired their timers during the load measured next; 100 bulk mints do not.
/// Smaller runs (bench/smoke mints 10 per system) still mint one by one.
constexpr unsigned bulk_threshold = 10;
constexpr unsigned bulk_max = 10000;
/// Unknown secrets the mixed scenario cycles through.
constexpr unsigned invalid_pool = 256;

/// Whether the i-th of n items falls into a share `s`: exactly round(n * s)
/// items are picked, spread evenly, so small runs still get their share.
bool picked(std::uint64_t i, double s) {
  return std::llround(static_cast<double>(i + 1) * s) != std::llround(static_cast<double>(i) * s);
}

/// One minting step: `count` tokens of one kind for one system.
struct mint_task {
  std::uint32_t system;
  unsigned count;
  bool limited;
  bool bulk;
};

token_set mint_everything(const bench_options& o) {
  const bool mixed = o.scen == scenario::mixed;
  token_set set;

  std::vector<std::string> tenant_ids(o.tenants);
  {
    progress_bar bar{"tenants", o.tenants, !o.quiet};
    parallel_for(o, o.tenants, [&](admin_client& c, std::size_t i) {
      tenant_ids[i] = create_tenant(c, "bench-" + std::to_string(i), o.tier, o.unlimited);
      bar.advance();
    });
  }

  const std::size_t system_count = std::size_t{o.tenants} * o.systems;
  set.system_ids.resize(system_count);
  {
    progress_bar bar{"systems", system_count, !o.quiet};
    parallel_for(o, system_count, [&](admin_client& c, std::size_t i) {
      set.system_ids[i] =
        create_system(c, tenant_ids[i / o.systems], "bench-" + std::to_string(i % o.systems));
      bar.advance();
    });
  }

  // Classes by global token index, then counted per system: every token of
  // one kind in a system is interchangeable, so only the counts matter.
  std::vector<unsigned> limited_per_system(system_count, 0), revoked_per_system(system_count, 0);
  if (mixed) {
    // Limited ones are picked among the tokens not revoked (j counts those),
    // with the share scaled so that it is a share of all tokens.
    double limited = o.revoked_share < 1 ? o.limited_share / (1 - o.revoked_share) : 0;
    std::uint64_t j = 0;
    for (std::uint64_t i = 0; i < system_count * o.tokens; ++i) {
      auto s = i / o.tokens;
      if (picked(i, o.revoked_share))
        ++revoked_per_system[s];
      else if (picked(j++, limited))
        ++limited_per_system[s];
    }
  }

  const bool bulk = o.tokens > bulk_threshold;
  std::vector<mint_task> tasks;
  for (std::uint32_t s = 0; s < system_count; ++s) {
    auto add = [&](unsigned n, bool limited) {
      while (n > 0) {
        unsigned k = bulk ? std::min(n, bulk_max) : 1;
        tasks.push_back({s, k, limited, bulk});
        n -= k;
      }
    };
    add(o.tokens - limited_per_system[s], false);
    add(limited_per_system[s], true);
  }

  std::vector<std::vector<minted_token>> minted(tasks.size());
  {
    progress_bar bar{"tokens", system_count * o.tokens, !o.quiet};
    std::atomic<bool> bulk_missing{false};
    parallel_for(o, tasks.size(), [&](admin_client& c, std::size_t i) {
      const auto& t = tasks[i];
      mint_spec spec{o.retention_days, t.limited ? o.limited_rate : std::string{}};
      const auto& sys = set.system_ids[t.system];
      if (t.bulk && !bulk_missing.load()) {
        if (auto got = mint_bulk(c, sys, t.count, spec)) {
          minted[i] = std::move(*got);
          bar.advance(t.count);
          return;
        }
        if (!bulk_missing.exchange(true))
          std::fprintf(stderr, "sluice-bench: the server has no bulk mint endpoint "
                               "(POST /api/v1/systems/{id}/tokens/bulk): minting one by one\n");
      }
      minted[i].reserve(t.count);
      for (unsigned k = 0; k < t.count; ++k) {
        minted[i].push_back(mint_token(c, sys, spec));
        bar.advance();
      }
    });
  }

  // Assemble in task order; the first tokens of a system's normal group are
  // the ones revoked at setup.
  std::vector<unsigned> revoked_left = revoked_per_system;
  set.tokens.reserve(system_count * o.tokens + (mixed ? invalid_pool : 0));
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    for (auto& m : minted[i]) {
      bench_token t{std::move(m.id), std::move(m.secret), tasks[i].system, token_class::normal};
      if (tasks[i].limited)
        t.cls = token_class::limited;
      else if (revoked_left[t.system] > 0) {
        --revoked_left[t.system];
        t.cls = token_class::revoked;
      }
      set.tokens.push_back(std::move(t));
    }
  }
  set.minted = set.tokens.size();

  std::vector<std::size_t> to_revoke;
  for (std::size_t i = 0; i < set.minted; ++i)
    if (set.tokens[i].cls == token_class::revoked)
      to_revoke.push_back(i);
  if (!to_revoke.empty()) {
    progress_bar bar{"revoking", to_revoke.size(), !o.quiet};
    parallel_for(o, to_revoke.size(), [&](admin_client& c, std::size_t i) {
      revoke_token(c, set.tokens[to_revoke[i]].id);
      bar.advance();
    });
  }
  return set;
}

token_set load_token_file(const bench_options& o) {
  std::ifstream in{o.token_file};
  if (!in)
    throw std::runtime_error("cannot read --token-file " + o.token_file);
  token_set set;
  std::unordered_map<std::string, std::uint32_t> systems;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream fields{line};
    std::string id, secret, system, cls;
    if (!(fields >> id >> secret >> system))
      throw std::runtime_error(o.token_file + ":" + std::to_string(line_no)
                               + ": want \"tok_id secret system_id [class]\"");
    bench_token t{std::move(id), std::move(secret), 0, token_class::normal};
    if (fields >> cls) {
      auto c = parse_token_class(cls);
      if (!c || *c == token_class::invalid)
        throw std::runtime_error(o.token_file + ":" + std::to_string(line_no) + ": bad class \""
                                 + cls + "\"");
      t.cls = *c;
    }
    auto [it, fresh] =
      systems.try_emplace(system, static_cast<std::uint32_t>(set.system_ids.size()));
    if (fresh)
      set.system_ids.push_back(system);
    t.system = it->second;
    set.tokens.push_back(std::move(t));
  }
  if (set.tokens.empty())
    throw std::runtime_error("--token-file " + o.token_file + " holds no tokens");
  set.minted = set.tokens.size();
  return set;
}

} // namespace

token_set prepare_tokens(const bench_options& o) {
  token_set set = o.token_file.empty() ? mint_everything(o) : load_token_file(o);
  if (o.scen == scenario::mixed) {
    // Well-formed (right prefix, length and checksum) but never minted: the
    // server has to hash and look them up before it can refuse them.
    for (unsigned i = 0; i < invalid_pool; ++i)
      set.tokens.push_back({{}, generate_secret(token_kind::ingest), 0, token_class::invalid});
  }
  return set;
}

void save_tokens(const token_set& set, const std::string& path) {
  // Secrets: readable by the owner only, like the server's bootstrap file.
  auto tmp = path + ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out)
      throw std::runtime_error("cannot write " + tmp);
    ::chmod(tmp.c_str(), 0600);
    for (std::size_t i = 0; i < set.minted; ++i) {
      const auto& t = set.tokens[i];
      out << t.id << ' ' << t.secret << ' ' << set.system_ids[t.system] << ' ' << to_string(t.cls)
          << '\n';
    }
    if (!out.flush())
      throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

} // namespace sluice::bench
