#include "tests/e2e/fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <sys/wait.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace sluice::e2e {

sluice_fixture::sluice_fixture(std::vector<std::string> args)
    : sluice_fixture(std::filesystem::path{}, std::move(args)) {}

sluice_fixture::sluice_fixture(std::filesystem::path data_dir, std::vector<std::string> args)
    : data_path_(data_dir.empty() ? dir_.path() / "var" : std::move(data_dir)) {
  start(std::move(args));
  su_ = server_->superuser_token();
  BOOST_REQUIRE_MESSAGE(su_.rfind("alu_", 0) == 0, "no superuser token in the bootstrap file");
  BOOST_REQUIRE_MESSAGE(server_->output().find("superuser token: " + su_) != std::string::npos,
                        "the first start prints the superuser token");
}

void sluice_fixture::start(std::vector<std::string> args) {
  server_ = std::make_unique<sluiced_process>(data_path_, std::move(args));
}

void sluice_fixture::restart(std::vector<std::string> args) {
  auto status = server_->terminate();
  BOOST_REQUIRE_MESSAGE(status == 0, "sluiced exited with " << status << ":\n"
                                                            << server_->output());
  server_.reset();
  start(std::move(args));
}

void sluice_fixture::restart_after_crash(std::vector<std::string> args) {
  server_.reset();
  start(std::move(args));
}

std::string sluice_fixture::create_tenant(const std::string& tier, const std::string& name) {
  auto c = admin();
  auto r =
    c.post("/api/v1/tenants", R"({"name":")" + name + R"(","tier":")" + tier + "\"}", bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create tenant: " << r.status << " " << r.body);
  return json{r.body}.str("/id");
}

std::string sluice_fixture::create_system(const std::string& tenant, const std::string& name) {
  auto c = admin();
  auto r =
    c.post("/api/v1/tenants/" + tenant + "/systems", R"({"name":")" + name + "\"}", bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create system: " << r.status << " " << r.body);
  return json{r.body}.str("/id");
}

sluice_fixture::minted sluice_fixture::mint(const std::string& system, const std::string& body) {
  auto c = admin();
  auto r = c.post("/api/v1/systems/" + system + "/tokens", body, bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "mint: " << r.status << " " << r.body);
  json j{r.body};
  return {j.str("/token/id"), j.str("/secret")};
}

sluice_fixture::minted sluice_fixture::ingest_token(const std::string& tier,
                                                    const std::string& body) {
  last_system_ = create_system(create_tenant(tier));
  return mint(last_system_, body);
}

sluice_fixture::minted sluice_fixture::tenant_token(const std::string& tenant_body,
                                                    const std::string& token_body) {
  auto c = admin();
  auto r = c.post("/api/v1/tenants", tenant_body, bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create tenant: " << r.status << " " << r.body);
  last_system_ = create_system(json{r.body}.str("/id"));
  return mint(last_system_, token_body);
}

sluice_fixture::person sluice_fixture::create_user(const std::string& tenant,
                                                   const std::string& role,
                                                   const std::string& name) {
  static int serial = 0;
  auto c = admin();
  auto r = c.post("/api/v1/tenants/" + tenant + "/users",
                  R"({"name":")" + name + R"(","email":"u)" + std::to_string(++serial)
                    + R"(@example.com","role":")" + role + "\"}",
                  bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create user: " << r.status << " " << r.body);
  person p;
  p.id = json{r.body}.str("/id");
  r = c.post("/api/v1/users/" + p.id + "/tokens", R"({"name":"laptop"})", bearer(su_));
  BOOST_REQUIRE_MESSAGE(r.status == 201, "personal token: " << r.status << " " << r.body);
  json j{r.body};
  p.token = j.str("/secret");
  p.token_id = j.str("/token/id");
  return p;
}

sluice_fixture::minted sluice_fixture::service_token(const std::string& tenant,
                                                     const std::string& body,
                                                     const std::string& caller, unsigned status) {
  auto c = admin();
  auto r = c.post("/api/v1/tenants/" + tenant + "/tokens", body, bearer(caller));
  BOOST_REQUIRE_MESSAGE(r.status == status, "service token: " << r.status << " " << r.body);
  json j{r.body};
  return {j.str("/token/id"), j.str("/secret")};
}

std::vector<json> sluice_fixture::read_messages(const std::string& system,
                                                const std::string& query) {
  std::vector<json> out;
  auto c = admin();
  std::string cursor;
  for (int page = 0; page < 100'000; ++page) {
    std::string target = "/api/v1/systems/" + system + "/messages?limit=1000";
    if (!query.empty())
      target += "&" + query;
    if (!cursor.empty())
      target += "&cursor=" + cursor;
    auto r = c.get(target, bearer(su_));
    BOOST_REQUIRE_MESSAGE(r.status == 200, "read back: " << r.status << " " << r.body);
    json j{r.body};
    auto n = j.size("/items");
    for (std::size_t i = 0; i < n; ++i)
      out.emplace_back(j.raw("/items/" + std::to_string(i)));
    if (j.is_null("/next_cursor"))
      return out;
    cursor = j.str("/next_cursor");
  }
  BOOST_FAIL("read back never reached the end");
  return out;
}

http_result post_messages(http_client& c, const std::string& secret, const std::string& body) {
  return c.post("/messages", body, bearer(secret));
}

void expect_error(const http_result& r, unsigned status, const std::string& code) {
  BOOST_TEST_CONTEXT(r.body) {
    BOOST_TEST(r.status == status);
    if (r.status == status)
      BOOST_TEST(json{r.body}.str("/error/code") == code);
  }
}

std::string basic_auth(const std::string& user, const std::string& password) {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  auto in = user + ":" + password;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char ch : in) {
    acc = (acc << 8) | ch;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(alphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0)
    out.push_back(alphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4)
    out.push_back('=');
  return "Basic " + out;
}

shell_result run_shell(const std::string& command) {
  auto* pipe = ::popen(command.c_str(), "r");
  BOOST_REQUIRE_MESSAGE(pipe, "cannot run " << command);
  shell_result r;
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, pipe))
    r.output.append(buf, n);
  auto status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

shell_result run_sluiced(const std::vector<std::string>& args) {
  std::string cmd = "timeout 20 '" + std::string{std::getenv("SLUICED")} + "'";
  for (auto& a : args)
    cmd += " '" + a + "'";
  cmd += " 2>&1";
  return run_shell(cmd);
}

samples parse_scrape(const std::string& text) {
  samples out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    BOOST_REQUIRE_MESSAGE(nl != std::string::npos, "the scrape ends without a line feed");
    auto line = text.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty() || line[0] == '#')
      continue;
    auto sp = line.rfind(' ');
    BOOST_REQUIRE_MESSAGE(sp != std::string::npos, "no value in: " << line);
    out[line.substr(0, sp)] = std::strtod(line.c_str() + sp + 1, nullptr);
  }
  return out;
}

http_result get_metrics(sluice_fixture& f) {
  auto r = f.admin().get("/metrics");
  BOOST_REQUIRE_MESSAGE(r.status == 200, "GET /metrics: " << r.status << " " << r.body);
  return r;
}

samples scrape(sluice_fixture& f) { return parse_scrape(get_metrics(f).body); }

double value(const samples& s, const std::string& series) {
  auto i = s.find(series);
  return i == s.end() ? 0 : i->second;
}

bool shown(const samples& s, const std::string& series) { return s.count(series) != 0; }

} // namespace sluice::e2e
