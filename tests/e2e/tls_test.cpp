// HTTPS on both ports, with a certificate each test makes for itself (the
// openssl command line; no key is ever committed): curl and the test client
// succeed, plain HTTP and TLS 1.1 are refused, and SIGHUP swaps the
// certificate for new connections while an open one keeps working.

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A self-signed certificate for 127.0.0.1 (P-256, valid one day) written to
/// `cert` and `key`; `name` goes into its subject, so two are told apart.
void make_certificate(const fs::path& cert, const fs::path& key, const std::string& name) {
  auto r = run_shell("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
                     "-nodes -days 1 -subj /CN="
                     + name + " -addext subjectAltName=IP:127.0.0.1 -keyout " + key.string()
                     + " -out " + cert.string() + " 2>&1");
  BOOST_REQUIRE_MESSAGE(r.status == 0, "openssl req failed: " + r.output);
}

/// Certificate files in a directory of their own, and sluiced's TLS options.
struct certificates {
  certificates() {
    make_certificate(cert(), key(), "sluice-e2e-1");
    fs::copy_file(cert(), first_cert());
  }
  fs::path cert() const { return dir.path() / "cert.pem"; }
  fs::path key() const { return dir.path() / "key.pem"; }
  /// A copy of the first certificate, to trust it after cert() is replaced.
  fs::path first_cert() const { return dir.path() / "first.pem"; }
  std::vector<std::string> args(bool ingest, bool admin) const {
    std::vector<std::string> a{"--tls.cert-file=" + cert().string(),
                               "--tls.key-file=" + key().string()};
    if (ingest)
      a.push_back("--ingest.tls");
    if (admin)
      a.push_back("--admin.tls");
    return a;
  }
  temp_dir dir;
};

/// curl against 127.0.0.1:`port` with `options`: the exit status and, with
/// -w, the HTTP status.
shell_result curl(std::uint16_t port, const std::string& scheme, const std::string& options,
                  const std::string& path = "/healthz") {
  return run_shell("curl -s -o /dev/null -w '%{http_code}' --max-time 10 " + options + " " + scheme
                   + "://127.0.0.1:" + std::to_string(port) + path + " 2>&1");
}

/// Waits until `text` shows up in the server's output (or 5 s pass).
bool wait_for_output(const sluiced_process& s, const std::string& text) {
  for (int i = 0; i < 500; ++i) {
    if (s.output().find(text) != std::string::npos)
      return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls)

BOOST_AUTO_TEST_CASE(both_ports_serve_https_to_curl_and_the_test_client) {
  certificates certs;
  temp_dir data;
  sluiced_process s(data.path(), certs.args(true, true));
  BOOST_TEST(
    s.output().find("ingest listening on 127.0.0.1:" + std::to_string(s.ingest_port()) + " (TLS)")
    != std::string::npos);
  // The banner's URLs are ones a person can paste: https.
  BOOST_TEST(s.output().find("ingest URL:  https://127.0.0.1:" + std::to_string(s.ingest_port()))
               != std::string::npos,
             s.output());
  BOOST_TEST(s.output().find("admin URL:   https://127.0.0.1:") != std::string::npos, s.output());
  const auto ca = "--cacert " + certs.cert().string();
  for (auto port : {s.ingest_port(), s.admin_port()}) {
    auto r = curl(port, "https", ca);
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output == "200");
  }
  // Without trusting the certificate, curl refuses it (60: peer certificate).
  BOOST_TEST(curl(s.ingest_port(), "https", "").status == 60);

  // The whole path through TLS: a tenant, a system and a token on the admin
  // port, a message on the ingest port, read back.
  const auto su = s.superuser_token();
  http_client admin(s.admin_port(), certs.cert().string());
  auto t = admin.post("/api/v1/tenants", R"({"name":"tls","tier":"pro"})", bearer(su));
  BOOST_REQUIRE_EQUAL(t.status, 201u);
  auto tenant = json{t.body}.str("/id");
  auto sys = admin.post("/api/v1/tenants/" + tenant + "/systems", R"({"name":"s"})", bearer(su));
  BOOST_REQUIRE_EQUAL(sys.status, 201u);
  auto system = json{sys.body}.str("/id");
  auto tok = admin.post("/api/v1/systems/" + system + "/tokens", R"({"name":"t"})", bearer(su));
  BOOST_REQUIRE_EQUAL(tok.status, 201u);
  http_client ingest(s.ingest_port(), certs.cert().string());
  for (int i = 0; i < 3; ++i) {
    auto r = post_messages(ingest, json{tok.body}.str("/secret"), R"({"message":"over tls"})");
    BOOST_TEST(r.status == 202u, r.body);
  }
  BOOST_TEST(ingest.connections() == 1u); // keep-alive over TLS
  auto read = admin.get("/api/v1/systems/" + system + "/messages", bearer(su));
  BOOST_TEST(read.status == 200u);
  BOOST_TEST(read.body.find("over tls") != std::string::npos);
  // A body announced with Expect: 100-continue goes through TLS too.
  auto r = curl(s.ingest_port(), "https",
                ca + " -H 'Authorization: Bearer " + json{tok.body}.str("/secret")
                  + "' -H 'Expect: 100-continue' -H 'Content-Type: application/json' "
                    "--data-binary '{\"message\":\"continued\"}'",
                "/messages");
  BOOST_TEST(r.output == "202");
  BOOST_TEST(s.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(plain_http_and_tls_1_1_are_refused_cleanly) {
  certificates certs;
  temp_dir data;
  sluiced_process s(data.path(), certs.args(true, true));
  const auto ca = "--cacert " + certs.cert().string();
  for (auto port : {s.ingest_port(), s.admin_port()}) {
    // Plain HTTP: no HTTP answer, the connection is closed at once
    // (curl 52: empty reply, 56: failure receiving).
    const auto t0 = std::chrono::steady_clock::now();
    auto plain = curl(port, "http", "");
    BOOST_TEST((plain.status == 52 || plain.status == 56), plain.status << " " << plain.output);
    const bool quick = std::chrono::steady_clock::now() - t0 < 5s;
    BOOST_TEST(quick);
    // TLS 1.1, offered by a client that allows it (security level 0): the
    // server answers with a protocol_version alert (curl 35).
    auto old = run_shell("curl -sv -o /dev/null --max-time 10 " + ca
                         + " --tls-max 1.1 --ciphers DEFAULT@SECLEVEL=0 https://127.0.0.1:"
                         + std::to_string(port) + "/healthz 2>&1; echo \"exit=$?\"");
    BOOST_TEST(old.output.find("exit=35") != std::string::npos, old.output);
    BOOST_TEST(old.output.find("alert protocol version") != std::string::npos, old.output);
    // TLS 1.2 and 1.3 are served.
    BOOST_TEST(curl(port, "https", ca + " --tls-max 1.2").output == "200");
    BOOST_TEST(curl(port, "https", ca + " --tlsv1.3").output == "200");
  }
  // The server is unharmed: raw garbage, then a real request.
  {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(s.ingest_port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    BOOST_TEST(::send(fd, req.data(), req.size(), MSG_NOSIGNAL)
               == static_cast<ssize_t>(req.size()));
    std::string got;
    char buf[512];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
    BOOST_TEST(got.find("HTTP/1.1") == std::string::npos, got); // no HTTP answer in clear
    ::close(fd);
  }
  BOOST_TEST(curl(s.ingest_port(), "https", ca).output == "200");
  BOOST_TEST(s.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(sighup_reloads_the_certificate_for_new_connections_only) {
  certificates certs;
  temp_dir data;
  sluiced_process s(data.path(), certs.args(true, true));
  const auto su = s.superuser_token();
  // A keep-alive connection made with the first certificate.
  http_client kept(s.admin_port(), certs.first_cert().string());
  BOOST_REQUIRE_EQUAL(kept.get("/api/v1/tenants", bearer(su)).status, 200u);

  // Replace both files (as an operator's renewal would), then SIGHUP.
  const auto second_cert = certs.dir.path() / "second.pem";
  const auto second_key = certs.dir.path() / "second.key";
  make_certificate(second_cert, second_key, "sluice-e2e-2");
  fs::copy_file(second_cert, certs.cert(), fs::copy_options::overwrite_existing);
  fs::copy_file(second_key, certs.key(), fs::copy_options::overwrite_existing);
  s.signal(SIGHUP);
  BOOST_REQUIRE(wait_for_output(s, "TLS certificate and key reloaded server=admin"));
  BOOST_REQUIRE(wait_for_output(s, "TLS certificate and key reloaded server=ingest"));

  for (auto port : {s.ingest_port(), s.admin_port()}) {
    // New connections see the new certificate: trusted with it, not with
    // the old one (60: peer certificate cannot be verified).
    BOOST_TEST(curl(port, "https", "--cacert " + second_cert.string()).output == "200");
    BOOST_TEST(curl(port, "https", "--cacert " + certs.first_cert().string()).status == 60);
  }
  // The open connection was not dropped: it goes on, without reconnecting.
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(kept.get("/api/v1/tenants", bearer(su)).status == 200u);
  BOOST_TEST(kept.connections() == 1u);

  // A reload that cannot read its files keeps the current certificate.
  { std::ofstream(certs.cert()) << "not a certificate\n"; }
  s.signal(SIGHUP);
  BOOST_REQUIRE(wait_for_output(s, "TLS reload failed, keeping the current certificate"));
  BOOST_TEST(curl(s.ingest_port(), "https", "--cacert " + second_cert.string()).output == "200");
  BOOST_TEST(kept.get("/api/v1/tenants", bearer(su)).status == 200u);
  // And SIGHUP is not a stop signal: the server still exits cleanly.
  BOOST_TEST(s.terminate() == 0);
}

BOOST_AUTO_TEST_CASE(tls_needs_a_usable_certificate_to_start) {
  temp_dir data;
  // No files named.
  auto r =
    run_shell(std::string(std::getenv("SLUICED")) + " --data-dir=" + (data.path() / "a").string()
              + " --ingest-port=0 --admin-port=0 --ingest.tls 2>&1");
  BOOST_TEST(r.status != 0);
  BOOST_TEST(r.output.find("ingest.tls needs tls.cert-file and tls.key-file") != std::string::npos,
             r.output);
  // A file that is not a certificate: the start fails and says which file.
  const auto bad = data.path() / "bad.pem";
  { std::ofstream(bad) << "garbage\n"; }
  r = run_shell(std::string(std::getenv("SLUICED")) + " --data-dir=" + (data.path() / "b").string()
                + " --ingest-port=0 --admin-port=0 --admin.tls" + " --tls.cert-file=" + bad.string()
                + " --tls.key-file=" + bad.string() + " 2>&1");
  BOOST_TEST(r.status != 0);
  BOOST_TEST(r.output.find(bad.string()) != std::string::npos, r.output);
  // A file that is not there: the system's reason, not the TLS library's
  // "asio.ssl error".
  const auto missing = data.path() / "missing.pem";
  r = run_shell(std::string(std::getenv("SLUICED")) + " --data-dir=" + (data.path() / "c").string()
                + " --ingest-port=0 --admin-port=0 --ingest.tls --tls.cert-file=" + missing.string()
                + " --tls.key-file=" + bad.string() + " 2>&1");
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("TLS certificate file \"" + missing.string()
                           + "\" cannot be read: No such file or directory (--tls.cert-file=FILE)")
               != std::string::npos,
             r.output);
  // A key of another certificate: the key file, and its option, are named.
  certificates one;
  const auto other_cert = data.path() / "other.pem";
  const auto other_key = data.path() / "other.key";
  make_certificate(other_cert, other_key, "sluice-e2e-other");
  r = run_shell(std::string(std::getenv("SLUICED")) + " --data-dir=" + (data.path() / "d").string()
                + " --ingest-port=0 --admin-port=0 --ingest.tls --tls.cert-file="
                + one.cert().string() + " --tls.key-file=" + other_key.string() + " 2>&1");
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("TLS key file \"" + other_key.string() + "\"") != std::string::npos,
             r.output);
  BOOST_TEST(r.output.find("(--tls.key-file=FILE)") != std::string::npos, r.output);
}

BOOST_AUTO_TEST_SUITE_END()
