// The verdict for one target over one window: blocking overhead as a share
// of the process's CPU (direct + indirect), the saving an async design
// would bring (overhead minus what it pays instead), the latency side, a
// level and a confidence, and the reasons in plain words. Confidence
// intervals come from the spread of the sub-windows (delete-one jackknife);
// the saving's also carries the model's validated error (model_error.h).
// Pure: sub-windows in, Verdict out.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "async_cost.h"
#include "blocking_model.h"
#include "model_error.h"
#include "target_window.h"

namespace iotax {

enum class VerdictLevel : int { kInsufficientData = 0, kNotWorthIt = 1, kMaybe = 2, kLikelyWorthIt = 3 };
enum class Confidence : int { kLow = 0, kMedium = 1, kHigh = 2 };

const char* VerdictLevelName(VerdictLevel level);  // insufficient_data, not_worth_it, maybe, likely_worth_it
const char* VerdictLevelWords(VerdictLevel level); // "insufficient data", "not worth it", ...
const char* ConfidenceName(Confidence confidence); // low, medium, high

struct Interval {
  double lo = 0;
  double hi = 0;
};

// Where the lines are drawn (docs/methodology.md, "The verdict").
struct VerdictThresholds {
  double not_worth_it_below = 0.05;    // saving share: upper CI bound below this
  double likely_at = 0.15;             // saving share: estimate at least this ...
  double likely_lower_bound = 0.10;    // ... and lower CI bound at least this
  double latency_p99_seconds = 0.001;  // run-queue p99 that makes a small saving a "maybe"
  double min_cpu_seconds = 0.005;      // less CPU in the window: insufficient data
  double min_window_seconds = 0.5;
};

struct VerdictInputs {
  std::vector<TargetWindow> windows;      // consecutive sub-windows, oldest first
  PmuStatus pmu;
  const Calibration* calibration = nullptr;  // nullptr: fall back to the target's own calls
  int cpus = 0;                           // CPUs the process may use (0: unknown)
  VerdictThresholds thresholds;
  bool service = false;                   // a whole service (many processes): the words say so
  ModelErrorMargin model_error = ValidatedModelError();  // what validation saw the model miss
};

struct Verdict {
  VerdictLevel level = VerdictLevel::kInsufficientData;
  Confidence confidence = Confidence::kLow;
  double window_seconds = 0;
  double cpu_seconds = 0;
  int subwindows = 0;
  // Absent (nullopt) when they cannot be computed (insufficient data).
  std::optional<double> overhead_share;
  std::optional<Interval> overhead_share_ci;
  double direct_cpu_seconds = 0;
  std::optional<double> indirect_cpu_seconds;  // nullopt without tier 3
  double async_cost_cpu_seconds = 0;
  AsyncCost async_cost;
  std::optional<double> estimated_saving_share;
  // The sub-windows' spread (95%) widened by the model's validated error
  // (model_error.h); the level is judged on the spread alone.
  std::optional<Interval> estimated_saving_share_ci;
  ShareMargin model_error;  // the widening, as shares of the CPU (zero when nothing blocked)
  double estimated_saving_cpu_seconds = 0;
  std::optional<double> runqueue_wait_p99_seconds;
  uint64_t blocked_io_calls = 0;
  double blocked_io_calls_per_second = 0;
  double direct_per_blocked_call_seconds = 0;
  std::string summary;               // one sentence
  std::vector<std::string> reasons;  // plain sentences, most important first
  BlockingBreakdown breakdown;       // the whole window
};

Verdict ComputeVerdict(const VerdictInputs& inputs);

// Formatting shared by the verdict, the text report and the page.
std::string FormatPercent(double share);        // "23%", "4.5%", "0.3%"
std::string FormatRate(double per_second);      // "41k/s", "950/s"
std::string FormatCount(double n);              // "41k", "1.8k", "950", "2.3M"
std::string FormatDuration(double seconds);     // "5.1 µs", "0.8 ms", "1.2 s"
// True when FormatPercent would print 0% or 0.0%: too small to state as a figure.
bool RoundsToZeroPercent(double share);

}  // namespace iotax
