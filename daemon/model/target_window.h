// Windows of one target: the difference between two cumulative
// TargetSnapshots (what happened between two reads), plus the sum and
// difference of such windows that the jackknife needs. Pure arithmetic on
// the plain structs of probes/snapshot.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"
#include "tracer_cost.h"

namespace iotax {

// What one target did between two reads.
struct TargetWindow {
  int pid = 0;
  std::string comm;
  bool up = false;          // still running at the end of the window
  int threads_alive = 0;    // at the end of the window
  int sockets_open = -1;    // open socket descriptors at the end of the window; -1 = not read
  double seconds = 0;       // wall time between the two reads
  TargetStats stats;        // counters over the window
  PmuTargetStats pmu;       // tier-3 counts over the window (zero without a PMU)
  // The process's CPU as the kernel accounts it (/proc/PID/stat), when both
  // ends of every part were read.
  bool kernel_cpu_known = false;
  uint64_t kernel_cpu_ns = 0;
  // Major page faults (/proc/PID/stat), when both ends of every part were read.
  bool major_faults_known = false;
  uint64_t major_faults = 0;
  // The tracer's sched_switch runs over the window (agent-wide, bpf_stats):
  // what the model takes off a block's price. Set by WindowsOf.
  TracerRuns tracer;
};

// end - start, counter by counter. A counter that went backwards (a reused
// PID re-attached) gives 0 rather than wrapping around.
TargetStats SubtractStats(const TargetStats& end, const TargetStats& start);
PmuTargetStats SubtractPmu(const PmuTargetStats& end, const PmuTargetStats& start);
TargetStats AddStats(const TargetStats& a, const TargetStats& b);
PmuTargetStats AddPmu(const PmuTargetStats& a, const PmuTargetStats& b);

// The window between two reads of the same target (start_ns/end_ns are the
// snapshots' CLOCK_MONOTONIC times).
TargetWindow MakeWindow(const TargetSnapshot& start, uint64_t start_ns, const TargetSnapshot& end,
                        uint64_t end_ns);

// Sum of consecutive windows (the seconds add up; identity and liveness come
// from the last one).
TargetWindow Combine(const std::vector<TargetWindow>& windows);

// `total` without `part` (for leave-one-out estimates).
TargetWindow Without(const TargetWindow& total, const TargetWindow& part);

// Finds a target by PID in a snapshot; the newest slot wins when a PID was
// reused. nullptr when absent.
const TargetSnapshot* FindTarget(const AgentSnapshot& snapshot, int pid);

// Sub-windows of one target over a sequence of snapshots (oldest first):
// one window per consecutive pair in which the target appears in both.
// Snapshots in which the target's attach time changed (a new slot for a
// reused PID) restart the sequence.
std::vector<TargetWindow> WindowsOf(const std::vector<const AgentSnapshot*>& snapshots, int pid);

}  // namespace iotax
