// lmdb-baseline: the raw-LMDB yardstick for batch ingest. Appends N records
// (16-byte big-endian keys, so MDB_APPEND holds) into a fresh environment in
// transactions of a given size, each committed with full sync, and prints
// records/s. What Sluice's batch path can at best approach on this disk.

#include <lmdb.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "bench/sluice_bench/histogram.hpp"

namespace {

struct baseline_options {
  std::string dir; ///< empty: a temporary directory, removed at the end
  std::uint64_t records = 1'000'000;
  std::size_t value_bytes = 200;
  std::uint64_t txn_records = 1000;
  bool json = false;
};

constexpr const char* usage_text = R"(usage: lmdb-baseline [flags]

Appends records into a fresh LMDB environment with MDB_APPEND, committing
every --txn-records records with full sync, and prints records/s.

  --dir=DIR            where to create the environment (must not hold one);
                       default: a temporary directory, removed afterwards
  --records=N          records to append (1000000)
  --value-bytes=B      bytes per value; keys are 16 bytes, big-endian (200)
  --txn-records=N      records per transaction (1000)
  --json               one JSON object instead of text
)";

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "lmdb-baseline: %s (see --help)\n", what.c_str());
  std::exit(2);
}

std::uint64_t number(std::string_view flag, const char* v) {
  char* end = nullptr;
  auto n = std::strtoull(v, &end, 10);
  if (*v == '\0' || *end != '\0' || n == 0)
    usage_error("bad value for " + std::string{flag} + ": \"" + v + "\"");
  return n;
}

baseline_options parse(int argc, char** argv) {
  baseline_options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      std::exit(0);
    }
    if (arg == "--json") {
      o.json = true;
      continue;
    }
    auto eq = arg.find('=');
    std::string name{arg.substr(0, eq)};
    const char* value = nullptr;
    if (eq != std::string_view::npos)
      value = argv[i] + eq + 1;
    else if (i + 1 < argc)
      value = argv[++i];
    else
      usage_error(name + " needs a value");
    if (name == "--dir")
      o.dir = value;
    else if (name == "--records")
      o.records = number(name, value);
    else if (name == "--value-bytes")
      o.value_bytes = number(name, value);
    else if (name == "--txn-records")
      o.txn_records = number(name, value);
    else
      usage_error("unknown flag " + name);
  }
  return o;
}

void check(int rc, const char* what) {
  if (rc != MDB_SUCCESS) {
    std::fprintf(stderr, "lmdb-baseline: %s: %s\n", what, mdb_strerror(rc));
    std::exit(1);
  }
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  namespace fs = std::filesystem;
  bool temporary = o.dir.empty();
  if (temporary) {
    std::string tmpl = (fs::temp_directory_path() / "lmdb-baseline-XXXXXX").string();
    if (!::mkdtemp(tmpl.data()))
      usage_error("cannot create a temporary directory");
    o.dir = tmpl;
  } else {
    std::error_code ec;
    fs::create_directories(o.dir, ec);
    if (fs::exists(fs::path{o.dir} / "data.mdb"))
      usage_error(o.dir + " already holds an LMDB environment: the baseline needs a fresh one");
  }

  MDB_env* env = nullptr;
  check(mdb_env_create(&env), "mdb_env_create");
  // Room for every record with generous page overhead, so the map never fills.
  std::uint64_t map =
    std::max<std::uint64_t>(std::uint64_t{1} << 30, o.records * (16 + o.value_bytes + 64) * 2);
  check(mdb_env_set_mapsize(env, map), "mdb_env_set_mapsize");
  // No MDB_NOSYNC / MDB_NOMETASYNC: every commit is durable, as Sluice's are.
  check(mdb_env_open(env, o.dir.c_str(), 0, 0600), "mdb_env_open");
  MDB_dbi dbi = 0;
  {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    check(mdb_dbi_open(txn, nullptr, 0, &dbi), "mdb_dbi_open");
    check(mdb_txn_commit(txn), "mdb_txn_commit");
  }

  std::vector<unsigned char> value(o.value_bytes, 'v');
  unsigned char key[16] = {};
  sluice::bench::latency_histogram commits;
  auto started = std::chrono::steady_clock::now();
  std::uint64_t written = 0;
  while (written < o.records) {
    MDB_txn* txn = nullptr;
    check(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin");
    std::uint64_t end = std::min(o.records, written + o.txn_records);
    for (; written < end; ++written) {
      // Big-endian counter in the last 8 bytes: keys sort in insertion order.
      for (int b = 0; b < 8; ++b)
        key[15 - b] = static_cast<unsigned char>(written >> (8 * b));
      MDB_val k{sizeof key, key};
      MDB_val v{value.size(), value.data()};
      check(mdb_put(txn, dbi, &k, &v, MDB_APPEND), "mdb_put");
    }
    auto before = std::chrono::steady_clock::now();
    check(mdb_txn_commit(txn), "mdb_txn_commit");
    commits.record(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::steady_clock::now() - before)
                                                .count()));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  mdb_env_close(env);
  if (temporary) {
    std::error_code ec;
    fs::remove_all(o.dir, ec);
  }

  double rate = static_cast<double>(o.records) / secs;
  double mb = static_cast<double>(o.records * (16 + o.value_bytes)) / secs / 1e6;
  if (o.json) {
    std::printf("{\"records\":%llu,\"value_bytes\":%zu,\"txn_records\":%llu,\"seconds\":%.3f,"
                "\"records_per_s\":%.1f,\"mb_per_s\":%.1f,\"commit_ms\":{\"p50\":%.3f,"
                "\"p99\":%.3f,\"max\":%.3f}}\n",
                static_cast<unsigned long long>(o.records), o.value_bytes,
                static_cast<unsigned long long>(o.txn_records), secs, rate, mb,
                commits.percentile(50) / 1e6, commits.percentile(99) / 1e6, commits.max() / 1e6);
  } else {
    std::printf("lmdb-baseline: %llu records (16 B key + %zu B value), %llu per txn, MDB_APPEND, "
                "full sync\n",
                static_cast<unsigned long long>(o.records), o.value_bytes,
                static_cast<unsigned long long>(o.txn_records));
    std::printf(
      "  %.2f s, %.0f records/s, %.1f MB/s; commit p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", secs,
      rate, mb, commits.percentile(50) / 1e6, commits.percentile(99) / 1e6, commits.max() / 1e6);
  }
  return 0;
}
