#include "process_facts.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>

#include "proc_reader.h"
#include "service_members.h"

namespace iotax {

std::optional<uint64_t> ReadProcessCpuNs(int pid, const std::string& proc_root) {
  const absl::StatusOr<proc::StatLine> stat = proc::ReadStat(pid, proc_root);
  if (!stat.ok()) return std::nullopt;
  const std::optional<uint64_t> utime = stat->Number(proc::kStatUserTicks);
  const std::optional<uint64_t> stime = stat->Number(proc::kStatSystemTicks);
  if (!utime || !stime) return std::nullopt;
  static const long ticks_per_second = sysconf(_SC_CLK_TCK);
  return (*utime + *stime) * (1'000'000'000ULL / static_cast<uint64_t>(ticks_per_second > 0 ? ticks_per_second : 100));
}

std::optional<uint64_t> ReadMajorFaults(int pid, const std::string& proc_root) {
  const absl::StatusOr<proc::StatLine> stat = proc::ReadStat(pid, proc_root);
  if (!stat.ok()) return std::nullopt;
  return stat->Number(proc::kStatMajorFaults);
}

std::optional<uint64_t> ProcessCpuReader::Read(int pid) {
  absl::StatusOr<std::map<int, uint64_t>> now = proc::ReadThreadRunTimes(pid, proc_root_);
  if (!now.ok() || now->empty()) {
    processes_.erase(pid);
    return ReadProcessCpuNs(pid, proc_root_);  // no schedstat here: clock ticks
  }
  Process& p = processes_[pid];
  for (const auto& [tid, last] : p.threads) {
    if (!now->count(tid)) p.exited_ns += last;
  }
  p.threads = std::move(*now);
  uint64_t total = p.exited_ns;
  for (const auto& [tid, ns] : p.threads) total += ns;
  return total;
}

void ProcessCpuReader::ReadService(Service& service, TargetSnapshot& target) {
  std::map<int, Member> now;
  for (int pid : target.service->members) {
    const std::optional<uint64_t> ns = Read(pid);
    if (!ns) continue;  // gone since the tracer listed it: handled below with the others that left
    const uint64_t faults = ReadMajorFaults(pid, proc_root_).value_or(0);
    auto it = service.members.find(pid);
    Member m = it != service.members.end()
                   ? it->second
                   : Member{{service.read_once ? 0 : *ns, 0}, {service.read_once ? 0 : faults, 0}};
    m.cpu_ns.last = std::max(m.cpu_ns.last, *ns);
    m.major_faults.last = std::max(m.major_faults.last, faults);
    now[pid] = m;
  }
  for (const auto& [pid, m] : service.members) {
    if (now.count(pid)) continue;
    service.gone_cpu_ns += m.cpu_ns.Grown();
    service.gone_major_faults += m.major_faults.Grown();
    processes_.erase(pid);
  }
  service.members = std::move(now);
  service.read_once = true;
  uint64_t cpu_ns = service.gone_cpu_ns;
  uint64_t faults = service.gone_major_faults;
  for (const auto& [pid, m] : service.members) {
    cpu_ns += m.cpu_ns.Grown();
    faults += m.major_faults.Grown();
  }
  target.kernel_cpu_ns = std::max<uint64_t>(cpu_ns, 1);
  target.major_faults = faults;
}

void ProcessCpuReader::AddTo(AgentSnapshot& snapshot) {
  for (TargetSnapshot& t : snapshot.targets) {
    if (!t.up) continue;
    if (t.service) {
      ReadService(services_[t.pid], t);
      t.service->cpus = ServiceCpus(t.service->kind == "cgroup" ? t.service->name : "", t.service->members, proc_root_);
      continue;
    }
    // A process that has not run yet reads 0: keep 1 ns so "read" and "not
    // read" stay apart.
    if (auto ns = Read(t.pid)) t.kernel_cpu_ns = std::max<uint64_t>(*ns, 1);
    t.major_faults = ReadMajorFaults(t.pid, proc_root_);
  }
}

int CpusAllowed(int pid) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(pid, sizeof(set), &set) != 0) return 0;
  return CPU_COUNT(&set);
}

}  // namespace iotax
