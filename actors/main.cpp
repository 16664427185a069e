// sluiced: the Sluice server.
//
//   sluiced [--config-file=FILE] [--ingest-port=N] [--admin-port=N] [--admin-host=ADDR]
//           [--data-dir=DIR] [--bootstrap-token-file=FILE] [--<group>.<key>=VALUE …]
//   sluiced create-superuser [--data-dir=DIR] [--config-file=FILE]
//
// Every option has a key in configs/sluice.conf; --help lists them all.

#include <pthread.h>
#include <signal.h>
#include <sodium.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <string_view>

#include "actors/bootstrap.hpp"
#include "actors/config.hpp"
#include "actors/runtime.hpp"
#include "store/meta_store.hpp"
#include "store/pepper_file.hpp"

namespace {

constexpr const char* usage_text =
  "usage: sluiced [--config-file=FILE] [--ingest-port=N] [--admin-port=N]\n"
  "               [--admin-host=ADDR] [--data-dir=DIR] [--bootstrap-token-file=FILE]\n"
  "               [--<group>.<key>=VALUE ...]\n"
  "       sluiced create-superuser [--data-dir=DIR] [--config-file=FILE]\n\n";

bool wants_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a{argv[i]};
    if (a == "--help" || a == "-h" || a == "-?" || a == "--long-help")
      return true;
  }
  return false;
}

/// Parses the command line into `cfg`; prints why not and returns false.
bool parse(sluice::sluice_config& cfg, int argc, char** argv) {
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "sluiced: " << cfg.render(err) << "\n" << usage_text
              << "see sluiced --help for every option" << std::endl;
    return false;
  }
  return true;
}

int create_superuser_main(int argc, char** argv) {
  sluice::sluice_config cfg;
  if (!parse(cfg, argc, argv))
    return 2;
  namespace fs = std::filesystem;
  fs::path dir{cfg.data_dir};
  if (!fs::exists(dir / "meta")) {
    std::cerr << "sluiced: no Sluice data in " << dir << " (start sluiced there first)"
              << std::endl;
    return 1;
  }
  auto pepper = sluice::store::load_or_create_pepper(dir);
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

int serve(int argc, char** argv) {
  sluice::sluice_config cfg;
  if (!parse(cfg, argc, argv))
    return 2;
  // Block the stop signals before any thread exists, so that every thread
  // inherits the mask and only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client closing its socket must not kill the server.
  signal(SIGPIPE, SIG_IGN);

  sluice::runtime rt{cfg};
  rt.start();
  int sig = 0;
  sigwait(&stop_signals, &sig);
  std::cout << "sluiced: " << (sig == SIGINT ? "SIGINT" : "SIGTERM")
            << ": finishing requests in flight" << std::endl;
  rt.stop();
  std::cout << "sluiced: stopped" << std::endl;
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) {
    std::cerr << "sluiced: libsodium failed to initialise" << std::endl;
    return 1;
  }
  if (wants_help(argc, argv)) {
    sluice::sluice_config cfg;
    std::cout << usage_text << cfg.help() << std::endl;
    return 0;
  }
  try {
    if (argc > 1 && std::strcmp(argv[1], "create-superuser") == 0)
      return create_superuser_main(argc - 1, argv + 1);
    return serve(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "sluiced: " << e.what() << std::endl;
    return 1;
  }
}
