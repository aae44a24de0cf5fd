#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "clock.h"

namespace iotax::bench {
namespace {

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int RemainingMs(int64_t deadline_ns) {
  const int64_t left = deadline_ns - client::NowNs();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left / 1'000'000 + 1, 1'000'000));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(const std::vector<std::string>& argv,
                                                                  const std::string& stderr_path) {
  if (argv.empty()) return absl::InvalidArgumentError("no program to start");
  if (access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(argv[0],
                                            " is not an executable file: build it (cmake --build build) or "
                                            "pass --bin-dir"));
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  // Everything the child touches is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string err_path = stderr_path.empty() ? "/dev/null" : stderr_path;
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) {
    const int e = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return absl::ErrnoToStatus(e, "fork");
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the bench died before prctl
    setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(pipe_fds[1], STDOUT_FILENO);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (err >= 0) dup2(err, STDERR_FILENO);
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, STDIN_FILENO);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fds[1]);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pipe_fds[0]));
}

ChildProcess::~ChildProcess() {
  if (running()) Stop(absl::Seconds(2));
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

bool ChildProcess::Fill(absl::Duration timeout) {
  if (eof_) return false;
  const int64_t deadline = client::NowNs() + absl::ToInt64Nanoseconds(timeout);
  for (;;) {
    pollfd p{stdout_fd_, POLLIN, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    char buf[4096];
    const ssize_t got = read(stdout_fd_, buf, sizeof(buf));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      eof_ = true;
      return false;
    }
    buffer_.append(buf, static_cast<size_t>(got));
    return true;
  }
}

std::optional<std::string> ChildProcess::ReadLine(absl::Duration timeout) {
  const int64_t deadline = client::NowNs() + absl::ToInt64Nanoseconds(timeout);
  for (;;) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return line;
    }
    const int64_t left = deadline - client::NowNs();
    if (left <= 0 || !Fill(absl::Nanoseconds(left))) return std::nullopt;
  }
}

std::string ChildProcess::ReadAll(absl::Duration timeout) {
  const int64_t deadline = client::NowNs() + absl::ToInt64Nanoseconds(timeout);
  for (;;) {
    const int64_t left = deadline - client::NowNs();
    if (left <= 0 || !Fill(absl::Nanoseconds(left))) break;
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

std::optional<int> ChildProcess::Wait(absl::Duration timeout) {
  if (exit_code_) return exit_code_;
  const int64_t deadline = client::NowNs() + absl::ToInt64Nanoseconds(timeout);
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = ExitCodeOf(status);
      return exit_code_;
    }
    if (r < 0 && errno != EINTR) {
      exit_code_ = -1;
      return exit_code_;
    }
    if (client::NowNs() >= deadline) return std::nullopt;
    usleep(5000);
  }
}

int ChildProcess::Stop(absl::Duration grace) {
  if (exit_code_) return *exit_code_;
  kill(pid_, SIGTERM);
  if (auto code = Wait(grace)) return *code;
  kill(pid_, SIGKILL);
  return Wait(absl::Seconds(5)).value_or(-1);
}

absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv, absl::Duration timeout) {
  auto child = ChildProcess::Start(argv, "");
  if (!child.ok()) return child.status();
  std::string out = (*child)->ReadAll(timeout);
  auto code = (*child)->Wait(absl::Seconds(1));
  if (!code) {
    (*child)->Stop(absl::Milliseconds(200));
    return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish in ", absl::FormatDuration(timeout)));
  }
  if (*code != 0) return absl::UnavailableError(absl::StrCat(argv[0], " exited with ", *code));
  return out;
}

}  // namespace iotax::bench
