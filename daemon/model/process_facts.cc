#include "process_facts.h"

#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <algorithm>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace iotax {

std::optional<uint64_t> ReadProcessCpuNs(int pid, const std::string& proc_root) {
  std::ifstream in(absl::StrCat(proc_root, "/", pid, "/stat"));
  std::stringstream text;
  text << in.rdbuf();
  const std::string stat = text.str();
  // Fields after the command name, which may hold spaces and parentheses.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return std::nullopt;
  const std::vector<absl::string_view> fields = absl::StrSplit(absl::string_view(stat).substr(close + 2), ' ');
  // Field 3 (state) is fields[0]; utime and stime are fields 14 and 15.
  uint64_t utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime)) {
    return std::nullopt;
  }
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  return (utime + stime) * (1'000'000'000ULL / static_cast<uint64_t>(ticks_per_second > 0 ? ticks_per_second : 100));
}

std::optional<uint64_t> ProcessCpuReader::Read(int pid) {
  std::error_code ec;
  const std::string tasks = absl::StrCat(proc_root_, "/", pid, "/task");
  std::map<int, uint64_t> now;
  for (const auto& entry : std::filesystem::directory_iterator(tasks, ec)) {
    int tid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &tid)) continue;
    std::ifstream in(entry.path() / "schedstat");
    uint64_t ns = 0;
    if (in >> ns) now[tid] = ns;
  }
  if (ec || now.empty()) {
    processes_.erase(pid);
    return ReadProcessCpuNs(pid, proc_root_);  // no schedstat here: clock ticks
  }
  Process& p = processes_[pid];
  for (const auto& [tid, last] : p.threads) {
    if (!now.count(tid)) p.exited_ns += last;
  }
  p.threads = std::move(now);
  uint64_t total = p.exited_ns;
  for (const auto& [tid, ns] : p.threads) total += ns;
  return total;
}

void ProcessCpuReader::AddTo(AgentSnapshot& snapshot) {
  for (TargetSnapshot& t : snapshot.targets) {
    if (!t.up) continue;
    // A process that has not run yet reads 0: keep 1 ns so "read" and "not
    // read" stay apart.
    if (auto ns = Read(t.pid)) t.kernel_cpu_ns = std::max<uint64_t>(*ns, 1);
  }
}

int CpusAllowed(int pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(pid, sizeof(set), &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace iotax
