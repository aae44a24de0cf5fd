// What an async design pays instead of blocking, per blocking IO call it
// replaces, and where that figure comes from:
//   calibration                 measured on this machine by `iotax calibrate`
//                               (the bundled blocking and io_uring servers
//                               under the same load), interpolated at the
//                               target's rate of blocked IO calls;
//   target_nonblocking_calls    without a calibration: one non-blocking call
//                               of the target's own (an event-loop wait that
//                               returned at once, or else an IO call that
//                               found data) per replaced operation, plus the
//                               sleeps the event loop itself takes when it
//                               runs out of work: a share of requests equal
//                               to the process's idle share of its CPUs
//                               (Poisson arrivals see time averages) each
//                               pays a sleep and wakeup, priced at the
//                               target's own direct cost per blocked call,
//                               and the refill after it: the indirect part
//                               per blocked call (model-error §15), charged
//                               even when the call itself is unknown.
// Pure; docs/methodology.md explains both and their limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "blocking_model.h"
#include "machine_load.h"

namespace iotax {

// One load level of a calibration: the blocking and the io_uring reference
// servers under the same offered load, both measured with the tracer.
struct CalibrationPoint {
  double offered_rate = 0;                // requests/s the client sent
  double requests_per_second = 0;         // echoed (blocking run)
  double blocked_io_calls_per_second = 0; // in the blocking server: the key
  double blocking_cpu_per_request = 0;    // seconds, tracer on-CPU
  double uring_cpu_per_request = 0;
  double direct_per_request = 0;          // tier 2 in the blocking server
  double indirect_per_request = 0;        // tier 3 in the blocking server (0 without PMU)
  // (uring CPU - (blocking CPU - direct - indirect)) per blocked IO call:
  // what the io_uring server spent beyond the blocking server's work outside
  // blocking. Signed as measured; the model uses max(0, .).
  double async_cost_per_op_seconds = 0;
  double async_cost_per_op_se_seconds = 0;  // standard error (sub-window spread of both runs)
  // Every run behind the row kept its schedule (see calibration_retry.h);
  // false in files from iotax versions that did not record it.
  bool clean = false;
};

struct Calibration {
  std::string machine_key;   // kernel | CPU model | cores
  std::string created_at;    // RFC 3339, UTC
  std::string path;          // where it was read from ("" when built in memory)
  int connections = 0;
  int message_size = 0;
  double seconds_per_run = 0;
  bool pmu_up = false;       // whether the indirect part was measured
  // The machine just before the first run (so without calibrate's own
  // server and client); absent in files from iotax versions that did not
  // record it.
  std::optional<MachineLoad> load;
  std::vector<CalibrationPoint> points;  // ascending blocked_io_calls_per_second
};

enum class AsyncCostSource { kCalibration, kTargetNonblockingCalls };
const char* AsyncCostSourceName(AsyncCostSource source);

struct AsyncCost {
  AsyncCostSource source = AsyncCostSource::kTargetNonblockingCalls;
  double per_op_seconds = 0;     // >= 0
  double per_op_se_seconds = 0;  // uncertainty of the figure itself (calibration only)
  bool known = true;             // false: no call to measure it from (the call counted as 0)
  bool extrapolated = false;     // the target's rate is outside the calibrated range
  double raw_per_op_seconds = 0; // before clamping at 0 (calibration may measure < 0)
  // Without a calibration, per_op_seconds = call_seconds + idle_share * (wake_seconds + refill_seconds),
  // and idle_share * refill_seconds alone when the call is unknown.
  double call_seconds = 0;       // the non-blocking call per replaced operation
  double idle_share = 0;         // 1 - the process's CPU / (window * its CPUs); 0 if CPUs unknown
  double wake_seconds = 0;       // an event-loop sleep and wakeup: direct cost per blocked call
  // The caches refilled after a loop's sleep, as after a thread's: the
  // indirect part per blocked IO call (0 when it is not available). An idle
  // loop pays it as often as it pays the wakeup; at saturation, never.
  double refill_seconds = 0;
  // In a process with hand-offs, the sleeps an event loop would take in
  // place of the epoll waiter's (blocking_model.h): hand-offs x the idle
  // share x the CPU of one blocked wait. Seconds over the window, whatever
  // the source above; 0 without hand-offs.
  double loop_sleep_cpu_seconds = 0;
  double loop_idle_share = 0;  // the idle share used for it
  std::string detail;            // one sentence: where the figure comes from
};

// Calls of the target's own that count as a measurement of an event-loop
// wait (the fallback needs at least this many).
inline constexpr uint64_t kMinNonblockingCallsForFallback = 20;

AsyncCost EstimateAsyncCost(const BlockingBreakdown& window, const Calibration* calibration);

// Linear interpolation of the calibrated per-op cost in log(rate), clamped
// to the end points. Exposed for tests.
double InterpolateAsyncCost(const std::vector<CalibrationPoint>& points, double blocked_calls_per_second,
                            double* se_out, bool* extrapolated_out);

}  // namespace iotax
