#include "tier2_cost.h"

#include <algorithm>

namespace iotax {
namespace {

double PerCall(uint64_t total, uint64_t calls, double unit) {
  return calls > 0 ? static_cast<double>(total) * unit / static_cast<double>(calls) : 0.0;
}

// Whether the non-blocked calls are a large enough share of the blocked ones
// to stand for an ordinary call: the baseline and the own work both ask it.
bool NonBlockedShareIsFair(const Tier2Cost& c) {
  return static_cast<double>(c.nonblocked_calls) >= kMinBaselineShare * static_cast<double>(c.blocked_calls);
}

// "" when the non-blocked calls are a fair baseline for the blocked ones,
// else why not.
const char* BaselineUnsoundReason(const Tier2Cost& c, bool moves_bytes) {
  if (c.nonblocked_calls < kMinBaselineCalls) return "fewer than 100 non-blocked calls";
  if (!NonBlockedShareIsFair(c)) return "non-blocked calls are under 5% of the blocked ones";
  if (moves_bytes) {
    const double hi = std::max(c.mean_blocked_bytes, c.mean_nonblocked_bytes);
    const double lo = std::min(c.mean_blocked_bytes, c.mean_nonblocked_bytes);
    if (hi > kMaxBaselineBytesRatio * lo) return "non-blocked calls moved more than 2x more or fewer bytes";
  }
  return "";
}

}  // namespace

Tier2Cost ComputeTier2Cost(const ClassStats& stats, const SwitchRunCost& tracer) {
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
  cost.mean_nonblocked_oncpu_seconds = PerCall(nonblocked_ns, cost.nonblocked_calls, 1e-9);
  cost.mean_nonblocked_bytes = PerCall(stats.nonblocked_bytes, cost.nonblocked_calls, 1.0);
  if (cost.blocked_calls == 0) {
    cost.status = Tier2Status::kNoBlocking;
    return cost;
  }
  cost.mean_blocked_oncpu_seconds = PerCall(blocked_ns, cost.blocked_calls, 1e-9);
  cost.mean_blocked_bytes = PerCall(stats.blocked_bytes, cost.blocked_calls, 1.0);
  // The paths are parts of the blocked calls' on-CPU time.
  const uint64_t sleep_ns = std::min(stats.sleep_path_ns, blocked_ns);
  const uint64_t resume_ns = std::min(stats.resume_path_ns, blocked_ns - sleep_ns);
  cost.mean_sleep_path_seconds = PerCall(sleep_ns, cost.blocked_calls, 1e-9);
  cost.mean_resume_path_seconds = PerCall(resume_ns, cost.blocked_calls, 1e-9);
  cost.switch_ins_per_block = PerCall(stats.blocked_switch_ins, cost.blocked_calls, 1.0);

  const bool bytes_known = stats.blocked_bytes > 0 && stats.nonblocked_bytes > 0;
  if (cost.nonblocked_calls > 0) {
    cost.baseline_price_seconds = cost.mean_blocked_oncpu_seconds - cost.mean_nonblocked_oncpu_seconds;
  }
  cost.baseline_unsound_reason = BaselineUnsoundReason(cost, stats.blocked_bytes + stats.nonblocked_bytes > 0);
  cost.baseline_sound = cost.baseline_unsound_reason[0] == '\0';

  double raw = 0;
  if (sleep_ns + resume_ns > 0) {
    cost.method = Tier2Method::kSwitchPaths;
    // The work a call of this kind does anyway, sized to the bytes a blocked
    // call moved; it happens after the wakeup, so it comes off the resume
    // path only. Without enough non-blocked calls (a count and a share, as
    // for the baseline), the whole resume path.
    if (cost.nonblocked_calls >= kMinOwnWorkCalls && NonBlockedShareIsFair(cost)) {
      const double scale = bytes_known ? cost.mean_blocked_bytes / cost.mean_nonblocked_bytes : 1.0;
      cost.own_work_seconds = std::min(cost.mean_nonblocked_oncpu_seconds * scale, cost.mean_resume_path_seconds);
      cost.own_work_measured = true;
    } else {
      cost.own_work_seconds = cost.mean_resume_path_seconds;
    }
    raw = cost.mean_sleep_path_seconds + cost.mean_resume_path_seconds - cost.own_work_seconds;
    cost.tracer_runs_per_block = cost.own_work_measured ? std::min(1.0, cost.switch_ins_per_block) : 0.0;
  } else if (cost.baseline_sound) {
    cost.method = Tier2Method::kBaseline;
    raw = cost.baseline_price_seconds;
    cost.tracer_runs_per_block = cost.switch_ins_per_block;
  } else {
    cost.status = Tier2Status::kNotCalibrated;
    return cost;
  }
  cost.tracer_known = tracer.known;
  if (tracer.known) {
    cost.tracer_seconds_per_block_lo = cost.tracer_runs_per_block * tracer.lo_seconds;
    cost.tracer_seconds_per_block_hi = cost.tracer_runs_per_block * tracer.hi_seconds;
    cost.tracer_seconds_per_block = cost.tracer_runs_per_block * tracer.Mid();
    raw -= cost.tracer_seconds_per_block;
  }
  cost.status = Tier2Status::kCalibrated;
  cost.clamped = raw < 0;
  cost.price_per_block_seconds = std::max(0.0, raw);
  cost.direct_cost_seconds = cost.price_per_block_seconds * static_cast<double>(cost.blocked_calls);
  return cost;
}

std::array<Tier2Cost, kNumClasses> ComputeTier2Costs(const TargetStats& stats, const SwitchRunCost& tracer) {
  std::array<Tier2Cost, kNumClasses> out;
  for (int c = 0; c < kNumClasses; ++c) out[c] = ComputeTier2Cost(stats.classes[c], tracer);
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

const char* Tier2MethodName(Tier2Method method) {
  switch (method) {
    case Tier2Method::kNone: return "none";
    case Tier2Method::kSwitchPaths: return "switch_paths";
    case Tier2Method::kBaseline: return "baseline";
  }
  return "unknown";
}

}  // namespace iotax
