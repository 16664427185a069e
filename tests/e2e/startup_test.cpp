// What a person sees when sluiced starts, or cannot: the command line, the
// one-line start-up failures, and the banner. Each failure must leave the
// data directory as it was.

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/fixture.hpp"

using namespace sluice::e2e;
namespace fs = std::filesystem;

namespace {

std::size_t lines(const std::string& s) {
  std::size_t n = 0;
  for (char c : s)
    n += c == '\n';
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(startup)

BOOST_AUTO_TEST_CASE(a_port_in_use_is_one_line_naming_the_option_and_exit_status_1) {
  sluice_fixture running;
  temp_dir tmp;
  auto dir = tmp.path() / "var";
  auto ingest = std::to_string(running.server().ingest_port());
  auto admin = std::to_string(running.server().admin_port());

  auto r = run_sluiced({"--data-dir=" + dir.string(), "--ingest-host=127.0.0.1",
                        "--ingest-port=" + ingest, "--admin-port=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output
             == "sluiced: cannot bind 127.0.0.1:" + ingest
                  + ": address already in use (--ingest-port=N)\n");
  BOOST_TEST(!fs::exists(dir)); // the data directory is as it was: absent

  r = run_sluiced({"--data-dir=" + dir.string(), "--ingest-port=0", "--admin-port=" + admin});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output
             == "sluiced: cannot bind 127.0.0.1:" + admin
                  + ": address already in use (--admin-port=N)\n");
  BOOST_TEST(!fs::exists(dir));

  // An existing data directory is left untouched too: no superuser, no pepper.
  fs::create_directories(dir);
  r = run_sluiced({"--data-dir=" + dir.string(), "--ingest-port=0", "--admin-port=" + admin});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(fs::is_empty(dir));
  // The server that holds the port is unharmed.
  BOOST_TEST(running.ingest().get("/healthz").status == 200u);
}

BOOST_AUTO_TEST_CASE(a_data_directory_that_cannot_be_made_is_one_line) {
  temp_dir tmp;
  auto file = tmp.path() / "a-file";
  std::ofstream{file} << "not a directory";
  auto r =
    run_sluiced({"--data-dir=" + (file / "var").string(), "--ingest-port=0", "--admin-port=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("cannot create data directory") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("(--data-dir=DIR)") != std::string::npos, r.output);

  r = run_sluiced({"--data-dir=" + file.string(), "--ingest-port=0", "--admin-port=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output
             == "sluiced: data directory " + file.string()
                  + " is not a directory (--data-dir=DIR)\n");
}

BOOST_AUTO_TEST_CASE(a_bad_configuration_is_one_line_and_touches_nothing) {
  temp_dir tmp;
  auto dir = tmp.path() / "var";
  auto conf = tmp.path() / "bad.conf";
  std::ofstream{conf} << "[ingest]\nthread=2\n";
  auto r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("[ingest] thread is not an option") != std::string::npos, r.output);

  std::ofstream{conf, std::ios::trunc} << "[global]\ningest-port=\"eighty\"\n";
  r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("ingest-port = \"eighty\" is not a valid uint16") != std::string::npos,
             r.output);

  // A value the file's parser cannot read at all: the line, its section and
  // its text, not only a column number.
  std::ofstream{conf, std::ios::trunc} << "[global]\ningest-port=0\n[log]\n  level=debug\n";
  r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("line 4 cannot be read: [log] level=debug (a string value is written "
                           "in double quotes")
               != std::string::npos,
             r.output);
  // The actor library's sections are checked too, and a section nobody knows
  // is named.
  std::ofstream{conf, std::ios::trunc} << "[scheduler]\nmax-thrads=3\n";
  r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("[scheduler] max-thrads is not an option") != std::string::npos,
             r.output);
  std::ofstream{conf, std::ios::trunc} << "[scheduler]\nmax-threads=\"abc\"\n";
  r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("[scheduler] max-threads = \"abc\" is not a valid") != std::string::npos,
             r.output);
  std::ofstream{conf, std::ios::trunc} << "[ingets]\nthreads=1\n";
  r = run_sluiced({"--config-file=" + conf.string(), "--data-dir=" + dir.string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("[ingets] is not a section of the configuration") != std::string::npos,
             r.output);

  for (auto* option : {"--storage.max-map-size=0", "--storage.map-size=0",
                       "--storage.meta-map-size=0", "--scheduler.max-threads=0"}) {
    r = run_sluiced({"--data-dir=" + dir.string(), option});
    BOOST_TEST(r.status == 1);
    auto key = std::string{option}.substr(2, std::string{option}.find('=') - 2);
    BOOST_TEST(r.output.find(key + " must be at least 1, not 0") != std::string::npos, r.output);
  }

  r = run_sluiced({"--config-file=" + (tmp.path() / "missing.conf").string()});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("cannot read config file") != std::string::npos, r.output);

  r = run_sluiced({"--data-dir=" + dir.string(), "--ingest.threads=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("(--ingest.threads=") != std::string::npos, r.output);

  r = run_sluiced({"--data-dir=" + dir.string(), "--scheduler.policy=fast"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("scheduler.policy is 'sharing' or 'stealing', not 'fast'")
               != std::string::npos,
             r.output);

  r = run_sluiced({"--data-dir=" + dir.string(), "--storage.log-writes-in-flight=17"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("storage.log-writes-in-flight must be 1 to 16, not 17")
               != std::string::npos,
             r.output);

  r = run_sluiced({"--data-dir=" + dir.string(), "--tier-free.default-retention-days=30",
                   "--ingest-port=0", "--admin-port=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(lines(r.output) == 1u);
  BOOST_TEST(r.output.find("[tier-free]") != std::string::npos, r.output);
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(dump_config_prints_the_configuration_and_creates_nothing) {
  temp_dir tmp;
  auto dir = tmp.path() / "var";
  auto r = run_sluiced({"--dump-config", "--data-dir=" + dir.string(), "--ingest-port=9999",
                        "--config-file=" + std::string{std::getenv("SLUICE_CONFIG")}});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("ingest-port=9999\n") != std::string::npos, r.output);
  BOOST_TEST(r.output.find("data-dir=\"" + dir.string() + "\"\n") != std::string::npos);
  BOOST_TEST(r.output.find("[tier-free]\n") != std::string::npos);
  BOOST_TEST(r.output.find("superuser") == std::string::npos);
  BOOST_TEST(!fs::exists(dir));
  // What it prints is a config file sluiced reads back as it is.
  auto conf = tmp.path() / "dumped.conf";
  std::ofstream{conf} << r.output;
  auto again = run_sluiced({"--dump-config", "--config-file=" + conf.string()});
  BOOST_TEST(again.status == 0, again.output);
  BOOST_TEST(again.output == r.output);
}

// Found in review: a boolean key took only the bare flag on the command line
// (`--log.access`); `--log.access=true` was "bad value", and a config file's
// true could not be turned off there.
BOOST_AUTO_TEST_CASE(a_boolean_key_takes_true_and_false_on_the_command_line) {
  temp_dir tmp;
  auto conf = tmp.path() / "on.conf";
  std::ofstream{conf} << "[log]\naccess=true\n[ingest]\ntls=false\n";
  auto dump = [&](std::vector<std::string> args) {
    args.push_back("--dump-config");
    args.push_back("--config-file=" + conf.string());
    return run_sluiced(args);
  };
  auto off = dump({"--log.access=false"});
  BOOST_TEST(off.status == 0, off.output);
  BOOST_TEST(off.output.find("\naccess=false\n") != std::string::npos, off.output);
  auto on = dump({"--log.access=true", "--admin.tls=false"});
  BOOST_TEST(on.status == 0, on.output);
  BOOST_TEST(on.output.find("\naccess=true\n") != std::string::npos, on.output);
  BOOST_TEST(dump({"--log.access"}).output.find("\naccess=true\n") != std::string::npos);
  auto bad = dump({"--log.access=maybe"});
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(bad.output.find("bad value in '--log.access=maybe'") != std::string::npos, bad.output);
}

BOOST_AUTO_TEST_CASE(the_shipped_configuration_file_states_the_built_in_defaults) {
  // configs/sluice.conf documents every option with its default value: a
  // server started with it behaves as one started with no file at all. A
  // default changed in one place and not the other shows here.
  temp_dir tmp;
  auto dir = (tmp.path() / "var").string();
  auto built_in = run_sluiced({"--dump-config", "--data-dir=" + dir});
  auto shipped = run_sluiced({"--dump-config", "--data-dir=" + dir,
                              "--config-file=" + std::string{std::getenv("SLUICE_CONFIG")}});
  BOOST_TEST(built_in.status == 0, built_in.output);
  BOOST_TEST(shipped.status == 0, shipped.output);
  BOOST_TEST(shipped.output == built_in.output);
}

BOOST_AUTO_TEST_CASE(anything_sluiced_does_not_know_is_a_usage_error) {
  temp_dir tmp;
  auto dir = tmp.path() / "var";
  for (auto args : std::vector<std::vector<std::string>>{
         {"stats"},
         {"verify-everything", "--data-dir=" + dir.string()},
         {"--data-dir=" + dir.string(), "serve"},
         {"create-superuser", "--data-dir=" + dir.string(), "extra"},
         {"--no-such-option=1", "--data-dir=" + dir.string()},
         // Also beside --help or --version, before or after them.
         {"--nope", "--version"},
         {"--version", "--nope"},
         {"--help", "--nope=1"}}) {
    auto r = run_sluiced(args);
    BOOST_TEST(r.status == 2, args.front());
    BOOST_TEST(r.output.find("usage: sluiced") != std::string::npos, r.output);
  }
  BOOST_TEST(!fs::exists(dir));
  BOOST_TEST(!fs::exists("var")); // nor the default one, here
}

BOOST_AUTO_TEST_CASE(help_lists_sluices_options_with_defaults_and_version_prints_it) {
  auto r = run_sluiced({"--help"});
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output.find("--ingest-port=uint16") != std::string::npos);
  BOOST_TEST(r.output.find("[8080]") != std::string::npos);
  BOOST_TEST(r.output.find("--storage.dedup-window=timespan") != std::string::npos);
  BOOST_TEST(r.output.find("[24h]") != std::string::npos);
  BOOST_TEST(r.output.find("--tier-free.inline-cap-bytes") != std::string::npos);
  // The actor library's own options are behind --long-help.
  BOOST_TEST(r.output.find("opencl") == std::string::npos);
  BOOST_TEST(r.output.find("middleman") == std::string::npos);
  auto long_help = run_sluiced({"--long-help"});
  BOOST_TEST(long_help.status == 0);
  BOOST_TEST(long_help.output.find("middleman") != std::string::npos);
  auto v = run_sluiced({"--version"});
  BOOST_TEST(v.status == 0);
  BOOST_TEST(v.output.rfind("sluiced ", 0) == 0u);
  BOOST_TEST(lines(v.output) == 1u);
}

BOOST_AUTO_TEST_CASE(the_first_start_ends_with_a_banner_a_person_can_act_on) {
  sluice_fixture f;
  auto out = f.server().output();
  auto admin = "http://127.0.0.1:" + std::to_string(f.server().admin_port());
  BOOST_TEST(out.find("ingest URL:  http://127.0.0.1:" + std::to_string(f.server().ingest_port()))
               != std::string::npos,
             out);
  BOOST_TEST(out.find("admin URL:   " + admin) != std::string::npos, out);
  BOOST_TEST(out.find("superuser token: " + f.superuser()) != std::string::npos);
  auto file = (f.server().data_dir() / "superuser.token").string();
  BOOST_TEST(out.find("saved in " + file + " (mode 0600)") != std::string::npos, out);
  auto next =
    "curl -s -H \"Authorization: Bearer $(cat " + file + ")\" " + admin + "/api/v1/tenants";
  BOOST_TEST(out.find(next) != std::string::npos, out);
  // The pasteable command works as printed.
  auto r = ::system(
    ("bash -c '" + std::string{"set -o pipefail; "} + next + " | grep -q items' >/dev/null 2>&1")
      .c_str());
  BOOST_TEST(r == 0);

  // Later starts show no token (only its hash was kept), still the URLs.
  f.restart();
  out = f.server().output();
  BOOST_TEST(out.find("superuser token") == std::string::npos, out);
  BOOST_TEST(out.find("admin URL:") != std::string::npos, out);
}

BOOST_AUTO_TEST_CASE(a_second_server_on_a_data_directory_in_use_is_refused_and_the_first_goes_on) {
  sluice_fixture running;
  auto tok = running.ingest_token();
  auto in = running.ingest();
  BOOST_REQUIRE(post_messages(in, tok.secret, R"({"message":"first"})").status == 202u);
  const auto dir = running.server().data_dir();
  auto r = run_sluiced(
    {"--data-dir=" + dir.string(), "--ingest-host=127.0.0.1", "--ingest-port=0", "--admin-port=0"});
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output
               == "sluiced: data directory " + dir.string()
                    + " is in use by another sluiced (it holds " + (dir / "lock").string()
                    + "); stop that one first, or give this one a data directory of its own "
                      "(--data-dir=DIR)\n",
             r.output);
  // The first one goes on as if nothing happened.
  BOOST_TEST(post_messages(in, tok.secret, R"({"message":"second"})").status == 202u);
  // The lock goes with the process, also on kill -9: the next start takes it.
  running.server().kill();
  running.restart_after_crash();
  BOOST_TEST(running.read_messages(running.last_system()).size() == 2u);
}

BOOST_AUTO_TEST_CASE(metadata_lost_beside_its_pepper_is_refused_not_taken_for_a_first_start) {
  sluice_fixture f;
  const auto dir = f.server().data_dir();
  const auto su = f.superuser();
  BOOST_REQUIRE(f.server().terminate() == 0);
  const auto meta = dir / "meta" / "data.mdb";
  const auto saved = dir.parent_path() / "meta-backup.mdb";
  fs::copy_file(meta, saved);
  const auto token_file = dir / "superuser.token";
  const std::vector<std::string> args{
    "--data-dir=" + dir.string(), "--bootstrap-token-file=" + token_file.string(),
    "--ingest-host=127.0.0.1", "--ingest-port=0", "--admin-port=0"};
  const std::string refusal = "sluiced: data directory " + dir.string()
                              + " has a pepper but its metadata (meta/data.mdb) holds no users: "
                                "it was lost or replaced; restore meta/ from your backup (if a "
                                "first start was cut short, remove the data directory instead) "
                                "(--data-dir=DIR)\n";

  fs::resize_file(meta, 0); // emptied
  auto r = run_sluiced(args);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output == refusal, r.output);
  BOOST_TEST(fs::file_size(meta) == 0u); // left as it was, not made a new environment

  fs::remove_all(dir / "meta"); // gone
  r = run_sluiced(args);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output == refusal, r.output);
  BOOST_TEST(!fs::exists(dir / "meta"));

  // No new superuser was made: the token file still holds the old token,
  // which works again once the metadata is back.
  std::ifstream in{token_file};
  std::string kept;
  std::getline(in, kept);
  BOOST_TEST(kept == su);
  fs::create_directories(dir / "meta");
  fs::copy_file(saved, meta);
  f.restart_after_crash();
  BOOST_TEST(f.admin().get("/api/v1/tenants", bearer(su)).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_message_environment_cut_short_is_refused_by_name_instead_of_a_crash) {
  sluice_fixture f;
  auto tok = f.ingest_token();
  auto in = f.ingest();
  const std::string text(400, 'x');
  for (int b = 0; b < 10; ++b) {
    std::string body = "[";
    for (int i = 0; i < 500; ++i)
      body += std::string{i ? "," : ""} + R"({"message":")" + text + "\"}";
    BOOST_REQUIRE(post_messages(in, tok.secret, body + "]").status == 202u);
  }
  const auto dir = f.server().data_dir();
  BOOST_REQUIRE(f.server().terminate() == 0); // a clean stop applies the log
  fs::path file;
  for (auto& e : fs::recursive_directory_iterator{dir / "messages"})
    if (e.path().filename() == "data.mdb" && (file.empty() || e.file_size() > fs::file_size(file)))
      file = e.path();
  const auto size = fs::file_size(file);
  BOOST_REQUIRE_GT(size, 1u << 20);
  const auto saved = dir.parent_path() / "saved.mdb";
  fs::copy_file(file, saved);
  fs::resize_file(file, size / 2);

  auto r = run_sluiced(
    {"--data-dir=" + dir.string(), "--ingest-host=127.0.0.1", "--ingest-port=0", "--admin-port=0"});
  BOOST_TEST(r.status == 1); // not 135 (SIGBUS), as it was
  BOOST_TEST(r.output.find(file.string() + " is " + std::to_string(size / 2)
                           + " bytes, but its pages reach ")
               != std::string::npos,
             r.output);
  BOOST_TEST(r.output.find("the file was cut short; restore this environment from a backup")
               != std::string::npos,
             r.output);
  BOOST_TEST(lines(r.output) == 1u, r.output);

  fs::copy_file(saved, file, fs::copy_options::overwrite_existing);
  f.restart_after_crash();
  BOOST_TEST(f.read_messages(f.last_system()).size() == 5000u); // all of it, restored
}

BOOST_AUTO_TEST_CASE(threads_are_named_after_their_work_for_top_and_perf) {
  sluice_fixture f{{"--ingest.threads=2"}};
  // A request has passed every stage once the first answer arrived.
  auto tok = f.ingest_token("free");
  auto c = f.ingest();
  BOOST_REQUIRE_EQUAL(post_messages(c, tok.secret, R"({"message":"x"})").status, 202u);
  std::multiset<std::string> names;
  auto tasks = fs::path{"/proc"} / std::to_string(f.server().pid()) / "task";
  for (auto& t : fs::directory_iterator{tasks}) {
    std::ifstream in{t.path() / "comm"};
    std::string name;
    std::getline(in, name);
    names.insert(name);
  }
  std::string all;
  for (auto& n : names)
    all += n + " ";
  BOOST_TEST(names.count("ingest-io") == 2u, all);
  BOOST_TEST(names.count("admin-io") == 1u, all);
  BOOST_TEST(names.count("storage") == 1u, all);
  BOOST_TEST(names.count("wal-checkpoint") == 1u, all);
  BOOST_TEST(names.count("admin-actor") == 1u, all);
}

BOOST_AUTO_TEST_SUITE_END()
