#include "ipc_analyzer.h"

#include <numeric>
#include <set>

namespace iotax::ipc {

SegmentHistogram MergeLabels(const PmuTargetStats& pmu) {
  SegmentHistogram all{};
  for (const SegmentHistogram& h : pmu.segments) {
    for (int k = 0; k < kSegmentBuckets; ++k) {
      all[k].segments += h[k].segments;
      all[k].instructions += h[k].instructions;
      all[k].cycles += h[k].cycles;
    }
  }
  return all;
}

PmuTotals TotalsOf(const TargetSnapshot& target) {
  PmuTotals t;
  t.pid = target.pid;
  t.instructions = target.pmu.user_instructions;
  t.cycles = target.pmu.user_cycles;
  t.syscalls = std::accumulate(target.stats.syscalls.begin(), target.stats.syscalls.end(), uint64_t{0});
  t.switches = target.stats.voluntary_switches + target.stats.involuntary_switches;
  return t;
}

void IpcAnalyzer::Observe(const AgentSnapshot& snapshot) {
  IpcView view;
  view.status = snapshot.pmu;
  view.window_ns = options_.window_ns;
  if (!snapshot.pmu.up) {
    // No IPC series at all without counters: forget what was there.
    for (int pid : windows_.Pids()) windows_.Forget(pid);
    view_ = std::move(view);
    return;
  }

  std::vector<PmuTotals> totals;
  for (const TargetSnapshot& t : snapshot.targets) {
    if (t.up) totals.push_back(TotalsOf(t));
  }
  std::map<int, IpcWindow> closed;
  for (const IpcWindow& w : windows_.Add(snapshot.monotonic_ns, totals)) closed[w.pid] = w;

  std::set<int> live;
  for (const TargetSnapshot& t : snapshot.targets) {
    if (!t.up) continue;
    live.insert(t.pid);
    TargetIpc ti;
    ti.pid = t.pid;
    ti.comm = t.comm;
    ti.user_instructions = t.pmu.user_instructions;
    ti.user_cycles = t.pmu.user_cycles;
    ti.segments_multiplexed = t.pmu.segments_multiplexed;
    ti.segments_lost = t.pmu.segments_lost;
    ti.read_errors = t.pmu.read_errors;
    if (auto it = closed.find(t.pid); it != closed.end()) {
      ti.has_last_window = true;
      ti.last_window = it->second;
    }
    for (int l = 0; l < kNumSegmentLabels; ++l) ti.curves[l] = ReconstructCurve(t.pmu.segments[l], options_.curve);
    ti.all_returns = ReconstructCurve(MergeLabels(t.pmu), options_.curve);
    ti.regression = FitCpi(windows_.History(t.pid), options_.regression);
    view.targets.push_back(std::move(ti));
  }
  for (int pid : windows_.Pids()) {
    if (!live.count(pid)) windows_.Forget(pid);
  }
  view_ = std::move(view);
}

}  // namespace iotax::ipc
