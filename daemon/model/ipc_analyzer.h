// Tier 3 per target: feeds successive AgentSnapshots (one per window) into
// the windowed CPI regression and rebuilds the recovery curves from the
// cumulative segment histograms. Pure (no kernel, no clock, no threads), so
// tests drive it with synthetic snapshots.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ipc_windows.h"
#include "recovery_curve.h"
#include "snapshot.h"

namespace iotax::ipc {

struct TargetIpc {
  int pid = 0;
  std::string comm;
  uint64_t user_instructions = 0;     // cumulative, all segments
  uint64_t user_cycles = 0;
  uint64_t segments_multiplexed = 0;
  uint64_t segments_lost = 0;
  uint64_t read_errors = 0;
  bool has_last_window = false;
  IpcWindow last_window;              // the most recent window
  std::array<RecoveryCurve, kNumSegmentLabels> curves;  // per label, since attach
  RecoveryCurve all_returns;          // every label together
  CpiRegression regression;           // over the recent windows
};

struct IpcView {
  PmuStatus status;
  uint64_t window_ns = 0;             // configured window length
  std::vector<TargetIpc> targets;     // empty when the PMU is down
};

struct IpcAnalyzerOptions {
  uint64_t window_ns = 100'000'000;   // 100 ms
  size_t max_windows = 600;           // regression over the last minute at 100 ms
  RegressionOptions regression;
  CurveOptions curve;
};

class IpcAnalyzer {
 public:
  explicit IpcAnalyzer(IpcAnalyzerOptions options = {}) : options_(options), windows_(options.max_windows) {}

  // One snapshot per window. Targets that disappear from the snapshot, or
  // are no longer up, are forgotten.
  void Observe(const AgentSnapshot& snapshot);

  // The estimates as of the last snapshot.
  IpcView View() const { return view_; }

 private:
  IpcAnalyzerOptions options_;
  WindowBuilder windows_;
  IpcView view_;
};

// Sums the per-label histograms of a target into one.
SegmentHistogram MergeLabels(const PmuTargetStats& pmu);

// Syscall entries and context switches of a target, for the windows.
PmuTotals TotalsOf(const TargetSnapshot& target);

}  // namespace iotax::ipc
