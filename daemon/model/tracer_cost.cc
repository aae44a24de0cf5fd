#include "tracer_cost.h"

#include <algorithm>

namespace iotax {

TracerRuns SwitchRunsOf(const std::vector<ProbeStatus>& probes) {
  TracerRuns r;
  for (const ProbeStatus& p : probes) {
    if (p.name != "sched_switch") continue;
    r.known = p.up && p.run_stats_valid;
    r.switch_runs = p.run_count;
    r.switch_events = p.events;
    r.switch_run_ns = p.run_time_ns;
  }
  return r;
}

TracerRuns SubtractRuns(const TracerRuns& end, const TracerRuns& start) {
  const auto minus = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
  TracerRuns r;
  r.known = end.known && start.known;
  r.switch_runs = minus(end.switch_runs, start.switch_runs);
  r.switch_events = minus(end.switch_events, start.switch_events);
  r.switch_run_ns = minus(end.switch_run_ns, start.switch_run_ns);
  return r;
}

TracerRuns AddRuns(const TracerRuns& a, const TracerRuns& b) {
  TracerRuns r;
  r.known = a.known && b.known;
  r.switch_runs = a.switch_runs + b.switch_runs;
  r.switch_events = a.switch_events + b.switch_events;
  r.switch_run_ns = a.switch_run_ns + b.switch_run_ns;
  return r;
}

SwitchRunCost SwitchRunCostOf(const TracerRuns& runs) {
  SwitchRunCost c;
  if (!runs.known) {
    c.missing_reason = "kernel.bpf_stats_enabled was off, so the BPF programs' run time is unknown";
    return c;
  }
  if (runs.switch_runs == 0 || runs.switch_events == 0) {
    c.missing_reason = "the sched_switch program did not run for a target in the window";
    return c;
  }
  c.known = true;
  const double ns = static_cast<double>(runs.switch_run_ns);
  c.lo_seconds = ns / static_cast<double>(runs.switch_runs) / 1e9;
  // Events are counted in the program, runs by the kernel: read a moment
  // apart, events can exceed runs; never let the upper bound go below the lower.
  c.hi_seconds = ns / static_cast<double>(std::min(runs.switch_events, runs.switch_runs)) / 1e9;
  return c;
}

}  // namespace iotax
