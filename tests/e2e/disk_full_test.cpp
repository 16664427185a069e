// Readiness, and a real full disk: sluiced with its data directory on a small
// tmpfs, filled by ingest until writes are refused. Mounting needs root (CI
// runs as root); elsewhere the disk test says why and skips.

#include <boost/test/unit_test.hpp>

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

/// A tmpfs of `bytes` mounted on a fresh temporary directory, unmounted on
/// destruction. `why` says what went wrong when it could not be mounted.
class tmpfs_mount {
public:
  explicit tmpfs_mount(std::size_t bytes) {
    path_ = dir_.path() / "mnt";
    std::filesystem::create_directory(path_);
    if (::geteuid() != 0) {
      why_ = "mounting a tmpfs needs root (euid " + std::to_string(::geteuid()) + ")";
      return;
    }
    auto options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", path_.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      why_ = std::string{"mount -t tmpfs failed: "} + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~tmpfs_mount() {
    // The fixture (declared after the mount) stopped the server already.
    if (mounted_ && ::umount2(path_.c_str(), MNT_DETACH) != 0)
      BOOST_TEST_MESSAGE("umount " << path_ << ": " << std::strerror(errno));
  }
  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  bool mounted() const noexcept { return mounted_; }
  const std::string& why() const noexcept { return why_; }
  const std::filesystem::path& path() const noexcept { return path_; }

private:
  temp_dir dir_;
  std::filesystem::path path_;
  bool mounted_ = false;
  std::string why_;
};

/// Skips a test (Boost.Test precondition) where no tmpfs can be mounted:
/// not root, or no right to mount in this container. The reason is printed.
boost::test_tools::assertion_result can_mount_tmpfs(boost::unit_test::test_unit_id) {
  tmpfs_mount probe{1u << 20};
  boost::test_tools::assertion_result ok{probe.mounted()};
  if (!probe.mounted()) {
    ok.message() << "a disk-full test needs a tmpfs: " << probe.why();
    std::printf("disk_full: SKIPPED: %s\n", probe.why().c_str());
  }
  return ok;
}

/// A batch of `n` messages of about `bytes` each, with ids id-<first>….
std::string batch_of(int first, int n, std::size_t bytes) {
  std::string out = "[";
  for (int i = 0; i < n; ++i) {
    if (i)
      out += ',';
    out += R"({"id":"id-)" + std::to_string(first + i) + R"(","message":")"
           + std::string(bytes, 'x') + R"("})";
  }
  return out + "]";
}

/// The other doors' bodies: `n` records of about `bytes` each. Large enough
/// (n = 200: ~200 KB) that no page LMDB freed earlier can hold them.
std::string otlp_logs_of(int n, std::size_t bytes) {
  std::string records;
  for (int i = 0; i < n; ++i)
    records += std::string{i ? "," : ""}
               + R"({"timeUnixNano":"1733000000123456789","body":{"stringValue":")"
               + std::string(bytes, 'o') + R"("}})";
  return R"({"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[)" + records
         + "]}]}]}";
}

std::string langfuse_of(int n, std::size_t bytes) {
  std::string events;
  for (int i = 0; i < n; ++i)
    events +=
      std::string{i ? "," : ""} + R"({"id":"ev-)" + std::to_string(i)
      + R"(","type":"trace-create","timestamp":"2024-12-01T10:00:00.000Z","body":{"id":"tr-)"
      + std::to_string(i) + R"(","name":")" + std::string(bytes, 'l') + R"("}})";
  return R"({"batch":[)" + events + "]}";
}

/// A 507 as every door answers it: the JSON error and Retry-After.
void expect_full(const http_result& r, const std::string& door) {
  BOOST_TEST_CONTEXT(door) {
    expect_error(r, 507, "storage_full");
    BOOST_TEST(r.header("retry-after") == "30");
    BOOST_TEST(r.header("content-type") == "application/json");
  }
}

/// Every stored message's id, with how often it was read back.
std::map<std::string, int> stored_ids(sluice_fixture& f) {
  std::map<std::string, int> out;
  for (auto& m : f.read_messages(f.last_system()))
    ++out[m.str("/body/id")];
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(disk_full)

BOOST_AUTO_TEST_CASE(readyz_is_ready_on_both_ports_and_healthz_is_alive) {
  // 1 MiB of free disk is enough here: the test must not depend on how full
  // the machine's disk is.
  sluice_fixture f{{"--storage.ready-min-free-disk-bytes=1048576"}};
  for (auto port : {f.server().ingest_port(), f.server().admin_port()}) {
    http_client c{port};
    auto r = c.get("/readyz");
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(r.body == R"({"status":"ready"})");
    BOOST_TEST(r.header("content-type") == "application/json");
    BOOST_TEST(c.request("HEAD", "/readyz").status == 200u);
    BOOST_TEST(c.get("/healthz").body == R"({"status":"ok"})");
    expect_error(c.post("/readyz", "{}"), 405, "method_not_allowed");
    expect_error(c.get("/readyz?verbose=1"), 400, "invalid_argument");
  }
}

BOOST_AUTO_TEST_CASE(readyz_names_the_disk_when_free_room_is_below_its_threshold) {
  // No file system has this much free: the disk check fails at once.
  sluice_fixture f{{"--storage.ready-min-free-disk-bytes=1125899906842624"}}; // 1 PiB
  auto r = f.ingest().get("/readyz");
  BOOST_TEST(r.status == 503u);
  json j{r.body};
  BOOST_TEST(j.str("/status") == "not_ready");
  BOOST_TEST_REQUIRE(j.size("/failing") == 1u);
  BOOST_TEST(j.str("/failing/0/check") == "disk");
  BOOST_TEST(j.str("/failing/0/message").find("storage.ready-min-free-disk-bytes")
             != std::string::npos);
  // Not ready is not refusing: writes still go through while there is room.
  auto tok = f.ingest_token();
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"still taken"})").status == 202u);
  BOOST_TEST(f.admin().get("/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_full_disk_is_507_with_retry_after_keeps_every_ack_and_recovers,
                     *boost::unit_test::precondition(can_mount_tmpfs)) {
  // 12 MiB of tmpfs, 4 MiB of it taken by a file the "operator" deletes
  // later. LMDB's maps (64 MiB by default) are larger than the file system,
  // so the disk fills up before any map does.
  tmpfs_mount mnt{12u << 20};
  BOOST_REQUIRE_MESSAGE(mnt.mounted(), mnt.why());
  auto filler = mnt.path() / "filler";
  {
    std::ofstream out{filler, std::ios::binary};
    std::string mib(1u << 20, '\0');
    for (int i = 0; i < 4; ++i)
      out.write(mib.data(), static_cast<std::streamsize>(mib.size()));
    BOOST_REQUIRE(out.good());
  }
  // Readiness turns at 1 MiB free, looked at every 50 ms. The write-ahead
  // log is made small (it is preallocated: 64 MiB would not fit at all).
  sluice_fixture f{mnt.path() / "var",
                   {"--storage.ready-min-free-disk-bytes=1048576",
                    "--storage.ready-check-interval=50ms",
                    "--storage.write-ahead-log-size=1048576"}};
  auto tok = f.ingest_token("enterprise");
  // Minted now: minting is a metadata write, which a full disk refuses too.
  auto hook = f.mint(f.last_system(), R"({"name":"hook","kind":"webhook"})");
  auto c = f.ingest();
  BOOST_TEST(c.get("/readyz").status == 200u);

  // Ingest batches of 40 messages of ~1 KB, each with its own id, until a
  // write is refused; after each 202 wait out the readiness interval and ask.
  std::set<std::string> acked;
  bool unready_before_refusal = false;
  http_result last;
  int next = 0;
  for (int round = 0; round < 2000; ++round) {
    last = post_messages(c, tok.secret, batch_of(next, 40, 1000));
    if (last.status != 202)
      break;
    for (int i = 0; i < 40; ++i)
      acked.insert("id-" + std::to_string(next + i));
    next += 40;
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    auto ready = c.get("/readyz");
    if (ready.status == 503) {
      unready_before_refusal = true;
      BOOST_TEST(ready.body.find(R"("check":"disk")") != std::string::npos, ready.body);
    }
  }
  BOOST_TEST_MESSAGE("disk_full: " << acked.size() << " messages acknowledged before the refusal");
  BOOST_TEST(acked.size() > 0u);
  expect_error(last, 507, "storage_full");
  BOOST_TEST(last.header("retry-after") == "30");
  BOOST_TEST(last.header("content-type") == "application/json");
  BOOST_TEST(unready_before_refusal, "readiness turned 503 before the first 507");
  // The other doors answer the same.
  expect_full(c.request("POST", "/otlp/v1/logs", otlp_logs_of(200, 1000), bearer(tok.secret)),
              "otlp");
  expect_full(
    c.request("POST", "/api/public/ingestion", langfuse_of(200, 1000), bearer(tok.secret)),
    "langfuse");
  expect_full(c.post("/webhooks/" + hook.secret, batch_of(2'000'000, 200, 1000)), "webhook");

  // Not ready now, yet alive; and every acknowledged message is there, once.
  auto ready = c.get("/readyz");
  BOOST_TEST(ready.status == 503u);
  BOOST_TEST(ready.body.find(R"("check":"commit")") != std::string::npos, ready.body);
  BOOST_TEST(c.get("/healthz").status == 200u);
  auto stored = stored_ids(f);
  std::size_t lost = 0, twice = 0;
  for (auto& id : acked)
    if (auto it = stored.find(id); it == stored.end())
      ++lost;
    else if (it->second > 1)
      ++twice;
  BOOST_TEST(lost == 0u);
  BOOST_TEST(twice == 0u);
  // Usage: the refused commits count as storage errors, not as acknowledged
  // (the token and its system counted them when they let them on; the failed
  // commit took that back before the 507 went out).
  auto a = f.admin();
  auto su = bearer(f.superuser());
  json t{a.get("/api/v1/tokens/" + tok.id + "/usage", su).body};
  json sys{a.get("/api/v1/systems/" + f.last_system() + "/usage", su).body};
  BOOST_TEST(t.num("/totals/requests") == static_cast<std::int64_t>(acked.size() / 40));
  BOOST_TEST(t.num("/totals/messages") == static_cast<std::int64_t>(acked.size()));
  BOOST_TEST(t.num("/totals/rejected/storage_error") == 3); // native, OTLP, Langfuse
  BOOST_TEST(sys.num("/totals/requests") == static_cast<std::int64_t>(acked.size() / 40));
  BOOST_TEST(sys.num("/totals/messages") == static_cast<std::int64_t>(acked.size()));
  BOOST_TEST(sys.num("/totals/rejected/storage_error") == 4); // and the webhook's

  // The operator frees room. With no traffic, the server's probe write finds
  // out: readiness comes back, then ingest goes on without a restart.
  std::filesystem::remove(filler);
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    back = c.get("/readyz").status == 200;
  }
  BOOST_TEST(back, "readiness is back within 5 s of freeing room");
  auto again = post_messages(c, tok.secret, batch_of(1'000'000, 40, 1000));
  BOOST_TEST(again.status == 202u, again.body);
  stored = stored_ids(f);
  BOOST_TEST(stored.count("id-1000000") == 1u);
  for (auto& id : acked)
    BOOST_TEST_REQUIRE(stored.count(id) == 1u, id);
}

BOOST_AUTO_TEST_SUITE_END()
