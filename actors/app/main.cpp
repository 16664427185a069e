// sluiced: the Sluice server.
//
//   sluiced [--config-file=FILE] [--ingest-port=N] [--admin-port=N] [--admin-host=ADDR]
//           [--data-dir=DIR] [--bootstrap-token-file=FILE] [--<section>.<key>=VALUE …]
//   sluiced create-superuser [--data-dir=DIR] [--config-file=FILE]
//   sluiced verify-audit [--data-dir=DIR]
//   sluiced --help | --long-help | --version | --dump-config [options]
//
// Every option has a key in configs/sluice.conf; --help lists them with their
// defaults. Anything else on the command line is an error (exit status 2); a
// start-up failure prints one line naming its cause and the option that fixes
// it (exit status 1).
//
// What this file prints with std::cout and std::cerr is program output for
// the person at the terminal (usage, --help, --version, --dump-config, the
// start-up banner, a start-up failure, the subcommands' results): text, not
// log lines, whatever log.format says. Everything the running server reports
// goes through the logger (net/log.hpp).

#include <pthread.h>
#include <signal.h>
#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/app/bootstrap.hpp"
#include "actors/app/config.hpp"
#include "actors/app/runtime.hpp"
#include "net/log.hpp"
#include "policy/hex.hpp"
#include "policy/ids.hpp"
#include "store/audit_log.hpp"
#include "store/meta_store.hpp"
#include "store/pepper_file.hpp"

namespace {

constexpr const char* usage_text =
  "usage: sluiced [--config-file=FILE] [--ingest-port=N] [--admin-port=N]\n"
  "               [--admin-host=ADDR] [--data-dir=DIR] [--bootstrap-token-file=FILE]\n"
  "               [--<section>.<key>=VALUE ...]\n"
  "       sluiced create-superuser [--data-dir=DIR] [--config-file=FILE]\n"
  "       sluiced verify-audit [--data-dir=DIR]\n"
  "       sluiced --help | --long-help | --version | --dump-config [options]\n";

/// What the command line asks for.
enum class action { serve, create_superuser, verify_audit, help, long_help, version, dump_config };

/// The command line, split into what sluiced does and the options CAF parses.
struct command_line {
  action act = action::serve;
  std::vector<std::string> options; ///< "--key=value" arguments, in order
};

/// A command-line mistake: the message, the usage, exit status 2.
int usage_error(const std::string& message) {
  std::cerr << "sluiced: " << message << "\n"
            << usage_text << "see sluiced --help for every option" << std::endl;
  return 2;
}

/// Splits argv. Returns the exit status when the command line is wrong.
std::optional<int> split(int argc, char** argv, command_line& out) {
  int i = 1;
  if (argc > 1 && argv[1][0] != '-') {
    std::string_view sub{argv[1]};
    if (sub == "create-superuser")
      out.act = action::create_superuser;
    else if (sub == "verify-audit")
      out.act = action::verify_audit;
    else
      return usage_error("unknown command '" + std::string{sub} + "'");
    i = 2;
  }
  for (; i < argc; ++i) {
    std::string_view a{argv[i]};
    if (a == "--help" || a == "-h" || a == "-?")
      out.act = action::help;
    else if (a == "--long-help")
      out.act = action::long_help;
    else if (a == "--version")
      out.act = action::version;
    else if (a == "--dump-config")
      out.act = action::dump_config;
    else if (a.size() > 2 && a.substr(0, 2) == "--")
      out.options.emplace_back(a);
    else
      return usage_error("unexpected argument '" + std::string{a} + "'");
  }
  return std::nullopt;
}

/// A command-line parse error in words: CAF renders it as
/// `parser_error(not_an_option, ({"argument" = "--x=1"}))`.
std::string describe(const caf::error& err, const sluice::sluice_config& cfg) {
  auto text = cfg.render(err);
  std::string arg;
  if (auto at = text.find("\"argument\" = \""); at != std::string::npos) {
    auto from = at + 16;
    arg = text.substr(from, text.find('"', from) - from);
  }
  if (arg.empty())
    return text;
  if (text.find("not_an_option") != std::string::npos)
    return "unknown option '--" + arg + "'";
  return "bad value in '--" + arg + "'";
}

/// Reads the options into `cfg`. Returns the exit status when they are wrong:
/// 2 for a command-line mistake, 1 for a config file that cannot be read.
std::optional<int> parse(sluice::sluice_config& cfg, const command_line& cl) {
  // CAF reports a config file it cannot open as one more parse error; it is
  // a start-up failure instead, so it is checked here first.
  for (auto& o : cl.options) {
    std::string_view key = "--config-file=";
    if (o.compare(0, key.size(), key) != 0)
      continue;
    auto file = o.substr(key.size());
    if (!std::ifstream{file}) {
      std::cerr << "sluiced: cannot read config file " << file << ": " << std::strerror(errno)
                << " (--config-file=FILE)" << std::endl;
      return 1;
    }
    if (auto problem = cfg.check_file(file); !problem.empty()) {
      std::cerr << "sluiced: " << problem << " (see sluiced --help)" << std::endl;
      return 1;
    }
  }
  auto options = cl.options;
  const auto to_false = cfg.take_bool_values(options); // --key=true|false of a boolean
  std::vector<char*> argv;
  std::string program = "sluiced";
  argv.push_back(program.data());
  for (auto& o : options)
    argv.push_back(const_cast<char*>(o.c_str()));
  if (auto err = cfg.parse(static_cast<int>(argv.size()), argv.data()))
    return usage_error(describe(err, cfg));
  cfg.set_false(to_false);
  if (!cfg.remainder.empty())
    return usage_error("unexpected argument '" + cfg.remainder.front() + "'");
  std::string option;
  if (auto problem = cfg.validate(option); !problem.empty()) {
    std::cerr << "sluiced: " << problem << " (" << option << ")" << std::endl;
    return 1;
  }
  return std::nullopt;
}

int create_superuser_main(const sluice::sluice_config& cfg) {
  namespace fs = std::filesystem;
  fs::path dir{cfg.data_dir};
  if (!fs::exists(dir / "meta")) {
    std::cerr << "sluiced: no Sluice data in " << dir.string()
              << " (start sluiced there first, or give --data-dir=DIR)" << std::endl;
    return 1;
  }
  auto pepper = sluice::store::load_pepper(dir);
  sluice::store::meta_options mo;
  mo.dir = dir / "meta";
  mo.map_size = cfg.meta_map_size;
  mo.max_map_size = cfg.max_map_size;
  // LMDB coordinates writers across processes: this is safe while the
  // server runs on the same directory.
  sluice::store::meta_store meta{mo};
  auto su = sluice::create_superuser(meta, pepper, "superuser");
  std::cout << "superuser token: " << su.secret << std::endl;
  return 0;
}

/// Walks the audit chain of a data directory (opened read-only: safe while a
/// server runs on it, and on a copy). 0 when whole, 1 naming the first broken
/// event otherwise.
int verify_audit_main(const sluice::sluice_config& cfg) {
  namespace fs = std::filesystem;
  fs::path meta{fs::path{cfg.data_dir} / "meta"};
  if (!fs::exists(meta / "data.mdb")) {
    std::cerr << "sluiced: no Sluice data in " << cfg.data_dir << " (--data-dir=DIR)" << std::endl;
    return 1;
  }
  auto verdict = sluice::store::verify_audit_chain(meta);
  if (!verdict.whole) {
    std::cout << "audit chain broken at "
              << (verdict.broken_at ? sluice::format_id(sluice::id_kind::event, verdict.broken_at)
                                    : std::string{"the start"})
              << ": " << verdict.why << " (" << verdict.checked << " events read)" << std::endl;
    return 1;
  }
  std::string head;
  sluice::hex::encode(verdict.head, head);
  std::cout << "audit chain whole: " << verdict.checked << " events, head "
            << (verdict.checked ? head : std::string{"none"}) << std::endl;
  return 0;
}

/// A base URL a person can paste: a wildcard address becomes localhost;
/// https when the port has TLS on.
std::string url(const std::string& host, std::uint16_t port, bool tls) {
  std::string h = host;
  if (h.empty() || h == "0.0.0.0" || h == "::")
    h = "localhost";
  else if (h.find(':') != std::string::npos)
    h = "[" + h + "]";
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port);
}

/// The lines that end start-up: where Sluice listens, the superuser token on
/// the first start, and one command to paste next.
void print_banner(sluice::runtime& rt, const sluice::sluice_config& cfg) {
  namespace fs = std::filesystem;
  auto admin = url(cfg.admin_host, rt.admin_port(), cfg.admin_tls);
  std::string out = "\nsluiced " + std::string{sluice::version} + " is serving; data in "
                    + cfg.data_dir + "; Ctrl-C stops it\n";
  out += "  ingest URL:  " + url(cfg.ingest_host, rt.ingest_port(), cfg.ingest_tls) + "\n";
  out += "  admin URL:   " + admin + "   (API description: " + admin + "/api/v1/openapi.json)\n";
  out += "  web portal:  " + admin + "/portal/   (sign in with an alu_ token)\n";
  const auto& file = cfg.bootstrap_token_file;
  bool saved = !file.empty() && fs::exists(file);
  if (!rt.first_superuser().empty()) {
    // Printed once: only its hash is kept.
    out += "superuser token: " + rt.first_superuser() + "\n";
    out += saved ? "  shown only this once; saved in " + file + " (mode 0600)\n"
                 : "  shown only this once and saved nowhere: keep it (`sluiced create-superuser"
                   " --data-dir="
                     + cfg.data_dir + "` makes another)\n";
    rt.forget_first_superuser();
  }
  std::string credential = saved ? "$(cat " + file + ")" : "<your alu_ token>";
  out += "next, in another terminal:\n  curl -s -H \"Authorization: Bearer " + credential + "\" "
         + admin + "/api/v1/tenants\n";
  std::cout << out << std::flush;
}

int serve(sluice::sluice_config& cfg) {
  // Block the stop signals (and SIGHUP, which reloads the TLS certificate)
  // before any thread exists, so that every thread inherits the mask and
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client closing its socket must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  sluice::runtime rt{cfg};
  rt.start();
  print_banner(rt, cfg);
  sluice::log::info("started", {{"version", sluice::version},
                                {"ingest", url(cfg.ingest_host, rt.ingest_port(), cfg.ingest_tls)},
                                {"admin", url(cfg.admin_host, rt.admin_port(), cfg.admin_tls)},
                                {"data_dir", cfg.data_dir}});
  int sig = 0;
  while (sigwait(&stop_signals, &sig) == 0 && sig == SIGHUP)
    rt.reload_tls();
  sluice::log::info("stopping: finishing requests in flight",
                    {{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"}});
  rt.stop();
  sluice::log::info("stopped");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "sluiced: libsodium failed to initialise" << std::endl;
    return 1;
  }
  command_line cl;
  if (auto status = split(argc, argv, cl))
    return *status;
  sluice::sluice_config cfg;
  // Read before --help and --version too: an option sluiced does not know is
  // a mistake whatever else the command line asks for.
  if (auto status = parse(cfg, cl))
    return *status;
  switch (cl.act) {
    case action::help:
    case action::long_help:
      std::cout << usage_text << "\n" << cfg.help(cl.act == action::long_help) << std::flush;
      return 0;
    case action::version: std::cout << "sluiced " << sluice::version << std::endl; return 0;
    default: break;
  }
  sluice::log::configure(cfg.log_options);
  try {
    switch (cl.act) {
      case action::dump_config: std::cout << cfg.dump() << std::flush; return 0;
      case action::create_superuser: return create_superuser_main(cfg);
      case action::verify_audit: return verify_audit_main(cfg);
      default: return serve(cfg);
    }
  } catch (const sluice::startup_error& e) {
    std::cerr << "sluiced: " << e.what() << " (" << e.option() << ")" << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "sluiced: " << e.what() << std::endl;
    return 1;
  }
}
