#include "proc_reader.h"

#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
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

// The state letter of /proc/<pid>/stat: the field after the ')' that closes comm
// (comm itself may hold spaces and parentheses).
char ReadState(int pid, const std::string& root) {
  auto line = ReadFirstLine(PidDir(pid, root) + "/stat");
  if (!line.ok()) return '\0';
  size_t close = line->rfind(')');
  if (close == std::string::npos || close + 2 >= line->size()) return '\0';
  return (*line)[close + 2];
}

}  // namespace

absl::StatusOr<std::string> ReadComm(int pid, const std::string& proc_root) {
  auto line = ReadFirstLine(PidDir(pid, proc_root) + "/comm");
  if (!line.ok()) return absl::NotFoundError(absl::StrCat("no process with PID ", pid));
  return *line;
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

}  // namespace iotax::proc
