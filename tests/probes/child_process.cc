#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

extern char** environ;

namespace iotax::testing {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

absl::StatusOr<ChildProcess> ChildProcess::Start(const std::vector<std::string>& argv, bool capture_stderr) {
  int out[2], err[2] = {-1, -1};
  if (pipe2(out, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe");
  if (capture_stderr && pipe2(err, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  if (capture_stderr) posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (capture_stderr) close(err[1]);
  if (rc != 0) {
    close(out[0]);
    if (capture_stderr) close(err[0]);
    return absl::ErrnoToStatus(rc, absl::StrCat("posix_spawn ", absl::StrJoin(argv, " ")));
  }
  return ChildProcess(pid, out[0], err[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), out_fd_(other.out_fd_), err_fd_(other.err_fd_),
      out_(std::move(other.out_)), err_(std::move(other.err_)) {
  other.pid_ = -1;
  other.out_fd_ = other.err_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

absl::StatusOr<std::string> ChildProcess::ReadStdoutUntil(const std::string& needle,
                                                          std::chrono::milliseconds timeout) {
  return ReadUntil(out_fd_, out_, needle, timeout);
}

absl::StatusOr<std::string> ChildProcess::ReadStderrUntil(const std::string& needle,
                                                          std::chrono::milliseconds timeout) {
  return ReadUntil(err_fd_, err_, needle, timeout);
}

absl::StatusOr<std::string> ChildProcess::ReadUntil(int fd, std::string& buffer, const std::string& needle,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (needle.empty() || buffer.find(needle) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    const int n = poll(&p, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::DeadlineExceededError(absl::StrCat("no ", needle.empty() ? "EOF" : "'" + needle + "'",
                                                      " from PID ", pid_, " within ", timeout.count(),
                                                      " ms; got: ", buffer));
    }
    char chunk[4096];
    const ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (needle.empty()) break;  // EOF is what we waited for
      return absl::FailedPreconditionError(absl::StrCat("PID ", pid_, " closed its output before '", needle,
                                                        "'; got: ", buffer));
    }
    buffer.append(chunk, got);
  }
  std::string all;
  all.swap(buffer);
  return all;
}

absl::StatusOr<std::string> ChildProcess::Finish(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  absl::StatusOr<std::string> out = ReadUntil(out_fd_, out_, "", timeout);
  if (!out.ok()) return out.status();
  int status = 0;
  while (true) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0) return absl::ErrnoToStatus(errno, "waitpid");
    if (RemainingMs(deadline) == 0)
      return absl::DeadlineExceededError(absl::StrCat("PID ", pid_, " did not exit within ", timeout.count(), " ms"));
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return absl::InternalError(absl::StrCat("child exited with status ", status, "; output: ", *out));
  return out;
}

}  // namespace iotax::testing
