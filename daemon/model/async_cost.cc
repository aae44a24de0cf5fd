#include "async_cost.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace iotax {
namespace {

std::string Micros(double seconds) { return absl::StrFormat("%.2f µs", seconds * 1e6); }

std::string Rate(double per_second) {
  if (per_second >= 1e6) return absl::StrFormat("%.1fM/s", per_second / 1e6);
  if (per_second >= 1e3) return absl::StrFormat("%.1fk/s", per_second / 1e3);
  return absl::StrFormat("%.0f/s", per_second);
}

// What one non-blocking call of the blocked kind costs, weighted by how often
// each class blocked: a call of the same kind that did not sleep stands for
// the readiness or completion call an async design makes instead.
struct SameKindCall {
  double mean_seconds = 0;
  uint64_t calls = 0;        // the non-blocked calls it was measured on
  const char* from = "";     // where it comes from, in words
};

// Each blocked class stands for itself: its own sound baseline (tier2_cost.h;
// at saturation the few calls that did not block are the odd ones, and their
// mean says nothing about an ordinary call), else the work the switch_paths
// method took off its resume path (measured on those calls, but never more
// than the resume path itself), else nothing: it counts as 0. One class's
// figure never stands for another's blocks (Apache prefork's 761 blocked
// accepts, 5.35 µs when they did not block, once stood for its 125,635
// blocked polls: real-servers.md, 7 Dec).
SameKindCall SameKindCallOf(const BlockingBreakdown& w) {
  SameKindCall call;
  double weighted = 0, weights = 0;
  bool sound = false, own = false, none = false;
  for (int c = 0; c < kNumClasses; ++c) {
    const Tier2Cost& t = w.classes[c].tier2;
    if (!w.CountsAsIo(static_cast<SyscallClass>(c)) || t.blocked_calls == 0) continue;
    const double blocked = static_cast<double>(t.blocked_calls);
    weights += blocked;
    if (t.baseline_sound) {
      weighted += t.mean_nonblocked_oncpu_seconds * blocked;
      sound = true;
    } else if (t.method == Tier2Method::kSwitchPaths && t.own_work_measured) {
      weighted += t.own_work_seconds * blocked;
      own = true;
    } else {
      none = true;
      continue;
    }
    call.calls += t.nonblocked_calls;
  }
  if (weights > 0) call.mean_seconds = weighted / weights;
  if (sound && !own && !none) {
    call.from = "as measured on the target's own calls of the same kind that did not block";
  } else if (own && !sound && !none) {
    call.from =
        "the work a blocked call of the same kind does after its wakeup (its own work, from the switch paths; the "
        "calls that did not block are no fair baseline here)";
  } else {
    call.from =
        "per blocked class its own calls that did not block where they are a fair baseline, else its own work "
        "from the switch paths, else 0 (no class's figure stands for another's blocks)";
  }
  return call;
}

// The share of time the process had nothing to run on its CPUs: an event
// loop doing the same work would find nothing to do, and sleep, about this
// often when a request arrives. Time its threads spent runnable, waiting for
// a CPU (taken by other threads or other programs), is not idle: a loop
// would have had work queued then. Waits of several threads at once are
// summed, so on a crowded CPU this errs low; and the blocking process's own
// CPU includes what blocking costs, so an async design idles more: low too.
double IdleShare(const BlockingBreakdown& w) {
  if (w.seconds <= 0 || w.latency.cpus <= 0) return 0;
  const double busy = w.cpu_seconds + w.latency.runqueue_wait_seconds;
  return std::clamp(1.0 - busy / (w.seconds * w.latency.cpus), 0.0, 1.0);
}

}  // namespace

const char* AsyncCostSourceName(AsyncCostSource source) {
  return source == AsyncCostSource::kCalibration ? "calibration" : "target_nonblocking_calls";
}

double InterpolateAsyncCost(const std::vector<CalibrationPoint>& points, double rate, double* se_out,
                            bool* extrapolated_out) {
  *extrapolated_out = false;
  if (points.empty()) {
    *se_out = 0;
    return 0;
  }
  auto key = [](double r) { return std::log(std::max(r, 1.0)); };
  if (points.size() == 1 || rate <= points.front().blocked_io_calls_per_second) {
    *extrapolated_out = points.size() == 1 ? std::abs(rate - points[0].blocked_io_calls_per_second) >
                                                 0.5 * points[0].blocked_io_calls_per_second
                                           : rate < 0.5 * points.front().blocked_io_calls_per_second;
    *se_out = points.front().async_cost_per_op_se_seconds;
    return points.front().async_cost_per_op_seconds;
  }
  if (rate >= points.back().blocked_io_calls_per_second) {
    *extrapolated_out = rate > 2.0 * points.back().blocked_io_calls_per_second;
    *se_out = points.back().async_cost_per_op_se_seconds;
    return points.back().async_cost_per_op_seconds;
  }
  for (size_t i = 1; i < points.size(); ++i) {
    const CalibrationPoint& a = points[i - 1];
    const CalibrationPoint& b = points[i];
    if (rate > b.blocked_io_calls_per_second) continue;
    const double span = key(b.blocked_io_calls_per_second) - key(a.blocked_io_calls_per_second);
    const double t = span > 0 ? (key(rate) - key(a.blocked_io_calls_per_second)) / span : 0.0;
    *se_out = (1 - t) * a.async_cost_per_op_se_seconds + t * b.async_cost_per_op_se_seconds;
    return (1 - t) * a.async_cost_per_op_seconds + t * b.async_cost_per_op_seconds;
  }
  *se_out = points.back().async_cost_per_op_se_seconds;
  return points.back().async_cost_per_op_seconds;
}

AsyncCost EstimateAsyncCost(const BlockingBreakdown& w, const Calibration* calibration) {
  AsyncCost cost;
  if (w.handoff_sleeps > 0) {
    cost.loop_idle_share = IdleShare(w);
    cost.loop_sleep_cpu_seconds = static_cast<double>(w.handoffs) * cost.loop_idle_share * w.handoff_sleep_seconds;
  }
  const double rate = w.seconds > 0 ? static_cast<double>(w.blocked_io_calls) / w.seconds : 0.0;
  if (calibration != nullptr && !calibration->points.empty()) {
    cost.source = AsyncCostSource::kCalibration;
    cost.raw_per_op_seconds = InterpolateAsyncCost(calibration->points, rate, &cost.per_op_se_seconds, &cost.extrapolated);
    cost.per_op_seconds = std::max(0.0, cost.raw_per_op_seconds);
    const double lo = calibration->points.front().blocked_io_calls_per_second;
    const double hi = calibration->points.back().blocked_io_calls_per_second;
    cost.detail = absl::StrFormat(
        "an io_uring design pays %s per replaced blocking call at %s blocking calls, measured on this machine by "
        "`iotax calibrate` (%s, bundled servers at %s to %s blocking calls)%s",
        Micros(cost.per_op_seconds), Rate(rate), calibration->created_at, Rate(lo), Rate(hi),
        cost.extrapolated ? "; the target's rate is outside that range, so the figure is extrapolated" : "");
    return cost;
  }

  cost.source = AsyncCostSource::kTargetNonblockingCalls;
  // io_uring_enter is left out: its calls do the IO itself, so their cost
  // is not the price of waiting.
  // A blocking design's own waits (poll on its one connection) are its
  // blocked IO class, not an event loop: their non-blocked calls are a
  // same-kind baseline, held to the same soundness as a read's (below).
  const ClassCost& poll = w.classes[static_cast<int>(SyscallClass::kPoll)];
  if (!w.CountsAsIo(SyscallClass::kPoll) && poll.calls - poll.blocked_calls >= kMinNonblockingCallsForFallback) {
    // The target already has an event loop: its waits that returned at once
    // are what an async design pays per readiness batch.
    cost.call_seconds = poll.tier2.mean_nonblocked_oncpu_seconds;
    cost.detail = absl::StrFormat(
        "an async design is assumed to pay one event-loop call per replaced blocking call, %s each as measured on "
        "the target's own poll/epoll/select calls that did not block (no batching assumed)",
        Micros(cost.call_seconds));
  } else if (const SameKindCall same = SameKindCallOf(w); same.calls > 0) {
    cost.call_seconds = same.mean_seconds;
    cost.detail = absl::StrFormat(
        "an async design is assumed to pay one extra non-blocking call (readiness or completion) per replaced "
        "blocking call, %s each, %s (no batching assumed)",
        Micros(cost.call_seconds), same.from);
  } else {
    cost.known = false;
    cost.detail =
        "the target made too few non-blocking calls to measure what an async design would pay instead, so that "
        "call is counted as 0 (the saving is an upper bound; `iotax calibrate` measures it)";
  }
  // An event loop sleeps too, whenever it runs out of work, and its caches
  // are as cold after that sleep as a blocked thread's.
  cost.idle_share = IdleShare(w);
  cost.wake_seconds = w.DirectPerBlockedCall();
  cost.refill_seconds = w.indirect.available && w.blocked_io_calls > 0
                            ? w.indirect.cpu_seconds / static_cast<double>(w.blocked_io_calls)
                            : 0.0;
  // The refill does not depend on the loop's call; the sleep's wakeup is
  // charged only with a measured call (call_seconds is 0 without one).
  cost.per_op_seconds =
      cost.call_seconds + cost.idle_share * ((cost.known ? cost.wake_seconds : 0.0) + cost.refill_seconds);
  cost.raw_per_op_seconds = cost.per_op_seconds;
  if (!cost.known) {
    if (cost.per_op_seconds > 0) {
      cost.detail += absl::StrFormat(
          "; but an event loop sleeps too when it runs out of work: the process had nothing to run %.0f%% of the "
          "window, so about that share of requests would find the loop asleep and pay the caches' refill after it "
          "(%s, the indirect part per blocked call here), %s per call",
          100 * cost.idle_share, Micros(cost.refill_seconds), Micros(cost.per_op_seconds));
    }
    return cost;
  }
  cost.detail += w.latency.cpus > 0
                     ? absl::StrFormat(
                           ", plus its own sleeps when it runs out of work: the process had nothing to run (no "
                           "thread on or waiting for a CPU) %.0f%% of the window, so about that share of requests "
                           "finds the loop asleep and pays a sleep and wakeup (%s, the direct cost of a blocked call "
                           "here)%s, %s per call in all (`iotax calibrate` measures it instead)",
                           100 * cost.idle_share, Micros(cost.wake_seconds),
                           cost.refill_seconds > 0
                               ? absl::StrFormat(" and the caches' refill after it (%s, the indirect part per "
                                                 "blocked call)",
                                                 Micros(cost.refill_seconds))
                               : std::string(),
                           Micros(cost.per_op_seconds))
                     : "; the CPUs the process may use are unknown, so the event loop's own sleeps are left out "
                       "and the saving errs high (`iotax calibrate` measures it instead)";
  return cost;
}

}  // namespace iotax
