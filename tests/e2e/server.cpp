#include "tests/e2e/server.hpp"

#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <stdexcept>
#include <string_view>

namespace sluice::e2e {

namespace {

/// Where the first sanitizer report starts in `text` (npos: none). In a
/// sanitized build (make test-asan, make test-tsan) sluiced inherits the
/// test's *SAN_OPTIONS and stops at its first report; the report must fail
/// the test even when no request happened to notice the server was gone.
std::size_t sanitizer_report(std::string_view text) {
  std::size_t first = std::string_view::npos;
  for (std::string_view marker :
       {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
        "ERROR: ThreadSanitizer", ": runtime error: "})
    first = std::min(first, text.find(marker));
  return first;
}

} // namespace

temp_dir::temp_dir() {
  std::random_device rd;
  auto base = std::filesystem::temp_directory_path();
  for (;;) {
    auto candidate = base / ("sluice-e2e-" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

sluiced_process::sluiced_process(std::filesystem::path data_dir,
                                 std::vector<std::string> extra_args)
    : data_dir_(std::move(data_dir)) {
  const char* bin = std::getenv("SLUICED");
  if (!bin)
    throw std::runtime_error("set SLUICED to the sluiced binary (ctest does)");
  std::vector<std::string> args = {
    bin,
    "--data-dir=" + data_dir_.string(),
    "--ingest-host=127.0.0.1",
    "--ingest-port=0",
    "--admin-port=0",
    "--bootstrap-token-file=" + (data_dir_ / "superuser.token").string(),
  };
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  // stdout and stderr each through a pipe of its own: error_output() is the
  // log alone, output() both.
  int pipe_fds[2], err_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0 || ::pipe2(err_fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0)
    throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(pipe_fds[1], 1);
    ::dup2(err_fds[1], 2);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  ::close(err_fds[1]);
  out_fd_ = pipe_fds[0];
  err_fd_ = err_fds[0];

  // Collect output in the background: the process must never block on a full
  // pipe, and a failing test prints what the server said.
  // From a sanitizer report on, the output is also copied to stderr as it
  // arrives: sluiced stops at its first report (halt_on_error), and a test
  // whose client threads then fail to connect may end in std::terminate
  // before any check prints the report.
  reader_ = std::thread{[this] {
    char buf[4096];
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    int open = 2;
    bool copying = false;
    while (open > 0) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR)
          continue;
        return;
      }
      for (auto& p : fds) {
        if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP | POLLERR)))
          continue;
        auto n = ::read(p.fd, buf, sizeof buf);
        if (n <= 0) {
          p.fd = -1; // closed: poll ignores it from now on
          --open;
          continue;
        }
        std::lock_guard guard{out_mtx_};
        // A marker may straddle two reads: look again from a little before.
        auto from = out_.size() < 64 ? 0 : out_.size() - 64;
        out_.append(buf, static_cast<std::size_t>(n));
        if (&p == &fds[1])
          err_.append(buf, static_cast<std::size_t>(n));
        std::string_view copy;
        if (copying) {
          copy = {buf, static_cast<std::size_t>(n)};
        } else if (auto at = sanitizer_report(std::string_view{out_}.substr(from));
                   at != std::string_view::npos) {
          copying = true;
          copy = std::string_view{out_}.substr(from + at);
          static constexpr std::string_view head =
            "\n== sluiced's output from its sanitizer report on:\n";
          (void)!::write(STDERR_FILENO, head.data(), head.size());
        }
        while (!copy.empty()) {
          auto w = ::write(STDERR_FILENO, copy.data(), copy.size());
          if (w <= 0)
            break;
          copy.remove_prefix(static_cast<std::size_t>(w));
        }
      }
    }
  }};
  // HOST:PORT, an IPv6 host in brackets.
  static const std::regex ingest_re{R"(ingest listening on (?:\[[^\]\s]*\]|[^\s:]+):(\d+))"};
  static const std::regex admin_re{R"(admin listening on (?:\[[^\]\s]*\]|[^\s:]+):(\d+))"};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto text = output();
    std::smatch m1, m2;
    // Up once both ports listen and the banner that ends start-up is out
    // (its last line is the command to paste next).
    auto next = text.find("next, in another terminal:\n");
    bool banner =
      next != std::string::npos && text.find("/api/v1/tenants\n", next) != std::string::npos;
    if (banner && std::regex_search(text, m1, ingest_re) && std::regex_search(text, m2, admin_re)) {
      ingest_port_ = static_cast<std::uint16_t>(std::stoi(m1[1]));
      admin_port_ = static_cast<std::uint16_t>(std::stoi(m2[1]));
      return;
    }
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      reader_.join(); // the pipe is closed: the reader is done
      if (sanitizer_report(output()) != std::string::npos)
        BOOST_ERROR("sanitizer report in sluiced's output at start-up");
      throw std::runtime_error("sluiced exited at start-up:\n" + output());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(); // also joins the reader
  throw std::runtime_error("sluiced did not start within 20 s:\n" + output());
}

sluiced_process::~sluiced_process() {
  if (pid_ > 0)
    kill();
  if (reader_.joinable())
    reader_.join();
  if (out_fd_ >= 0)
    ::close(out_fd_);
  if (err_fd_ >= 0)
    ::close(err_fd_);
}

std::string sluiced_process::superuser_token() const {
  std::ifstream in{data_dir_ / "superuser.token"};
  std::string token;
  std::getline(in, token);
  return token;
}

int sluiced_process::wait_exit() {
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  if (reader_.joinable())
    reader_.join();
  // All of the output is in: the reader saw the pipe close.
  auto text = output();
  if (auto at = sanitizer_report(text); at != std::string::npos)
    BOOST_ERROR("sanitizer report in sluiced's output:\n" << text.substr(at, 6000));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int sluiced_process::terminate() {
  if (pid_ <= 0)
    return -1;
  ::kill(pid_, SIGTERM);
  return wait_exit();
}

void sluiced_process::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

void sluiced_process::kill() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGKILL);
  wait_exit();
}

std::string sluiced_process::output() const {
  std::lock_guard guard{out_mtx_};
  return out_;
}

std::string sluiced_process::error_output() const {
  std::lock_guard guard{out_mtx_};
  return err_;
}

} // namespace sluice::e2e
