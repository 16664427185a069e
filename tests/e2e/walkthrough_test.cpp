// The README walkthrough, run exactly as written (curl and jq in bash) against
// a real sluiced: every "#>" line must match what the commands print, in order.

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <tuple>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The shell script between the markers `<!-- name:start -->` and
/// `<!-- name:end -->` of a document: its ```sh blocks, in order, as one
/// script (text and blocks in other languages between them are left out).
std::string walkthrough_block(const std::string& readme, const std::string& name) {
  auto start = readme.find("<!-- " + name + ":start -->");
  auto end = readme.find("<!-- " + name + ":end -->");
  BOOST_REQUIRE_MESSAGE(start != std::string::npos && end != std::string::npos,
                        "no " << name << " block");
  auto block = readme.substr(start, end - start);
  std::string script;
  for (auto open = block.find("```sh\n"); open != std::string::npos;
       open = block.find("```sh\n", open)) {
    open += 6;
    auto close = block.find("\n```", open);
    BOOST_REQUIRE_MESSAGE(close != std::string::npos, "an unclosed ```sh block in " << name);
    script += block.substr(open, close + 1 - open);
    open = close + 4;
  }
  BOOST_REQUIRE_MESSAGE(!script.empty(), "no ```sh block in " << name);
  return script;
}

/// A "#>" line as a regex: "…" stands for any text, the rest is literal.
std::regex expectation(const std::string& line) {
  static const std::string ellipsis = "\u2026";
  std::string re;
  std::size_t i = 0;
  while (i < line.size()) {
    if (line.compare(i, ellipsis.size(), ellipsis) == 0) {
      re += ".*";
      i += ellipsis.size();
      continue;
    }
    auto c = line[i++];
    if (std::string{"\\^$.|?*+()[]{}"}.find(c) != std::string::npos)
      re += '\\';
    re += c;
  }
  return std::regex{re};
}

std::string run(const std::string& cmd) {
  auto [status, out] = run_shell(cmd);
  BOOST_REQUIRE_MESSAGE(status == 0, "the walkthrough failed (" << status << "):\n" << out);
  return out;
}

/// A document of the repository, by its path from the top (the README's
/// folder).
std::string document(const std::string& relative) {
  const char* readme_path = std::getenv("SLUICE_README");
  BOOST_REQUIRE_MESSAGE(readme_path, "set SLUICE_README (ctest does)");
  auto top = std::filesystem::path{readme_path}.parent_path();
  return (top / relative).string();
}

/// Runs the block `name` of a document against a fresh sluiced, as written
/// but for its two base URLs, and checks every "#>" line, in order; returns
/// how many there were.
std::size_t run_walkthrough(const std::string& file, const std::string& name) {
  auto script = walkthrough_block(read_file(document(file)), name);

  sluice_fixture f; // data in <dir>/var, superuser token in var/superuser.token
  // The README names the default URLs once, in two variables, and uses the
  // variables everywhere else; this server has ports of its own.
  const std::string ingest_line = "INGEST=http://localhost:8080\n";
  const std::string admin_line = "ADMIN=http://localhost:8081/api/v1\n";
  for (auto& line : {ingest_line, admin_line}) {
    auto at = script.find(line);
    BOOST_REQUIRE_MESSAGE(at != std::string::npos, "the walkthrough sets " << line);
    BOOST_TEST(script.find(line, at + 1) == std::string::npos);
  }
  auto with_ports = script;
  with_ports.replace(with_ports.find(ingest_line), ingest_line.size(),
                     "INGEST=http://127.0.0.1:" + std::to_string(f.server().ingest_port()) + "\n");
  with_ports.replace(with_ports.find(admin_line), admin_line.size(),
                     "ADMIN=http://127.0.0.1:" + std::to_string(f.server().admin_port())
                       + "/api/v1\n");
  BOOST_TEST(with_ports.find("localhost:") == std::string::npos,
             "the walkthrough names a URL outside its two variables");
  auto path = f.data_dir() / "walkthrough.sh";
  std::ofstream{path} << with_ports;

  auto out = run("cd " + f.data_dir().string() + " && bash -euo pipefail walkthrough.sh 2>&1");

  std::vector<std::string> actual;
  std::istringstream lines{out};
  for (std::string l; std::getline(lines, l);)
    actual.push_back(l);
  std::size_t at = 0;
  std::istringstream script_lines{script};
  std::size_t expected = 0;
  for (std::string l; std::getline(script_lines, l);) {
    if (l.rfind("#> ", 0) != 0)
      continue;
    ++expected;
    auto want = l.substr(3);
    auto re = expectation(want);
    while (at < actual.size() && !std::regex_match(actual[at], re))
      ++at;
    BOOST_REQUIRE_MESSAGE(at < actual.size(), "README promises \""
                                                << want << "\" but the commands printed:\n"
                                                << out);
    ++at;
  }
  // It leaves no secret behind in the directory it ran in.
  for (auto& entry : std::filesystem::directory_iterator{f.data_dir()})
    BOOST_TEST((entry.path().filename() == "var" || entry.path().filename() == "walkthrough.sh"),
               entry.path());
  return expected;
}

} // namespace

BOOST_AUTO_TEST_SUITE(walkthrough)

BOOST_AUTO_TEST_CASE(the_readme_walkthrough_works_as_written) {
  BOOST_TEST(run_walkthrough("README.md", "walkthrough") >= 8u);
}

BOOST_AUTO_TEST_CASE(the_readme_access_control_walkthrough_works_as_written) {
  BOOST_TEST(run_walkthrough("README.md", "walkthrough-access") >= 15u);
}

BOOST_AUTO_TEST_CASE(the_readme_ingest_doors_walkthrough_works_as_written) {
  BOOST_TEST(run_walkthrough("README.md", "walkthrough-doors") >= 15u);
}

BOOST_AUTO_TEST_CASE(the_access_control_guides_walkthrough_works_as_written) {
  BOOST_TEST(run_walkthrough("docs/access-control.md", "access-control-walkthrough") >= 15u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(walkthrough)

BOOST_AUTO_TEST_CASE(the_shipped_config_file_starts_the_server_make_run_starts) {
  const char* config = std::getenv("SLUICE_CONFIG");
  BOOST_REQUIRE_MESSAGE(config, "set SLUICE_CONFIG (ctest does)");
  // `make run` passes this file; the command line overrides its ports here.
  sluice_fixture f{{std::string{"--config-file="} + config}};
  BOOST_TEST(f.server().output().find("ingest listening on 127.0.0.1:") != std::string::npos);
  auto tok = f.ingest_token("free");
  auto c = f.ingest();
  BOOST_TEST(post_messages(c, tok.secret, R"({"message":"configured"})").status == 202u);
  // Its tier table is the one docs/data-model.md documents.
  auto a = f.admin();
  for (auto [tier, steady, capacity, inline_cap, retention] :
       {std::tuple{"free", 100, 10'000, 16'384, "[7]"},
        std::tuple{"pro", 5'000, 500'000, 262'144, "[7,30,90]"},
        std::tuple{"enterprise", 50'000, 5'000'000, 1'048'576,
                   "[7,30,90,180,365,730,1095,1825,-1]"}}) {
    json t{a.post("/api/v1/tenants", std::string{R"({"name":"t","tier":")"} + tier + "\"}",
                  bearer(f.superuser()))
             .body};
    BOOST_TEST(t.num("/limits/steady_rate") == steady, tier);
    BOOST_TEST(t.num("/limits/burst_capacity") == capacity, tier);
    BOOST_TEST(t.num("/limits/inline_cap_bytes") == inline_cap, tier);
    BOOST_TEST(t.raw("/limits/retention_days") == retention, tier);
  }
}

BOOST_AUTO_TEST_SUITE_END()
