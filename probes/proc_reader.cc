#include "proc_reader.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

// The fields of /proc/<pid>/stat after the ')' that closes comm (comm itself
// may hold spaces and parentheses): element 0 is field 3, the state.
absl::StatusOr<std::vector<std::string>> ReadStatFieldsAfterComm(int pid, const std::string& root) {
  auto line = ReadFirstLine(PidDir(pid, root) + "/stat");
  if (!line.ok()) return line.status();
  size_t close = line->rfind(')');
  if (close == std::string::npos) return absl::DataLossError(absl::StrCat("no ')' in /proc/", pid, "/stat"));
  return absl::StrSplit(absl::string_view(*line).substr(close + 1), ' ', absl::SkipEmpty());
}

char ReadState(int pid, const std::string& root) {
  auto fields = ReadStatFieldsAfterComm(pid, root);
  if (!fields.ok() || fields->empty() || (*fields)[0].empty()) return '\0';
  return (*fields)[0][0];
}

}  // namespace

absl::StatusOr<std::string> ReadComm(int pid, const std::string& proc_root) {
  auto line = ReadFirstLine(PidDir(pid, proc_root) + "/comm");
  if (!line.ok()) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  return *line;
}

bool IsKernelThread(int pid, const std::string& proc_root) {
  constexpr size_t kFlagsIndex = 9 - 3;
  constexpr uint64_t kPfKthread = 0x00200000;  // include/linux/sched.h
  auto fields = ReadStatFieldsAfterComm(pid, proc_root);
  uint64_t flags = 0;
  if (!fields.ok() || fields->size() <= kFlagsIndex || !absl::SimpleAtoi((*fields)[kFlagsIndex], &flags)) return false;
  return (flags & kPfKthread) != 0;
}

bool ProcessAlive(int pid, const std::string& proc_root) {
  const char state = ReadState(pid, proc_root);
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
  auto fields = ReadStatFieldsAfterComm(pid, proc_root);
  if (!fields.ok()) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  constexpr size_t kStartTimeIndex = 22 - 3;
  uint64_t start = 0;
  if (fields->size() <= kStartTimeIndex || !absl::SimpleAtoi((*fields)[kStartTimeIndex], &start))
    return absl::DataLossError(absl::StrCat("no start time in /proc/", pid, "/stat"));
  return start;
}

}  // namespace iotax::proc
