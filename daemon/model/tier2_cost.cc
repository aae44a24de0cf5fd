#include "tier2_cost.h"

#include <algorithm>

namespace iotax {

Tier2Cost ComputeTier2Cost(const ClassStats& stats) {
  Tier2Cost cost;
  // Per-CPU counters are summed while the kernel may still be writing, so the
  // parts can momentarily exceed the whole: clamp instead of wrapping around.
  cost.blocked_calls = std::min(stats.blocked_calls, stats.calls);
  cost.nonblocked_calls = stats.calls - cost.blocked_calls;
  const uint64_t blocked_ns = std::min(stats.blocked_oncpu_ns, stats.oncpu_ns);
  const uint64_t nonblocked_ns = stats.oncpu_ns - blocked_ns;

  if (stats.calls == 0) {
    cost.status = Tier2Status::kNoCalls;
    return cost;
  }
  if (cost.nonblocked_calls > 0) {
    cost.mean_nonblocked_oncpu_seconds =
        static_cast<double>(nonblocked_ns) / 1e9 / static_cast<double>(cost.nonblocked_calls);
  }
  if (cost.blocked_calls == 0) {
    cost.status = Tier2Status::kNoBlocking;
    return cost;
  }
  cost.mean_blocked_oncpu_seconds =
      static_cast<double>(blocked_ns) / 1e9 / static_cast<double>(cost.blocked_calls);
  if (cost.nonblocked_calls == 0) {
    cost.status = Tier2Status::kNotCalibrated;
    return cost;
  }
  cost.status = Tier2Status::kCalibrated;
  const double extra = cost.mean_blocked_oncpu_seconds - cost.mean_nonblocked_oncpu_seconds;
  cost.clamped = extra < 0;
  cost.direct_cost_seconds = cost.clamped ? 0.0 : extra * static_cast<double>(cost.blocked_calls);
  return cost;
}

std::array<Tier2Cost, kNumClasses> ComputeTier2Costs(const TargetStats& stats) {
  std::array<Tier2Cost, kNumClasses> out;
  for (int c = 0; c < kNumClasses; ++c) out[c] = ComputeTier2Cost(stats.classes[c]);
  return out;
}

const char* Tier2StatusName(Tier2Status status) {
  switch (status) {
    case Tier2Status::kNoCalls: return "no_calls";
    case Tier2Status::kNoBlocking: return "no_blocking";
    case Tier2Status::kCalibrated: return "calibrated";
    case Tier2Status::kNotCalibrated: return "not_calibrated";
  }
  return "unknown";
}

}  // namespace iotax
