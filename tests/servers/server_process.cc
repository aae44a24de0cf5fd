#include "server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace iotax::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    error_ = std::string("pipe2: ") + std::strerror(errno);
    return;
  }
  const std::string binary = std::string(IOTAX_BIN_DIR) + "/iotax-echo-server";
  std::vector<std::string> argv_store{binary};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_ = fork();
  if (pid_ == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    // The test runner may have blocked signals; the server expects defaults.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  stdout_fd_ = out[0];
  stderr_fd_ = err[0];
  fcntl(stderr_fd_, F_SETFL, O_NONBLOCK);
  if (pid_ < 0) error_ = std::string("fork: ") + std::strerror(errno);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

std::optional<uint16_t> ServerProcess::WaitReady(std::chrono::milliseconds timeout) {
  if (pid_ < 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    size_t nl = stdout_buf_.find('\n');
    if (nl != std::string::npos) {
      ready_line_ = stdout_buf_.substr(0, nl);
      const std::string prefix = "listening on ";
      size_t colon = ready_line_.rfind(':');
      if (ready_line_.rfind(prefix, 0) != 0 || colon == std::string::npos) {
        error_ = "unexpected first stdout line: '" + ready_line_ + "'";
        return std::nullopt;
      }
      int port = std::atoi(ready_line_.c_str() + colon + 1);
      if (port <= 0 || port > 65535) {
        error_ = "bad port in '" + ready_line_ + "'";
        return std::nullopt;
      }
      return static_cast<uint16_t>(port);
    }
    pollfd p{stdout_fd_, POLLIN, 0};
    int left = MillisLeft(deadline);
    if (left == 0 || poll(&p, 1, left) <= 0) {
      DrainStderr();
      error_ = "no ready line within " + std::to_string(timeout.count()) + " ms; stderr: " + stderr_buf_;
      return std::nullopt;
    }
    char buf[512];
    ssize_t n = read(stdout_fd_, buf, sizeof(buf));
    if (n <= 0) {
      // Exited before becoming ready: collect why.
      Exit e = WaitExit(std::chrono::seconds(2));
      error_ = "server exited before the ready line (code " + std::to_string(e.code) + "): " + e.stderr_text;
      return std::nullopt;
    }
    stdout_buf_.append(buf, static_cast<size_t>(n));
  }
}

void ServerProcess::Signal(int signo) {
  if (pid_ > 0) kill(pid_, signo);
}

bool ServerProcess::Running() {
  if (pid_ <= 0) return false;
  return waitpid(pid_, nullptr, WNOHANG) == 0;
}

void ServerProcess::DrainStderr() {
  char buf[4096];
  for (;;) {
    ssize_t n = read(stderr_fd_, buf, sizeof(buf));
    if (n <= 0) return;
    stderr_buf_.append(buf, static_cast<size_t>(n));
  }
}

ServerProcess::Exit ServerProcess::WaitExit(std::chrono::milliseconds timeout) {
  Exit e;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  int status = 0;
  while (pid_ > 0) {
    DrainStderr();
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      e.exited = true;
      pid_ = -1;
      break;
    }
    if (Clock::now() >= deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      pid_ = -1;
      break;
    }
    usleep(2000);
  }
  e.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (e.exited) {
    if (WIFEXITED(status)) e.code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  }
  // The write ends are closed now: read what is left.
  fcntl(stderr_fd_, F_SETFL, 0);
  DrainStderr();
  e.stderr_text = stderr_buf_;
  return e;
}

}  // namespace iotax::testing
