#include "verdict.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "ipc_windows.h"

namespace iotax {
namespace {

// Below one major fault a second (a cold start, a lazily loaded library) a
// fault line would be noise in the reasons.
constexpr double kMajorFaultsWorthSaying = 1.0;

// The two shares the verdict rests on, for one window.
struct Shares {
  double overhead = 0;  // (direct + indirect) / CPU
  double saving = 0;    // (overhead - async cost) / CPU
};

struct Estimate {
  BlockingBreakdown breakdown;
  AsyncCost async;
  double overhead_seconds = 0;
  double async_seconds = 0;
  uint64_t replaced_calls = 0;  // blocked IO calls whose cost is counted
  Shares shares;
};

Estimate EstimateWindow(const TargetWindow& w, const VerdictInputs& in) {
  Estimate e;
  e.breakdown = AnalyzeWindow(w, in.pmu, in.cpus);
  const BlockingBreakdown& b = e.breakdown;
  e.async = EstimateAsyncCost(b, in.calibration);
  e.replaced_calls = b.blocked_io_calls - b.uncalibrated_blocked_io_calls;
  e.overhead_seconds =
      b.direct_cpu_seconds + b.handoff_cpu_seconds + (b.indirect.available ? b.indirect.cpu_seconds : 0.0);
  e.async_seconds = e.async.per_op_seconds * static_cast<double>(e.replaced_calls) + e.async.loop_sleep_cpu_seconds;
  if (b.cpu_seconds > 0) {
    e.shares.overhead = e.overhead_seconds / b.cpu_seconds;
    e.shares.saving = (e.overhead_seconds - e.async_seconds) / b.cpu_seconds;
  }
  return e;
}

// Delete-one jackknife standard errors of both shares over the sub-windows.
struct Spread {
  double overhead_se = 0;
  double saving_se = 0;
};

Spread Jackknife(const TargetWindow& total, const std::vector<TargetWindow>& parts, const VerdictInputs& in) {
  Spread s;
  const size_t n = parts.size();
  if (n < 2) return s;
  std::vector<Shares> leave_out;
  for (const TargetWindow& part : parts) leave_out.push_back(EstimateWindow(Without(total, part), in).shares);
  double mean_o = 0, mean_s = 0;
  for (const Shares& x : leave_out) {
    mean_o += x.overhead;
    mean_s += x.saving;
  }
  mean_o /= static_cast<double>(n);
  mean_s /= static_cast<double>(n);
  double var_o = 0, var_s = 0;
  for (const Shares& x : leave_out) {
    var_o += (x.overhead - mean_o) * (x.overhead - mean_o);
    var_s += (x.saving - mean_s) * (x.saving - mean_s);
  }
  const double factor = static_cast<double>(n - 1) / static_cast<double>(n);
  s.overhead_se = std::sqrt(factor * var_o);
  s.saving_se = std::sqrt(factor * var_s);
  return s;
}

std::string Plural(double n, const char* one, const char* many) { return n == 1 ? one : many; }

// "15k futex calls/s × 1.0 µs + 146k epoll_ctl re-arms/s × 0.5 µs": the hand-off machinery.
std::string HandoffExpression(const BlockingBreakdown& b) {
  const auto term = [&](uint64_t calls, double cpu_seconds, const char* what) {
    const double rate = b.seconds > 0 ? static_cast<double>(calls) / b.seconds : 0;
    return absl::StrCat(FormatCount(rate), " ", what, "/s × ",
                        FormatDuration(cpu_seconds / static_cast<double>(calls)));
  };
  std::vector<std::string> terms;
  if (b.handoff_futex_calls > 0) terms.push_back(term(b.handoff_futex_calls, b.handoff_futex_cpu_seconds, "futex calls"));
  if (b.rearm_calls > 0) terms.push_back(term(b.rearm_calls, b.rearm_cpu_seconds, "epoll_ctl re-arms"));
  if (b.handoff_sleeps > 0) {
    terms.push_back(term(b.handoff_sleeps, b.handoff_sleep_cpu_seconds, "epoll sleeps"));
  }
  return absl::StrJoin(terms, " + ");
}

// "(41k blocking socket reads/s × 5.1 µs)"
std::string CostExpression(const BlockingBreakdown& b) {
  const uint64_t calibrated = b.blocked_io_calls - b.uncalibrated_blocked_io_calls;
  const double rate = b.seconds > 0 ? static_cast<double>(calibrated) / b.seconds : 0;
  const SyscallClass dominant = b.DominantIoClass();
  const bool mostly = b.classes[static_cast<int>(dominant)].blocked_calls * 10 >= b.blocked_io_calls * 9;
  const std::string what = mostly ? absl::StrCat("blocking ", ClassNoun(dominant), "/s")
                                  : absl::StrCat("blocking IO calls/s, mostly ", ClassNoun(dominant), ",");
  const double per_call = b.DirectPerBlockedCall();
  return absl::StrCat(FormatCount(rate), " ", what,
                      per_call >= 0.05e-6 ? absl::StrCat(" × ", FormatDuration(per_call)) : " at no measurable cost each");
}

// What the tracer's own time did to the price of a block, in words.
std::string TracerReason(const BlockingBreakdown& b) {
  const SwitchRunCost& sw = b.tracer_switch;
  if (!sw.known) {
    return absl::StrCat("Tracer's own time not removed: ", sw.missing_reason,
                        "; each block's price still holds the tracer's sched_switch run at its switch-in (iotaxd "
                        "--bpf-stats, or kernel.bpf_stats_enabled=1, measures it).");
  }
  const double per_block = b.TracerRemovedPerBlockedCall();
  const SyscallClass d = b.DominantIoClass();
  const Tier2Cost& t2 = b.classes[static_cast<int>(d)].tier2;
  return absl::StrFormat(
      "Tracer's own time removed: %s per block (its sched_switch program took %s to %s a run by bpf_stats; %.2f "
      "switch-ins per block of the %s counted, %.2f of them in the price).",
      per_block >= 0.0005e-6 ? FormatDuration(per_block) : std::string("0 µs"), FormatDuration(sw.lo_seconds),
      FormatDuration(sw.hi_seconds), t2.switch_ins_per_block, ClassNoun(d), t2.tracer_runs_per_block);
}

}  // namespace

const char* VerdictLevelName(VerdictLevel level) {
  switch (level) {
    case VerdictLevel::kInsufficientData: return "insufficient_data";
    case VerdictLevel::kNotWorthIt: return "not_worth_it";
    case VerdictLevel::kMaybe: return "maybe";
    case VerdictLevel::kLikelyWorthIt: return "likely_worth_it";
  }
  return "insufficient_data";
}

const char* VerdictLevelWords(VerdictLevel level) {
  switch (level) {
    case VerdictLevel::kInsufficientData: return "insufficient data";
    case VerdictLevel::kNotWorthIt: return "not worth it";
    case VerdictLevel::kMaybe: return "maybe";
    case VerdictLevel::kLikelyWorthIt: return "likely worth it";
  }
  return "insufficient data";
}

const char* ConfidenceName(Confidence confidence) {
  switch (confidence) {
    case Confidence::kLow: return "low";
    case Confidence::kMedium: return "medium";
    case Confidence::kHigh: return "high";
  }
  return "low";
}

std::string FormatPercent(double share) {
  const double pct = share * 100;
  if (std::abs(pct) < 9.95 && pct != 0) return absl::StrFormat("%.1f%%", pct);
  return absl::StrFormat("%.0f%%", pct);
}

bool RoundsToZeroPercent(double share) { return !(std::abs(share * 100) >= 0.05); }

std::string FormatCount(double n) {
  if (n >= 9.95e5) return absl::StrFormat("%.1fM", n / 1e6);
  if (n >= 9.95e3) return absl::StrFormat("%.0fk", n / 1e3);
  if (n >= 995) return absl::StrFormat("%.1fk", n / 1e3);
  if (n >= 9.95 || n == std::floor(n)) return absl::StrFormat("%.0f", n);
  return absl::StrFormat("%.1f", n);
}

std::string FormatRate(double per_second) { return FormatCount(per_second) + "/s"; }

std::string FormatDuration(double seconds) {
  const double a = std::abs(seconds);
  if (a == 0) return "0 µs";
  // Thresholds just below the unit, so 0.99996 s reads "1.0 s", not "1000.0 ms".
  if (a < 0.9995e-6) return absl::StrFormat("%.0f ns", seconds * 1e9);
  if (a < 0.99995e-3) return absl::StrFormat("%.1f µs", seconds * 1e6);
  if (a < 0.99995) return absl::StrFormat("%.1f ms", seconds * 1e3);
  return absl::StrFormat("%.1f s", seconds);
}

// " ± 4%" for a symmetric interval, " (2% to 31%)" otherwise; nothing when it
// rounds to a point.
std::string IntervalWords(double estimate, const Interval& ci) {
  const double below = estimate - ci.lo, above = ci.hi - estimate;
  if (RoundsToZeroPercent(below) && RoundsToZeroPercent(above)) return "";
  if (FormatPercent(below) == FormatPercent(above)) return absl::StrCat(" ± ", FormatPercent(above));
  return absl::StrCat(" (", FormatPercent(ci.lo), " to ", FormatPercent(ci.hi), ")");
}

Verdict ComputeVerdict(const VerdictInputs& in) {
  Verdict v;
  const TargetWindow total = Combine(in.windows);
  const Estimate e = EstimateWindow(total, in);
  const BlockingBreakdown& b = e.breakdown;
  const VerdictThresholds& th = in.thresholds;
  v.breakdown = b;
  v.window_seconds = total.seconds;
  v.cpu_seconds = b.cpu_seconds;
  v.subwindows = static_cast<int>(in.windows.size());
  v.direct_cpu_seconds = b.direct_cpu_seconds;
  if (b.indirect.available) v.indirect_cpu_seconds = b.indirect.cpu_seconds;
  v.async_cost = e.async;
  v.async_cost_cpu_seconds = e.async_seconds;
  v.runqueue_wait_p99_seconds = b.latency.runqueue_wait_p99_seconds;
  v.blocked_io_calls = b.blocked_io_calls;
  v.blocked_io_calls_per_second = total.seconds > 0 ? static_cast<double>(b.blocked_io_calls) / total.seconds : 0;
  v.direct_per_blocked_call_seconds = b.DirectPerBlockedCall();

  // 1. Enough to judge?
  std::string insufficient;
  if (in.windows.empty() || total.seconds < th.min_window_seconds) {
    insufficient = absl::StrFormat("the window is %s long; at least %s is needed", FormatDuration(total.seconds),
                                   FormatDuration(th.min_window_seconds));
  } else if (b.cpu_seconds < th.min_cpu_seconds) {
    // Under a microsecond reads "0 µs": say there was none to speak of.
    const std::string used = b.cpu_seconds < 0.5e-6
                                 ? absl::StrCat("used no measurable CPU in ", FormatDuration(total.seconds))
                                 : absl::StrCat("used only ", FormatDuration(b.cpu_seconds), " of CPU in ",
                                                FormatDuration(total.seconds));
    insufficient = absl::StrCat(in.service ? "the service's processes " : "the process ", used,
                                ": too little CPU to judge; measure while ", in.service ? "they serve their" : "it serves its",
                                " usual load");
  } else if (b.uncalibrated_blocked_io_calls > 0 &&
             b.uncalibrated_blocked_io_calls * 2 > b.blocked_io_calls) {
    insufficient = absl::StrFormat(
        "%s of %s blocking IO calls could not be priced: the tracer recorded no switch paths for them and their "
        "non-blocked calls are too few for a sound baseline (tier 2 has no baseline); measure longer or under a "
        "heavier load, when some calls find data waiting",
        absl::StrCat(b.uncalibrated_blocked_io_calls), absl::StrCat(b.blocked_io_calls));
  }
  if (!insufficient.empty()) {
    v.level = VerdictLevel::kInsufficientData;
    v.confidence = Confidence::kLow;
    v.summary = absl::StrCat("Not enough data to judge: ", insufficient, ".");
    v.reasons.push_back(absl::StrCat("Insufficient data: ", insufficient, "."));
    if (!total.up) v.reasons.push_back("The process is no longer running.");
    return v;
  }

  // 2. Shares and their intervals.
  const Spread spread = Jackknife(total, in.windows, in);
  const int n = v.subwindows;
  const double t = n >= 2 ? ipc::StudentTQuantile(0.975, n - 1) : 0.0;
  double saving_se = spread.saving_se;
  if (e.async.source == AsyncCostSource::kCalibration && b.cpu_seconds > 0) {
    // The calibration's own uncertainty, independent of the target's spread.
    const double cal = static_cast<double>(e.replaced_calls) * e.async.per_op_se_seconds / b.cpu_seconds;
    saving_se = std::sqrt(saving_se * saving_se + cal * cal);
  }
  v.overhead_share = e.shares.overhead;
  // Shares of the CPU the target used: no overhead or saving is more than all of it.
  v.overhead_share_ci = Interval{std::max(0.0, e.shares.overhead - t * spread.overhead_se),
                                 std::min(1.0, e.shares.overhead + t * spread.overhead_se)};
  v.estimated_saving_share = e.shares.saving;
  // The level is judged on the spread of the sub-windows (noise); the interval
  // shown also carries the model's own error, as seen on designs it was not
  // built around (model_error.h).
  const Interval noise{e.shares.saving - t * saving_se, e.shares.saving + t * saving_se};
  const ModelErrorMargin& margin = in.model_error;
  v.model_error = ModelErrorShares(margin, b.blocked_io_calls + b.handoffs, b.cpu_seconds);
  v.estimated_saving_share_ci = Interval{std::min(noise.lo, e.shares.saving + v.model_error.below),
                                         std::min(1.0, std::max(noise.hi, e.shares.saving + v.model_error.above))};
  v.estimated_saving_cpu_seconds = e.overhead_seconds - e.async_seconds;
  const Interval& sci = noise;
  const Interval& oci = *v.overhead_share_ci;

  // 3. Level: the saving decides; latency can lift a small saving to "maybe"
  // (judged against dropping the lift: docs/experiments/model-error.md §11).
  const LatencyFigures& lat = b.latency;
  const bool oversubscribed = lat.cpus > 0 && lat.threads > lat.cpus;
  const bool slow_runqueue = lat.runqueue_wait_p99_seconds && *lat.runqueue_wait_p99_seconds >= th.latency_p99_seconds;
  bool latency_lift = false;
  if (sci.hi < th.not_worth_it_below || (n < 2 && e.shares.saving < th.not_worth_it_below)) {
    v.level = VerdictLevel::kNotWorthIt;
    if (slow_runqueue && oversubscribed && b.blocked_io_calls > 0) {
      v.level = VerdictLevel::kMaybe;
      latency_lift = true;
    }
  } else if (e.shares.saving >= th.likely_at && (n < 2 || sci.lo >= th.likely_lower_bound)) {
    v.level = VerdictLevel::kLikelyWorthIt;
  } else {
    v.level = VerdictLevel::kMaybe;
  }

  // 4. Confidence: sample size, spread with the model's error, and where the
  // async cost came from.
  const double half = (v.estimated_saving_share_ci->hi - v.estimated_saving_share_ci->lo) / 2;
  const bool async_matters = oci.hi >= th.not_worth_it_below;
  const bool measured_async = e.async.source == AsyncCostSource::kCalibration && !e.async.extrapolated;
  if (n >= 5 && half <= 0.03 && (b.blocked_io_calls >= 1000 || v.level == VerdictLevel::kNotWorthIt) &&
      (measured_async || !async_matters)) {
    v.confidence = Confidence::kHigh;
  } else if (n >= 3 && half <= 0.08 && e.async.known) {
    v.confidence = Confidence::kMedium;
  } else {
    v.confidence = Confidence::kLow;
  }

  // 5. Words.
  const std::string level_words = VerdictLevelWords(v.level);
  const std::string whose = in.service ? "the service's" : "this process's";
  // A figure that rounds to zero is said in words, never "0.0% ± 0.0%".
  const double half_overhead = (oci.hi - oci.lo) / 2;
  const std::string pm =
      n >= 2 && !RoundsToZeroPercent(half_overhead) ? absl::StrCat(" ± ", FormatPercent(half_overhead)) : "";
  if (b.blocked_io_calls == 0 && b.handoffs > 0 && !RoundsToZeroPercent(e.shares.overhead)) {
    v.summary = absl::StrCat("No IO blocked, but handing work between threads costs ", FormatPercent(e.shares.overhead),
                             pm, " of ", whose, " CPU (", HandoffExpression(b),
                             "); a design that serves a request in one thread would save about ",
                             FormatPercent(e.shares.saving), ": ", level_words, ".");
  } else if (b.blocked_io_calls == 0) {
    v.summary = absl::StrCat("No blocking measured: no thread blocked in a read, write, accept or connect, so "
                             "an async design has nothing to save: ",
                             level_words, ".");
  } else if (RoundsToZeroPercent(e.shares.overhead) && RoundsToZeroPercent(e.shares.saving)) {
    v.summary = absl::StrCat("No blocking cost measured: ", FormatCount(v.blocked_io_calls_per_second),
                             " IO calls per second blocked, but they cost under 0.05% of ", whose,
                             " CPU, so an async design has nothing measurable to save: ", level_words, ".");
  } else {
    // The saving leads (it is the answer); the overhead that it comes from follows.
    const std::string pm_saving = IntervalWords(e.shares.saving, *v.estimated_saving_share_ci);
    std::string saving_words =
        RoundsToZeroPercent(e.shares.saving)
            ? absl::StrCat("An async design would save about as much as it costs", pm_saving)
        : e.shares.saving >= 0
            ? absl::StrCat("An async design would save about ", FormatPercent(e.shares.saving), pm_saving, " of ",
                           whose, " CPU")
            : absl::StrCat("An async design would cost about ", FormatPercent(-e.shares.saving), pm_saving, " of ",
                           whose, " CPU more than it saves");
    if (latency_lift) {
      absl::StrAppend(&saving_words, ", but run-queue waits reach ", FormatDuration(*lat.runqueue_wait_p99_seconds),
                      " p99");
    }
    const std::string overhead_words =
        RoundsToZeroPercent(e.shares.overhead) ? std::string("under 0.05%") : FormatPercent(e.shares.overhead);
    v.summary = absl::StrCat(saving_words, ": ", level_words, ". Blocking IO costs ", overhead_words, pm, " (",
                             CostExpression(b),
                             b.handoffs > 0 ? absl::StrCat(" + ", HandoffExpression(b)) : std::string(), ")",
                             b.indirect.available ? "" : " without the indirect part", ".");
  }

  // Reasons, most important first.
  if (b.blocked_io_calls > 0) {
    const SyscallClass d = b.DominantIoClass();
    const ClassCost& dc = b.classes[static_cast<int>(d)];
    const Tier2Cost& t2 = dc.tier2;
    const double per_block = b.DirectPerBlockedCall();
    std::string why = absl::StrFormat(
        "%s blocking IO calls per second (%s of them %s). A block cost %s", FormatCount(v.blocked_io_calls_per_second),
        FormatPercent(static_cast<double>(dc.blocked_calls) / static_cast<double>(b.blocked_io_calls)), ClassNoun(d),
        per_block >= 0.05e-6 ? absl::StrCat(FormatDuration(per_block), " of CPU") : std::string("no measurable CPU"));
    if (t2.method == Tier2Method::kSwitchPaths) {
      // A path that rounds to "0 µs" is said in words.
      const auto took = [](double seconds) {
        return seconds >= 0.05e-6 ? FormatDuration(seconds) : std::string("no measurable time");
      };
      absl::StrAppend(
          &why,
          absl::StrFormat(" (method switch_paths, %s: %s from entering the call to switching out, %s from switching "
                          "back in to returning, less %s of work the call does anyway, %s)",
                          ClassNoun(d), took(t2.mean_sleep_path_seconds), took(t2.mean_resume_path_seconds),
                          took(t2.own_work_seconds),
                          t2.own_work_measured
                              ? absl::StrFormat("as measured on %s non-blocked %s sized to the bytes moved",
                                                FormatCount(static_cast<double>(t2.nonblocked_calls)), ClassNoun(d))
                              : std::string("the whole resume path, as too few calls of the kind did not block: a "
                                            "lower bound")));
      if (t2.nonblocked_calls > 0) {
        absl::StrAppend(&why, absl::StrFormat("; the baseline (blocked %s vs non-blocked %s) %s", FormatDuration(t2.mean_blocked_oncpu_seconds),
                                              FormatDuration(t2.mean_nonblocked_oncpu_seconds),
                                              t2.baseline_sound ? "is the cross-check"
                                                                : absl::StrCat("was not used: ", t2.baseline_unsound_reason)));
      }
    } else if (t2.method == Tier2Method::kBaseline) {
      absl::StrAppend(&why, absl::StrFormat(" (method baseline: %s vs %s for %s that did not block, %s of them)",
                                            FormatDuration(t2.mean_blocked_oncpu_seconds),
                                            FormatDuration(t2.mean_nonblocked_oncpu_seconds), ClassNoun(d),
                                            FormatCount(static_cast<double>(t2.nonblocked_calls))));
    }
    const double direct_share = b.cpu_seconds > 0 ? b.direct_cpu_seconds / b.cpu_seconds : 0;
    absl::StrAppend(&why, ": the sleep, the context switches and the wakeup. That direct cost is ",
                    RoundsToZeroPercent(direct_share) ? std::string("under 0.05%") : FormatPercent(direct_share),
                    " of the ", FormatDuration(b.cpu_seconds), " of CPU ",
                    in.service ? "the service's processes" : "the process", " used in ", FormatDuration(total.seconds),
                    ".");
    v.reasons.push_back(why);
  } else {
    v.reasons.push_back(
        b.nonblocked_io_calls > 0
            ? absl::StrFormat("No read, write, accept or connect blocked in %s (%s IO calls completed without sleeping).",
                              FormatDuration(total.seconds), FormatCount(static_cast<double>(b.nonblocked_io_calls)))
            : absl::StrFormat("No read, write, accept or connect was made in %s.", FormatDuration(total.seconds)));
  }
  if (b.uncalibrated_blocked_io_calls > 0) {
    v.reasons.push_back(absl::StrFormat(
        "%s blocked IO calls are not counted: no switch paths were recorded for them and too few calls of their "
        "kind did not block, so there is no baseline to "
        "measure their cost against; the overhead is a lower bound.",
        absl::StrCat(b.uncalibrated_blocked_io_calls)));
  }
  if (b.blocked_io_calls > 0) v.reasons.push_back(TracerReason(b));
  if (b.indirect.available && b.indirect.method == IndirectMethod::kUserTime &&
      (b.indirect.path.available || b.indirect.small_baseline)) {
    const PathIndirect& p = b.indirect.path;
    const PathFigures& f = b.indirect.ChargedFigures();
    const std::string kernel_half =
        f.kernel_available
            ? absl::StrFormat(", and the %s that followed ran %s in the kernel against %s (%s and %s times)", ClassNoun(p.after),
                              FormatDuration(f.call_after_blocked_seconds),
                              FormatDuration(f.call_after_nonblocked_seconds),
                              FormatCount(static_cast<double>(p.blocked_calls)),
                              FormatCount(static_cast<double>(p.nonblocked_calls)))
            : absl::StrCat(" (the kernel half is not counted: ", f.kernel_missing, ")");
    v.reasons.push_back(absl::StrFormat(
        "Indirect part (no PMU: measured as time on one code path): after blocked %s, the user code up to the "
        "next of the %s ran %s on average (%s times) against %s after ones that did not block (%s times%s)%s: %s "
        "± %s per block (caches and TLB refilling after the switch)%s, charged to each of the %s blocking IO calls: "
        "%s of CPU.",
        ClassNoun(p.before), ClassNoun(p.after), FormatDuration(f.mean_after_blocked_seconds),
        FormatCount(static_cast<double>(p.blocked_segments)), FormatDuration(f.mean_after_nonblocked_seconds),
        FormatCount(static_cast<double>(p.nonblocked_segments)),
        b.indirect.small_baseline
            ? absl::StrCat(": a small baseline, under the ", kMinPathSegments,
                           " a full comparison needs, used as nearly every call blocked")
            : "",
        kernel_half, FormatDuration(f.per_block_seconds),
        FormatDuration(1.96 * f.per_block_se_seconds), f.per_block_seconds < 0 ? ", taken as 0" : "",
        FormatCount(static_cast<double>(b.blocked_io_calls)),
        FormatPercent(b.cpu_seconds > 0 ? b.indirect.cpu_seconds / b.cpu_seconds : 0)));
  } else if (b.indirect.available && b.indirect.method == IndirectMethod::kPmu) {
    v.reasons.push_back(absl::StrFormat(
        "Indirect cost (tier 3%s): after a blocked call the user code ran %.0f cycles slower than after one that "
        "did not block (caches and TLB refilling)%s, %s of CPU in all.",
        b.indirect.software_standins ? ", software stand-ins for the PMU: IPC is about 1 by construction" : "",
        b.indirect.extra_cycles_per_blocked_return,
        b.indirect.path.figures.kernel_available
            ? absl::StrCat("; the next ", ClassNoun(b.indirect.path.after), " ran ",
                           FormatDuration(b.indirect.path.figures.kernel_per_block_seconds),
                           " longer in the kernel after a block (timed on its path, the counters see user mode only)")
            : "",
        FormatPercent(b.cpu_seconds > 0 ? b.indirect.cpu_seconds / b.cpu_seconds : 0)));
  } else if (!b.indirect.available) {
    v.reasons.push_back(absl::StrCat(
        "Indirect part unavailable: ", b.indirect.missing_reason,
        ", so the cache and TLB refills after each switch are not measured. The overhead and the saving shown are "
        "the direct cost only, so the real figures are likely higher."));
  }
  if (b.blocked_io_calls > 0) {
    const auto cpu_words = [](double seconds) {
      return std::abs(seconds) >= 0.05e-6 ? absl::StrCat(FormatDuration(seconds), " of CPU") : std::string("no measurable CPU");
    };
    v.reasons.push_back(absl::StrCat(
        "What an async design pays instead: ", e.async.detail, ". For the ",
        FormatCount(static_cast<double>(e.replaced_calls)), " blocking calls of the window that is ",
        cpu_words(e.async_seconds - e.async.loop_sleep_cpu_seconds),
        e.async.loop_sleep_cpu_seconds > 0
            ? absl::StrCat(" (and ", cpu_words(e.async.loop_sleep_cpu_seconds), " for the hand-offs' sleeps, below)")
            : std::string(),
        ", leaving ",
        RoundsToZeroPercent(e.shares.saving)
            ? std::string("no measurable saving")
            : absl::StrCat("a saving of ", FormatDuration(v.estimated_saving_cpu_seconds), " (",
                           FormatPercent(e.shares.saving), ")"),
        "."));
    if (e.async.source == AsyncCostSource::kCalibration && e.async.raw_per_op_seconds < 0) {
      v.reasons.push_back(absl::StrFormat(
          "The calibration measured the io_uring server %s per call cheaper still than the blocking server "
          "without its blocking cost (fewer syscalls, fewer thread stacks in cache); that part is not counted as "
          "a saving here.",
          FormatDuration(-e.async.raw_per_op_seconds)));
    }
  }
  if (b.waits.blocking_design) {
    v.reasons.push_back(absl::StrCat("A wait is judged by what it waits for: ", b.waits.why, "."));
  }
  if (b.event_wait_calls > 0 && b.event_wait_blocked_calls > 0) {
    v.reasons.push_back(absl::StrFormat(
        "It already waits for IO in %s (%s waits per second that slept): that part is event-driven and "
        "is not counted as blocking%s%s.",
        b.waits.blocking_design ? "io_uring" : "poll, epoll or io_uring",
        FormatCount(static_cast<double>(b.event_wait_blocked_calls) / total.seconds),
        b.waits.blocking_design || b.waits.why.empty() ? "" : absl::StrCat(" (", b.waits.why, ")"),
        b.handoff_sleeps > 0 ? "; but those that wait for the hand-offs are counted with them, below" : ""));
  }
  const uint64_t file_blocked = b.classes[static_cast<int>(SyscallClass::kFileRead)].blocked_calls +
                                b.classes[static_cast<int>(SyscallClass::kFileWrite)].blocked_calls;
  if (file_blocked > 0) {
    v.reasons.push_back(absl::StrFormat(
        "File IO blocked %s times per second (page-cache misses, syncs). For buffered files io_uring is no cure: it "
        "hands a read that misses the page cache to a kernel worker thread (io-wq) that blocks just the same, so the "
        "sleep and the switches move to that thread rather than go away; only O_DIRECT file IO is truly asynchronous.",
        FormatCount(static_cast<double>(file_blocked) / total.seconds)));
  }
  if (b.major_faults_known && b.major_faults > 0 &&
      static_cast<double>(b.major_faults) / total.seconds >= kMajorFaultsWorthSaying) {
    v.reasons.push_back(absl::StrFormat(
        "File IO through memory: %s major page faults per second, each a read of a mapped file (or swap) that blocks "
        "the thread without a system call. Not counted (there is no call to price), and an async design does not "
        "remove them unless the program reads those files with calls instead of mapping them.",
        FormatCount(static_cast<double>(b.major_faults) / total.seconds)));
  }
  const uint64_t sync_blocked = b.classes[static_cast<int>(SyscallClass::kSync)].blocked_calls;
  if (sync_blocked > 0 && sync_blocked * 10 >= b.blocked_io_calls) {
    v.reasons.push_back(absl::StrFormat(
        "Threads blocked %s times per second reading or writing pipes, eventfds, timerfds or signalfds: "
        "synchronisation between threads or processes, not IO, so not counted.",
        FormatCount(static_cast<double>(sync_blocked) / total.seconds)));
  }
  {
    std::string l = absl::StrFormat("Latency: %s threads", absl::StrCat(lat.threads));
    if (lat.cpus > 0) absl::StrAppend(&l, " on ", lat.cpus, " ", Plural(lat.cpus, "CPU", "CPUs"));
    if (lat.runqueue_wait_p99_seconds) {
      absl::StrAppend(&l, absl::StrFormat("; run-queue waits %s p99, on average %.2f threads waiting for a CPU",
                                          FormatDuration(*lat.runqueue_wait_p99_seconds), lat.mean_threads_waiting));
    } else {
      absl::StrAppend(&l, "; no thread waited for a CPU");
    }
    if (lat.wakeup_to_run_mean_seconds) {
      absl::StrAppend(&l, "; a woken thread waited ", FormatDuration(*lat.wakeup_to_run_mean_seconds),
                      " on average before running");
    }
    absl::StrAppend(&l, oversubscribed && slow_runqueue
                            ? ". More runnable threads than CPUs: an event loop with one thread per CPU serves the same "
                              "queue in order, which shortens the tail (p99) more than the median."
                            : ".");
    v.reasons.push_back(l);
  }
  if (b.handoffs > 0) {
    const auto per_second = [&](uint64_t n) { return FormatCount(static_cast<double>(n) / total.seconds); };
    std::vector<std::string> seen, machinery;
    if (b.queue_handoffs > 0) {
      seen.push_back(absl::StrCat(per_second(b.queue_handoffs),
                                  " times per second a thread waited for work in a queue (a futex condition variable "
                                  "or semaphore) and another of its threads woke it"));
    }
    if (b.handoff_futex_calls > 0) {
      machinery.push_back("every futex call (the queue's waits and wakes, blocked or not, and its lock)");
    }
    if (b.rearm_calls > 0) {
      seen.push_back(absl::StrCat(per_second(b.rearm_calls),
                                  " times per second a thread that does not wait in epoll re-armed a descriptor "
                                  "(epoll_ctl) for the thread that does"));
      machinery.push_back("every such re-arm");
    }
    std::string loop_words;
    if (b.handoff_sleeps > 0) {
      machinery.push_back(
          "the sleeps of the thread that waits in epoll while the other threads hold the ready connections (up to "
          "one per hand-off)");
      const double loop_sleeps_per_second = static_cast<double>(b.handoffs) * e.async.loop_idle_share / total.seconds;
      // An idle share that rounds to 0% would read "counts 0 sleeps per second at ...": say it in words.
      loop_words =
          RoundsToZeroPercent(e.async.loop_idle_share)
              ? std::string(" An event loop sleeps too, but only when it runs out of work, and this process had work "
                            "to run all through the window: the async cost counts none of these sleeps.")
              : absl::StrFormat(" An event loop sleeps too, but only when it runs out of work: the process had "
                                "nothing to run %s of the window, so the async cost counts %s sleeps per second at %s "
                                "each.",
                                FormatPercent(e.async.loop_idle_share), FormatCount(loop_sleeps_per_second),
                                FormatDuration(b.handoff_sleep_seconds));
    }
    v.reasons.push_back(absl::StrFormat(
        "Thread hand-offs: %s, so requests pass between threads. The machinery that passes them cost %s of the CPU "
        "(%s): %s. A design that serves a request in the thread that saw it ready (an event loop) runs none of it, so "
        "it is counted in the overhead.%s",
        absl::StrJoin(seen, "; "), FormatPercent(b.cpu_seconds > 0 ? b.handoff_cpu_seconds / b.cpu_seconds : 0),
        HandoffExpression(b), absl::StrJoin(machinery, "; "), loop_words));
  }
  if (b.lock_waits_blocked > 0 && (b.handoffs > 0 || b.lock_waits_blocked * 10 >= b.blocked_io_calls)) {
    v.reasons.push_back(absl::StrFormat(
        "Lock contention: threads blocked on a lock (futex wait) %s times per second. %s",
        FormatCount(static_cast<double>(b.lock_waits_blocked) / total.seconds),
        b.handoffs > 0 ? "In a process that hands requests between threads that is mostly the queue's lock: its "
                         "futex calls are counted with the hand-offs above."
                       : "That is contention, not IO: not counted, and an async design does not remove it."));
  }
  std::string confidence_words =
      n >= 2 ? absl::StrFormat("Confidence %s: the interval is the spread of %d sub-windows of %s (jackknife, 95%%)%s",
                               ConfidenceName(v.confidence), n, FormatDuration(total.seconds / n),
                               e.async.source == AsyncCostSource::kCalibration
                                   ? " plus the calibration's own uncertainty"
                                   : "; the async cost is an estimate from the target's own calls, not a measurement")
             : absl::StrFormat("Confidence %s: one window only, so no spread", ConfidenceName(v.confidence));
  if (v.model_error.Widens()) {
    absl::StrAppend(&confidence_words,
                    absl::StrFormat(". The saving's interval also carries the model's own error: on server designs it "
                                    "was not built around the actual saving came out %s to +%s of the CPU from the "
                                    "estimate %s holds a new run's error about %s of the time)%s",
                                    FormatPercent(margin.below), FormatPercent(margin.above),
                                    margin.order <= 1
                                        ? absl::StrCat("(", margin.validation_rows, " validation runs, ", margin.source,
                                                       "; the range of ", margin.validation_rows)
                                        : absl::StrCat("in ", margin.validation_rows - 2 * (margin.order - 1), " of ",
                                                       margin.validation_rows, " validation runs (", margin.source,
                                                       "; the ", margin.order - 1,
                                                       " largest misses at each end left out, a range that"),
                                    FormatPercent(margin.NominalCoverage()),
                                    v.model_error.above < margin.above
                                        ? absl::StrCat(", here ", FormatPercent(v.model_error.below), " to +",
                                                       FormatPercent(v.model_error.above),
                                                       " as it blocks less often than any of them")
                                        : std::string()));
  }
  v.reasons.push_back(absl::StrCat(confidence_words, "."));
  return v;
}

}  // namespace iotax
