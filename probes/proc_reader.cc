#include "proc_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace iotax::proc {
namespace {

std::string PidDir(int pid, const std::string& root) { return absl::StrCat(root, "/", pid); }

absl::StatusOr<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, " not readable"));
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

bool ReadText(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::optional<uint64_t> StatLine::Number(int n) const {
  uint64_t v = 0;
  const size_t i = static_cast<size_t>(n - kStatState);
  if (n < kStatState || i >= fields.size() || !absl::SimpleAtoi(fields[i], &v)) return std::nullopt;
  return v;
}

char StatLine::State() const { return fields.empty() || fields[0].empty() ? '\0' : fields[0][0]; }

absl::StatusOr<StatLine> ParseStat(absl::string_view text) {
  const size_t open = text.find('(');
  const size_t close = text.rfind(')');
  if (open == absl::string_view::npos || close == absl::string_view::npos || close < open) {
    return absl::DataLossError("no ')' after the command name in a stat line");
  }
  StatLine stat;
  stat.comm = std::string(text.substr(open + 1, close - open - 1));
  stat.fields = absl::StrSplit(text.substr(close + 1), absl::ByAnyChar(" \n"), absl::SkipEmpty());
  return stat;
}

absl::StatusOr<StatLine> ReadStat(int pid, const std::string& proc_root) {
  const std::string path = PidDir(pid, proc_root) + "/stat";
  std::string text;
  if (!ReadText(path, &text)) return absl::NotFoundError(absl::StrCat(path, " not readable"));
  return ParseStat(text);
}

absl::StatusOr<uint64_t> ParseSchedstatRunNs(absl::string_view text) {
  std::vector<absl::string_view> f = absl::StrSplit(absl::StripAsciiWhitespace(text), ' ', absl::SkipEmpty());
  uint64_t v = 0;
  if (f.empty() || !absl::SimpleAtoi(f[0], &v)) return absl::DataLossError("a schedstat line without a run time");
  return v;
}

absl::StatusOr<std::map<int, uint64_t>> ReadThreadRunTimes(int pid, const std::string& proc_root) {
  const std::string tasks = PidDir(pid, proc_root) + "/task";
  DIR* dir = opendir(tasks.c_str());
  if (dir == nullptr) return absl::NotFoundError(absl::StrCat("cannot list ", tasks));
  std::map<int, uint64_t> run_ns;
  while (dirent* e = readdir(dir)) {
    int tid = 0;
    std::string text;
    if (!absl::SimpleAtoi(e->d_name, &tid) || !ReadText(absl::StrCat(tasks, "/", tid, "/schedstat"), &text)) continue;
    if (absl::StatusOr<uint64_t> ns = ParseSchedstatRunNs(text); ns.ok()) run_ns[tid] = *ns;
  }
  closedir(dir);
  return run_ns;
}

int ReadParentPid(int pid, const std::string& proc_root) {
  const absl::StatusOr<StatLine> stat = ReadStat(pid, proc_root);
  const std::optional<uint64_t> ppid = stat.ok() ? stat->Number(kStatParentPid) : std::nullopt;
  return ppid ? static_cast<int>(*ppid) : 0;
}

absl::StatusOr<std::string> ReadComm(int pid, const std::string& proc_root) {
  auto line = ReadFirstLine(PidDir(pid, proc_root) + "/comm");
  if (!line.ok()) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  return *line;
}

bool IsKernelThread(int pid, const std::string& proc_root) {
  constexpr uint64_t kPfKthread = 0x00200000;  // include/linux/sched.h
  const absl::StatusOr<StatLine> stat = ReadStat(pid, proc_root);
  const std::optional<uint64_t> flags = stat.ok() ? stat->Number(kStatFlags) : std::nullopt;
  return flags && (*flags & kPfKthread) != 0;
}

bool ProcessAlive(int pid, const std::string& proc_root) {
  const absl::StatusOr<StatLine> stat = ReadStat(pid, proc_root);
  const char state = stat.ok() ? stat->State() : '\0';
  return state != '\0' && state != 'Z' && state != 'X';
}

std::vector<int> FindPidsByComm(absl::string_view comm, const std::string& proc_root) {
  std::vector<int> pids;
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) return pids;
  while (dirent* e = readdir(dir)) {
    int pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid) || pid <= 0) continue;
    auto c = ReadComm(pid, proc_root);
    if (c.ok() && *c == comm && ProcessAlive(pid, proc_root)) pids.push_back(pid);
  }
  closedir(dir);
  std::sort(pids.begin(), pids.end());
  return pids;
}

int CountThreads(int pid, const std::string& proc_root) {
  DIR* dir = opendir((PidDir(pid, proc_root) + "/task").c_str());
  if (dir == nullptr) return 0;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    int tid = 0;
    if (absl::SimpleAtoi(e->d_name, &tid)) ++n;
  }
  closedir(dir);
  return n;
}

int CountSockets(int pid, const std::string& proc_root) {
  const std::string fd_dir = PidDir(pid, proc_root) + "/fd";
  DIR* dir = opendir(fd_dir.c_str());
  if (dir == nullptr) return -1;
  int n = 0;
  char target[64];
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const ssize_t len = readlinkat(dirfd(dir), e->d_name, target, sizeof(target) - 1);
    if (len > 0 && absl::StartsWith(absl::string_view(target, static_cast<size_t>(len)), "socket:")) ++n;
  }
  closedir(dir);
  return n;
}

absl::StatusOr<int> ReadTgid(int pid, const std::string& proc_root) {
  std::ifstream in(PidDir(pid, proc_root) + "/status");
  if (!in) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view v = line;
    if (absl::ConsumePrefix(&v, "Tgid:")) {
      int tgid = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(v), &tgid)) return tgid;
    }
  }
  return absl::DataLossError(absl::StrCat("no Tgid line in /proc/", pid, "/status"));
}

absl::StatusOr<uint64_t> ReadStartTime(int pid, const std::string& proc_root) {
  const absl::StatusOr<StatLine> stat = ReadStat(pid, proc_root);
  if (!stat.ok()) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  const std::optional<uint64_t> start = stat->Number(kStatStartTime);
  if (!start) return absl::DataLossError(absl::StrCat("no start time in /proc/", pid, "/stat"));
  return *start;
}

}  // namespace iotax::proc
