#include "report.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "target_window.h"

namespace iotax {

std::string NowRfc3339() { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()); }

std::vector<TopCost> TopCosts(const BlockingBreakdown& b, size_t limit) {
  std::vector<TopCost> costs;
  auto add = [&](std::string name, double seconds) {
    if (seconds > 0) costs.push_back({std::move(name), seconds, b.cpu_seconds > 0 ? seconds / b.cpu_seconds : 0});
  };
  add("user code (outside syscalls)", b.user_seconds - (b.indirect.available ? b.indirect.cpu_seconds : 0));
  if (b.indirect.available) add("indirect cost of blocking (cache and TLB refills after a switch)", b.indirect.cpu_seconds);
  for (int c = 0; c < kNumClasses; ++c) {
    const SyscallClass cls = static_cast<SyscallClass>(c);
    const ClassCost& cc = b.classes[c];
    const bool counted = b.CountsAsIo(cls) && cc.tier2.HasCost();
    const double blocking = counted ? cc.tier2.direct_cost_seconds : 0.0;
    add(absl::StrCat("kernel work in ", ClassNoun(cls)), cc.cpu_seconds - blocking);
    if (blocking > 0) add(absl::StrCat("blocking ", ClassNoun(cls), " (sleep, switches, wakeup)"), blocking);
  }
  add("io_uring worker threads", b.io_worker_seconds);
  add("scheduler around preemptions (outside any call)", b.sched_seconds);
  add("kernel CPU not attributed (window edges, exited threads)", b.untraced_cpu_seconds);
  std::sort(costs.begin(), costs.end(), [](const TopCost& x, const TopCost& y) { return x.cpu_seconds > y.cpu_seconds; });
  if (costs.size() > limit) costs.resize(limit);
  return costs;
}

ServiceReport ServiceOver(const TargetSnapshot& first, const TargetSnapshot& last) {
  ServiceReport r;
  const ServiceFacts empty;
  const ServiceFacts& a = first.service ? *first.service : empty;
  const ServiceFacts& b = last.service ? *last.service : empty;
  r.kind = b.kind;
  r.name = b.name;
  const auto delta = [](uint64_t end, uint64_t start) { return end > start ? end - start : 0; };
  r.processes_joined = delta(b.processes_added, a.processes_added) +
                       delta(last.stats.children_followed, first.stats.children_followed);
  r.processes_seen = a.members.size() + r.processes_joined;
  r.processes_exited = delta(last.stats.processes_exited, first.stats.processes_exited);
  r.processes_running = b.members.size();
  r.cpus = b.cpus;
  return r;
}

Report BuildReport(const std::vector<const AgentSnapshot*>& snapshots, const ReportContext& context) {
  Report report;
  report.generated_at = context.generated_at.empty() ? NowRfc3339() : context.generated_at;
  report.calibration.used = context.calibration != nullptr;
  report.calibration.note = context.calibration_note;
  report.calibration.rejected = context.calibration_rejected;
  if (context.calibration != nullptr) {
    report.calibration.path = context.calibration->path;
    report.calibration.created_at = context.calibration->created_at;
    report.calibration.machine_key = context.calibration->machine_key;
  }
  if (snapshots.empty()) return report;
  const AgentSnapshot& last = *snapshots.back();
  report.pmu = last.pmu;
  report.sampling = last.sampling;
  std::set<int> done;
  for (auto it = last.targets.rbegin(); it != last.targets.rend(); ++it) {
    if (!done.insert(it->pid).second) continue;
    TargetReport t;
    t.pid = it->pid;
    t.comm = it->comm;
    t.up = it->up;
    VerdictInputs in;
    in.windows = WindowsOf(snapshots, it->pid);
    in.pmu = last.pmu;
    in.calibration = context.calibration;
    in.cpus = (context.cpus_of && it->up) ? context.cpus_of(it->pid) : 0;
    if (it->service) {
      // Its CPUs are the union of its members' (or its cgroup's), not a process's.
      const TargetSnapshot* first = nullptr;
      for (const AgentSnapshot* s : snapshots) {
        if ((first = FindTarget(*s, it->pid)) != nullptr) break;
      }
      t.service = ServiceOver(*first, *it);
      in.cpus = t.service->cpus;
      in.service = true;
    }
    in.thresholds = context.thresholds;
    t.verdict = ComputeVerdict(in);
    t.top_costs = TopCosts(t.verdict.breakdown);
    report.targets.push_back(std::move(t));
  }
  std::reverse(report.targets.begin(), report.targets.end());
  return report;
}

}  // namespace iotax
