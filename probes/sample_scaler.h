// Sampled tracing turns what the windows observed into estimates for all the
// time. The tracer reads its cumulative (traced-time-only) figures at the end
// of every window; each window's increase is scaled by the wall time the
// window stands for over the time it was traced (period / window), and the
// scaled increases add up. Pure, so it is unit-tested without root.
//
// Scaled: every time, count and histogram bucket the hot probes produce.
// Not scaled (exact even when sampling, counted by always-attached probes):
// threads created and exited, children followed.
#pragma once

#include <vector>

#include "snapshot.h"

namespace iotax {

class SampleScaler {
 public:
  // `observed` is the tracer's cumulative snapshot at the end of a window;
  // its targets are in slot order (a slot never changes index). `factor` is
  // period / traced time of the window (>= 1).
  void AddWindow(const AgentSnapshot& observed, double factor);

  // The estimates after the last window, one per target in slot order
  // (fewer than the tracer's targets if some were added since).
  const std::vector<TargetStats>& stats() const { return stats_; }
  const std::vector<PmuTargetStats>& pmu() const { return pmu_; }

 private:
  struct Totals {
    std::vector<double> stats;  // scaled running sums, one per uint64_t field
    std::vector<double> pmu;
    TargetStats last_stats{};   // the observed figures at the previous window
    PmuTargetStats last_pmu{};
  };
  std::vector<Totals> totals_;
  std::vector<TargetStats> stats_;
  std::vector<PmuTargetStats> pmu_;
};

// Share of a window's syscalls that it could not count because they began
// before it opened (their exits are unpaired_syscall_exit drops): unpaired /
// (completed + unpaired), between two end-of-window snapshots. High when
// threads make few calls per window; 0 when nothing happened.
double EdgeLossShare(const AgentSnapshot& before, const AgentSnapshot& after);

}  // namespace iotax
