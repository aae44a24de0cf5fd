// Tier 2 of the cost model: the direct CPU cost of blocking, measured on the
// target itself. Two methods, and which one priced a class is part of the
// result:
//   switch_paths  the block's own price from its events: the on-CPU time of
//                 a blocked call from sys_enter to its first switch-out (the
//                 sleep path) and from its last switch-in back to sys_exit
//                 (the resume path, with what the scheduler charged around
//                 the wakeup), less the work the call does anyway (the data
//                 copy and the exit: a same-kind non-blocked call's on-CPU
//                 time, scaled to the bytes a blocked call moved, taken off
//                 the resume path only, where that work happens);
//   baseline      mean on-CPU of blocked calls minus that of non-blocked
//                 ones, only when the non-blocked calls are a fair sample
//                 (enough of them, sizes alike): at saturation they are the
//                 odd ones and the difference can even be negative.
// Pure functions over ClassStats; docs/methodology.md justifies both.
#pragma once

#include <array>
#include <cstdint>

#include "snapshot.h"
#include "tracer_cost.h"

namespace iotax {

enum class Tier2Status {
  kNoCalls,        // the class saw no completed call: nothing to say
  kNoBlocking,     // calls, none blocked: the cost is exactly 0
  kCalibrated,     // blocked calls priced by one of the methods
  kNotCalibrated,  // blocked calls, but neither method could price them: unknown (not 0)
};

enum class Tier2Method {
  kNone,         // nothing priced (see status)
  kSwitchPaths,  // from the blocked calls' own sleep and resume paths
  kBaseline,     // blocked minus non-blocked means (a sound baseline, no switch paths)
};

// When a class's non-blocked calls are a fair baseline for its blocked ones.
inline constexpr uint64_t kMinBaselineCalls = 100;       // non-blocked calls at least
inline constexpr double kMinBaselineShare = 0.05;        // ... and this share of the blocked ones
inline constexpr double kMaxBaselineBytesRatio = 2.0;    // mean bytes per call within this factor
// Non-blocked calls needed before their on-CPU time stands for a blocked
// call's own work (the switch_paths method's deduction): at least this many,
// and the baseline's share of the blocked ones. With 100 threads on a CPU
// the 0.2-1% of reads that do not block were sometimes warm (0.3 us) and
// sometimes odd (1.8 us, three times the same read in an event loop), and
// the saving flipped between 42% and 0 (docs/experiments/model-error.md).
inline constexpr uint64_t kMinOwnWorkCalls = 20;

struct Tier2Cost {
  Tier2Status status = Tier2Status::kNoCalls;
  Tier2Method method = Tier2Method::kNone;
  uint64_t blocked_calls = 0;
  uint64_t nonblocked_calls = 0;
  double mean_blocked_oncpu_seconds = 0;     // valid when blocked_calls > 0
  double mean_nonblocked_oncpu_seconds = 0;  // valid when nonblocked_calls > 0
  // Switch paths per blocked call (0 when the tracer did not record them).
  double mean_sleep_path_seconds = 0;
  double mean_resume_path_seconds = 0;
  // Bytes per call, read/write classes only (0 otherwise).
  double mean_blocked_bytes = 0;
  double mean_nonblocked_bytes = 0;
  // The blocked call's own work taken off its resume path (switch_paths).
  double own_work_seconds = 0;
  // True when own_work_seconds was measured on same-kind non-blocked calls;
  // false: too few of them, so the whole resume path was taken off and the
  // price is the sleep path alone (a lower bound).
  bool own_work_measured = false;
  // The baseline's verdict on itself, whichever method priced the class.
  bool baseline_sound = false;
  const char* baseline_unsound_reason = "";  // "" when sound
  // mean_blocked - mean_nonblocked, signed (NaN-free: 0 without both kinds):
  // the cross-check against the switch-path price.
  double baseline_price_seconds = 0;
  // The price of one block by the method used, >= 0.
  double price_per_block_seconds = 0;
  // price_per_block_seconds * blocked_calls; only meaningful when HasCost().
  double direct_cost_seconds = 0;
  bool clamped = false;  // the method's raw figure was negative and was taken as 0
  // The tracer's own time in the price (tracer_cost.h), taken off it. The
  // switch-ins that resumed a blocked call are counted; the price holds the
  // sched_switch runs of the part it keeps: every resume for the baseline,
  // the one that opens the resume path for switch_paths, none when the
  // resume path was left out (own work not measured).
  double switch_ins_per_block = 0;          // counted by the tracer
  double tracer_runs_per_block = 0;         // ... of them in the price
  bool tracer_known = false;                // the run time per switch was measured (bpf_stats)
  double tracer_seconds_per_block = 0;      // taken off the price (mid of the range)
  double tracer_seconds_per_block_lo = 0;   // the range it comes from
  double tracer_seconds_per_block_hi = 0;

  // True when direct_cost_seconds is a real value (priced, or exactly 0
  // because nothing blocked).
  bool HasCost() const {
    return status == Tier2Status::kCalibrated || status == Tier2Status::kNoBlocking;
  }
};

// Computes the tier-2 cost of one class. Tolerates counters read a moment
// apart (blocked > calls, blocked on-CPU > total on-CPU) by clamping.
// `tracer`: the tracer's time per sched_switch run over the same window; when
// not known, nothing is taken off (and tracer_known says so).
Tier2Cost ComputeTier2Cost(const ClassStats& stats, const SwitchRunCost& tracer = {});

std::array<Tier2Cost, kNumClasses> ComputeTier2Costs(const TargetStats& stats, const SwitchRunCost& tracer = {});

const char* Tier2StatusName(Tier2Status status);
const char* Tier2MethodName(Tier2Method method);

}  // namespace iotax
