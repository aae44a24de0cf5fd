#include "pmu_child.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace iotax::testing {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

absl::StatusOr<PmuWorkload> PmuWorkload::Start(const std::vector<std::string>& args,
                                               std::chrono::milliseconds timeout) {
  int to_child[2];
  int from_child[2];
  if (pipe2(to_child, O_CLOEXEC) != 0 || pipe2(from_child, O_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  std::vector<std::string> argv_s = {PMU_WORKLOAD_PATH};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  PmuWorkload w(pid, to_child[1], from_child[0]);
  if (absl::Status s = w.ReadUntil("\n", timeout); !s.ok()) return s;
  // "ready <tid>\n"
  const size_t nl = w.out_.find('\n');
  std::vector<std::string> parts = absl::StrSplit(w.out_.substr(0, nl), ' ');
  if (parts.size() != 2 || parts[0] != "ready" || !absl::SimpleAtoi(parts[1], &w.tid_)) {
    return absl::InternalError(absl::StrCat("pmu_workload said '", w.out_, "' instead of ready <tid>"));
  }
  w.out_.erase(0, nl + 1);
  return w;
}

PmuWorkload::PmuWorkload(PmuWorkload&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      tid_(other.tid_),
      in_fd_(std::exchange(other.in_fd_, -1)),
      out_fd_(std::exchange(other.out_fd_, -1)),
      out_(std::move(other.out_)) {}

PmuWorkload::~PmuWorkload() {
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

absl::Status PmuWorkload::WriteByte(char c) {
  if (write(in_fd_, &c, 1) != 1) return absl::ErrnoToStatus(errno, "writing to pmu_workload");
  return absl::OkStatus();
}

absl::Status PmuWorkload::ReadUntil(const std::string& needle, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (out_.find(needle) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return absl::DeadlineExceededError(absl::StrCat("pmu_workload did not say '", needle, "'"));
    pollfd p{out_fd_, POLLIN, 0};
    const int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[256];
    const ssize_t n = read(out_fd_, buf, sizeof(buf));
    if (n == 0) return absl::InternalError("pmu_workload closed its stdout");
    if (n < 0) return absl::ErrnoToStatus(errno, "reading pmu_workload");
    out_.append(buf, static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PmuWorkload::Go() { return WriteByte('g'); }

absl::Status PmuWorkload::ServeBlockingReads(int n, std::chrono::microseconds delay) {
  for (int i = 0; i < n; ++i) {
    if (absl::Status s = ReadUntil("a", std::chrono::seconds(10)); !s.ok()) return s;
    out_.erase(0, out_.find('a') + 1);
    std::this_thread::sleep_for(delay);  // the workload is now blocked in read
    if (absl::Status s = WriteByte('b'); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status PmuWorkload::WaitDone(std::chrono::milliseconds timeout) { return ReadUntil("done\n", timeout); }

absl::Status PmuWorkload::Finish(std::chrono::milliseconds timeout) {
  if (absl::Status s = WriteByte('x'); !s.ok()) return s;
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (r < 0) return absl::ErrnoToStatus(errno, "waitpid");
    if (Clock::now() > deadline) return absl::DeadlineExceededError("pmu_workload did not exit");
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(absl::StrCat("pmu_workload exited with status ", status));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ThreadUserTicks(pid_t pid, pid_t tid) {
  const std::string path = absl::StrCat("/proc/", pid, "/task/", tid, "/stat");
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string line = ss.str();
  // Fields after the ')' that closes comm: state is field 3, utime field 14.
  const size_t close = line.rfind(')');
  if (!in || close == std::string::npos) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::vector<std::string> f = absl::StrSplit(line.substr(close + 2), ' ');
  uint64_t utime = 0;
  if (f.size() < 12 || !absl::SimpleAtoi(f[11], &utime)) {
    return absl::InternalError(absl::StrCat("unexpected ", path, ": ", line));
  }
  return utime;
}

}  // namespace iotax::testing
