#include "service_members.h"

#include <dirent.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "proc_reader.h"

namespace iotax {
namespace {

// Line "Key:\tvalue" of /proc/PID/status, or "".
std::string StatusField(int pid, absl::string_view key, const std::string& proc_root) {
  std::string text;
  if (!proc::ReadText(absl::StrCat(proc_root, "/", pid, "/status"), &text)) return "";
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, ":")) {
      return std::string(absl::StripAsciiWhitespace(line));
    }
  }
  return "";
}

void CollectProcs(const std::filesystem::path& dir, int depth, std::vector<int>& out) {
  std::string text;
  if (proc::ReadText((dir / "cgroup.procs").string(), &text)) {
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      int pid = 0;
      if (absl::SimpleAtoi(line, &pid) && pid > 0) out.push_back(pid);
    }
  }
  if (depth >= 32) return;  // cgroup trees are shallow; a loop of bind mounts is not followed forever
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (entry.is_directory(type_ec) && !entry.is_symlink(type_ec)) CollectProcs(entry.path(), depth + 1, out);
  }
}

}  // namespace

const char* ServiceSelector::KindName() const {
  switch (kind) {
    case Kind::kComm: return "comm";
    case Kind::kCgroup: return "cgroup";
    case Kind::kPids: return "pids";
  }
  return "comm";
}

std::string ServiceSelector::DisplayName() const {
  if (kind != Kind::kPids) return name;
  return absl::StrCat(pids.size() == 1 ? "PID " : "PIDs ", absl::StrJoin(pids, ", "));
}

std::string ServiceSelector::Describe() const {
  return kind == Kind::kPids ? DisplayName() : absl::StrCat(KindName(), " ", name);
}

absl::Status CheckCgroupPath(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--cgroup=", path, ": no such directory; pass a cgroup v2 directory, e.g. /sys/fs/cgroup/system.slice/"
        "nginx.service (`systemctl status NAME` shows a service's cgroup, `cat /proc/PID/cgroup` a process's)"));
  }
  if (!std::filesystem::exists(std::filesystem::path(path) / "cgroup.procs", ec)) {
    return absl::InvalidArgumentError(absl::StrCat("--cgroup=", path,
                                                   ": not a cgroup v2 directory (it has no cgroup.procs); pass one "
                                                   "under /sys/fs/cgroup (a v1 hierarchy's directory works too)"));
  }
  return absl::OkStatus();
}

std::vector<int> ReadCgroupProcs(const std::string& cgroup_dir) {
  std::vector<int> pids;
  CollectProcs(cgroup_dir, 0, pids);
  std::sort(pids.begin(), pids.end());
  pids.erase(std::unique(pids.begin(), pids.end()), pids.end());
  return pids;
}

std::vector<int> FindServiceMembers(const ServiceSelector& selector, const std::string& proc_root) {
  std::vector<int> candidates;
  switch (selector.kind) {
    case ServiceSelector::Kind::kComm: candidates = proc::FindPidsByComm(selector.name, proc_root); break;
    case ServiceSelector::Kind::kCgroup: candidates = ReadCgroupProcs(selector.name); break;
    case ServiceSelector::Kind::kPids: candidates = selector.pids; break;
  }
  std::vector<int> members;
  for (int pid : candidates) {
    if (!proc::ProcessAlive(pid, proc_root) || proc::IsKernelThread(pid, proc_root)) continue;
    members.push_back(pid);
  }
  return members;
}

std::set<int> ParseCpuList(absl::string_view list) {
  std::set<int> cpus;
  for (absl::string_view part : absl::StrSplit(absl::StripAsciiWhitespace(list), ',', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> range = absl::StrSplit(part, absl::MaxSplits('-', 1));
    int lo = 0, hi = 0;
    if (!absl::SimpleAtoi(range.first, &lo)) return {};
    hi = lo;
    if (!range.second.empty() && !absl::SimpleAtoi(range.second, &hi)) return {};
    if (lo < 0 || hi < lo || hi - lo > 65535) return {};
    for (int c = lo; c <= hi; ++c) cpus.insert(c);
  }
  return cpus;
}

int ServiceCpus(const std::string& cgroup_dir, const std::vector<int>& members, const std::string& proc_root) {
  if (!cgroup_dir.empty()) {
    // Without the cpuset controller the file is absent here: ask the parents.
    for (std::filesystem::path dir = cgroup_dir; !dir.empty() && dir != dir.root_path(); dir = dir.parent_path()) {
      // cgroup v2 names it cpuset.cpus.effective, a v1 cpuset hierarchy cpuset.effective_cpus.
      for (const char* file : {"cpuset.cpus.effective", "cpuset.effective_cpus"}) {
        std::string text;
        if (!proc::ReadText((dir / file).string(), &text)) continue;
        const std::set<int> cpus = ParseCpuList(text);
        if (!cpus.empty()) return static_cast<int>(cpus.size());
      }
    }
  }
  std::set<int> all;
  for (int pid : members) {
    const std::set<int> cpus = ParseCpuList(StatusField(pid, "Cpus_allowed_list", proc_root));
    all.insert(cpus.begin(), cpus.end());
  }
  return static_cast<int>(all.size());
}

}  // namespace iotax
