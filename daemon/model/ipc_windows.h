// Windows of user-mode instructions and cycles, and the regression across
// windows that estimates the indirect cost of a syscall and of a context
// switch. Pure: fed from cumulative snapshots, testable without a kernel.
//
// Model (docs/methodology-ipc.md): in a window with I user instructions,
// C user cycles, S syscalls and W context switches,
//     C / I = CPI0 + a * (S / I) + b * (W / I)
// so a is the extra user cycles each syscall causes after it returns (cache
// and TLB pollution, pipeline refill) and b the same for each switch.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace iotax::ipc {

// Cumulative counters of one target since it was attached.
struct PmuTotals {
  int pid = 0;
  uint64_t instructions = 0;  // user-mode
  uint64_t cycles = 0;        // user-mode
  uint64_t syscalls = 0;
  uint64_t switches = 0;      // voluntary + involuntary
};

// The difference between two successive PmuTotals of one target.
struct IpcWindow {
  int pid = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
  uint64_t instructions = 0;
  uint64_t cycles = 0;
  uint64_t syscalls = 0;
  uint64_t switches = 0;

  double Cpi() const { return static_cast<double>(cycles) / static_cast<double>(instructions); }
  double SyscallsPerInstruction() const { return static_cast<double>(syscalls) / static_cast<double>(instructions); }
  double SwitchesPerInstruction() const { return static_cast<double>(switches) / static_cast<double>(instructions); }
};

// Turns successive cumulative readings into windows and keeps the most recent
// `max_windows` of each target for the regression.
class WindowBuilder {
 public:
  explicit WindowBuilder(size_t max_windows = 600) : max_windows_(max_windows) {}

  // One reading per target at `now_ns`. Returns the windows it closed (one per
  // target seen before). A counter that went backwards (target re-attached,
  // PID reused) restarts that target's baseline without a window.
  std::vector<IpcWindow> Add(uint64_t now_ns, const std::vector<PmuTotals>& totals);

  // Recent windows of `pid`, oldest first (empty if unknown).
  std::vector<IpcWindow> History(int pid) const;

  // Drops everything about `pid` (target gone).
  void Forget(int pid);

  // Targets with a baseline or windows.
  std::vector<int> Pids() const;

 private:
  struct PerTarget {
    uint64_t last_ns = 0;
    PmuTotals last;
    std::deque<IpcWindow> windows;
  };
  size_t max_windows_;
  std::map<int, PerTarget> targets_;
};

// A fitted coefficient with its standard error and confidence interval.
struct Estimate {
  bool estimated = false;
  double value = 0;
  double std_error = 0;
  double ci_low = 0;
  double ci_high = 0;
  std::string note;  // why it was not estimated, or a caveat
};

struct RegressionOptions {
  int min_windows = 8;              // fewer windows: refuse
  uint64_t min_instructions = 1000; // windows with fewer user instructions are skipped (CPI too noisy)
  double confidence = 0.95;
  // Relative spread (coefficient of variation) below which a density counts
  // as constant across windows, so its slope is not identifiable.
  double min_relative_spread = 1e-3;
  // |correlation| of the two densities above which they cannot be separated.
  double max_abs_correlation = 0.995;
};

struct CpiRegression {
  bool ok = false;
  std::string reason;   // why the fit was refused ("" when ok)
  int windows = 0;      // windows used
  int dof = 0;          // residual degrees of freedom
  Estimate base_cpi;            // CPI0: user CPI with no syscalls or switches
  Estimate cycles_per_syscall;  // a
  Estimate cycles_per_switch;   // b
  double r_squared = 0;
};

// Ordinary least squares of CPI on syscall and switch density across
// windows, with standard errors and t-based confidence intervals. A density
// that does not vary is dropped (its estimate says why); densities that move
// together are not separated (the syscall slope then includes the switch).
CpiRegression FitCpi(const std::vector<IpcWindow>& windows, const RegressionOptions& options = {});

// Quantile of Student's t distribution with `dof` degrees of freedom
// (p in (0, 1)). Exposed for tests.
double StudentTQuantile(double p, double dof);

}  // namespace iotax::ipc
