// The tracer's own time on a target's CPU, so the model does not charge it
// to the target (issue 14, part 2). The kernel's bpf_stats give each BPF
// program's run count and run time; over a window that is the time one
// sched_switch run takes. A blocked call's switch-in runs that program on
// the call's CPU time (its whole run is charged to the thread switched in,
// which the tracer then counts in the resume path): the price of a block is
// that much too high unless it is taken off. A range, not a point: the
// kernel's run time covers every run, the cheap ones that concerned no
// target as well, so run time / all runs is a lower bound and run time /
// runs that concerned a target an upper bound.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace iotax {

// The sched_switch program's runs over a window (agent-wide).
struct TracerRuns {
  bool known = false;          // bpf_stats were on at both ends
  uint64_t switch_runs = 0;    // every run
  uint64_t switch_events = 0;  // runs that concerned a target
  uint64_t switch_run_ns = 0;  // their run time
};

// Reads the sched_switch probe's counters of one snapshot (cumulative);
// known is false when kernel.bpf_stats_enabled was off or the probe is absent.
TracerRuns SwitchRunsOf(const std::vector<ProbeStatus>& probes);
TracerRuns SubtractRuns(const TracerRuns& end, const TracerRuns& start);
TracerRuns AddRuns(const TracerRuns& a, const TracerRuns& b);

// Seconds one sched_switch run that concerned a target took, as a range.
struct SwitchRunCost {
  bool known = false;
  std::string missing_reason;  // in words, when not known
  double lo_seconds = 0;       // run time / all runs
  double hi_seconds = 0;       // run time / runs that concerned a target
  double Mid() const { return (lo_seconds + hi_seconds) / 2; }
};

SwitchRunCost SwitchRunCostOf(const TracerRuns& runs);

}  // namespace iotax
