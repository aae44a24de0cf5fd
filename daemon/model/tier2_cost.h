// Tier 2 of the cost model: the direct CPU cost of blocking, calibrated on the
// target itself. Within one syscall class, some calls are satisfied without
// sleeping and some block; the extra on-CPU time of a blocked call over a
// non-blocked one is what blocking costs (sleep path, wakeup, switch out and
// in). Pure functions over ClassStats.
#pragma once

#include <array>
#include <cstdint>

#include "snapshot.h"

namespace iotax {

enum class Tier2Status {
  kNoCalls,        // the class saw no completed call: nothing to say
  kNoBlocking,     // calls, none blocked: the cost is exactly 0
  kCalibrated,     // both blocked and non-blocked calls: cost estimated
  kNotCalibrated,  // every call blocked: no baseline, cost unknown (not 0)
};

struct Tier2Cost {
  Tier2Status status = Tier2Status::kNoCalls;
  uint64_t blocked_calls = 0;
  uint64_t nonblocked_calls = 0;
  double mean_blocked_oncpu_seconds = 0;     // valid when blocked_calls > 0
  double mean_nonblocked_oncpu_seconds = 0;  // valid when nonblocked_calls > 0
  // (mean_blocked - mean_nonblocked) * blocked_calls, clamped at 0; only
  // meaningful when HasCost() is true.
  double direct_cost_seconds = 0;
  bool clamped = false;  // blocked calls were cheaper than non-blocked ones

  // True when direct_cost_seconds is a real value (calibrated, or exactly 0
  // because nothing blocked).
  bool HasCost() const {
    return status == Tier2Status::kCalibrated || status == Tier2Status::kNoBlocking;
  }
};

// Computes the tier-2 cost of one class. Tolerates counters read a moment
// apart (blocked > calls, blocked on-CPU > total on-CPU) by clamping.
Tier2Cost ComputeTier2Cost(const ClassStats& stats);

std::array<Tier2Cost, kNumClasses> ComputeTier2Costs(const TargetStats& stats);

const char* Tier2StatusName(Tier2Status status);

}  // namespace iotax
