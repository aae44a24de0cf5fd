#include "ipc_metrics.h"

#include <cmath>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "families.h"

namespace iotax::ipc {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;
using prom::AddValue;
using prom::Family;
using prom::Labels;
using prom::With;

Labels TargetLabels(const TargetIpc& t) { return {{"pid", absl::StrCat(t.pid)}, {"comm", t.comm}}; }

}  // namespace

uint64_t NearestPowerOfTwo(double instructions) {
  if (!(instructions > 1.0)) return 1;
  const double k = std::round(std::log2(instructions));
  return k >= 63 ? uint64_t{1} << 63 : uint64_t{1} << static_cast<int>(k);
}

std::vector<MetricFamily> BuildIpcMetricFamilies(const IpcView& view) {
  std::vector<MetricFamily> out;
  const PmuStatus& st = view.status;

  MetricFamily up = Family("iotax_pmu_up",
                           "1 when the instructions and cycles counters are open and read at every kernel boundary; "
                           "0 when not (see iotax_pmu_info for why): then no IPC series are exported",
                           MetricType::Gauge);
  AddValue(up, {}, st.up ? 1 : 0);
  out.push_back(std::move(up));

  MetricFamily info = Family("iotax_pmu_info",
                             "PMU configuration and, when down, the reason (vm_without_pmu, no_hardware_pmu, "
                             "no_instructions_or_cycles, not_permitted, open_failed, disabled); always 1",
                             MetricType::Gauge);
  AddValue(info,
           {{"reason", st.up ? std::string("ok") : st.reason},
            {"instructions_event", st.instructions_event},
            {"cycles_event", st.cycles_event},
            {"software_standins", st.software_standins ? "true" : "false"}},
           1);
  out.push_back(std::move(info));
  if (!st.up) return out;

  // The counters themselves, machine-wide: how much of the time they ran
  // (multiplexing), and their counts scaled by enabled / running.
  MetricFamily running = Family("iotax_pmu_running_ratio",
                                "Time the counter was running over time it was enabled, all CPUs: 1 = never "
                                "multiplexed; below 1 the kernel time-shared the hardware counter",
                                MetricType::Gauge);
  MetricFamily system = Family("iotax_pmu_system_user_events",
                               "User-mode events of every process on every CPU since iotaxd started, scaled by "
                               "time enabled / time running (an estimate when multiplexed)",
                               MetricType::Gauge);
  for (const auto& [event, c] : {std::pair{"instructions", &st.instructions_counter},
                                 std::pair{"cycles", &st.cycles_counter}}) {
    if (c->time_enabled_ns == 0) continue;
    const double ratio = static_cast<double>(c->time_running_ns) / static_cast<double>(c->time_enabled_ns);
    AddValue(running, {{"event", event}}, ratio);
    AddValue(system, {{"event", event}}, ratio > 0 ? static_cast<double>(c->raw) / ratio : 0.0);
  }
  if (!running.metric.empty()) {
    out.push_back(std::move(running));
    out.push_back(std::move(system));
  }

  MetricFamily ins = Family("iotax_user_instructions_total",
                            "User-mode instructions of the target's threads (software stand-in: nanoseconds)",
                            MetricType::Counter);
  MetricFamily cyc = Family("iotax_user_cycles_total",
                            "User-mode cycles of the target's threads (software stand-in: nanoseconds)",
                            MetricType::Counter);
  MetricFamily dropped = Family("iotax_pmu_segments_dropped_total",
                                "User segments left out of every IPC series: reason=multiplexed (a counter did not "
                                "run all along), missed_switch (a context switch never reached BPF)",
                                MetricType::Counter);
  MetricFamily err = Family("iotax_pmu_read_errors_total", "Counter reads that failed in the BPF programs",
                            MetricType::Counter);
  MetricFamily segs = Family("iotax_user_segments_total",
                             "User-mode segments (kernel returns) by what preceded them", MetricType::Counter);
  MetricFamily ipc = Family("iotax_user_ipc", "User-mode instructions per cycle over the last window",
                            MetricType::Gauge);
  MetricFamily recovery = Family(
      "iotax_ipc_recovery",
      "Reconstructed IPC at about `instructions` (nearest power of two) user instructions after a kernel return, "
      "by what preceded the return (after=all: every return); since attach",
      MetricType::Gauge);
  MetricFamily steady = Family("iotax_ipc_steady_state",
                               "Steady-state user IPC far from a kernel return (fit over the longest segments)",
                               MetricType::Gauge);
  MetricFamily converged = Family("iotax_ipc_recovery_converged",
                                  "1 when IPC had settled over the longest segments, so steady state and cycles "
                                  "lost are full estimates; 0 when they may be underestimated",
                                  MetricType::Gauge);
  MetricFamily lost = Family("iotax_cycles_lost_per_return",
                             "User cycles lost per kernel return relative to steady-state IPC, for a segment that "
                             "runs long enough to recover fully",
                             MetricType::Gauge);
  MetricFamily realized = Family("iotax_realized_cycles_lost_per_return",
                                 "User cycles the observed segments actually lost per kernel return relative to "
                                 "steady-state IPC",
                                 MetricType::Gauge);
  MetricFamily windows = Family("iotax_ipc_regression_windows",
                                "Windows in the CPI regression (need at least 8 for an estimate)", MetricType::Gauge);
  MetricFamily cpi0 = Family("iotax_user_cpi_base",
                             "Regression intercept: user cycles per instruction without syscalls or switches",
                             MetricType::Gauge);
  struct SlopeFamilies {
    MetricFamily value, lower, upper;
  };
  SlopeFamilies per_syscall{
      Family("iotax_indirect_cycles_per_syscall",
             "Extra user cycles each syscall causes after it returns (CPI regression across windows)",
             MetricType::Gauge),
      Family("iotax_indirect_cycles_per_syscall_lower", "Lower bound of the 95% confidence interval",
             MetricType::Gauge),
      Family("iotax_indirect_cycles_per_syscall_upper", "Upper bound of the 95% confidence interval",
             MetricType::Gauge)};
  SlopeFamilies per_switch{
      Family("iotax_indirect_cycles_per_switch",
             "Extra user cycles each context switch causes after it (CPI regression across windows)",
             MetricType::Gauge),
      Family("iotax_indirect_cycles_per_switch_lower", "Lower bound of the 95% confidence interval",
             MetricType::Gauge),
      Family("iotax_indirect_cycles_per_switch_upper", "Upper bound of the 95% confidence interval",
             MetricType::Gauge)};

  for (const TargetIpc& t : view.targets) {
    const Labels tl = TargetLabels(t);
    AddValue(ins, tl, static_cast<double>(t.user_instructions));
    AddValue(cyc, tl, static_cast<double>(t.user_cycles));
    AddValue(dropped, With(tl, "reason", "multiplexed"), static_cast<double>(t.segments_multiplexed));
    AddValue(dropped, With(tl, "reason", "missed_switch"), static_cast<double>(t.segments_lost));
    AddValue(err, tl, static_cast<double>(t.read_errors));
    if (t.has_last_window && t.last_window.cycles > 0) {
      AddValue(ipc, tl, static_cast<double>(t.last_window.instructions) / static_cast<double>(t.last_window.cycles));
    }
    auto add_curve = [&](const std::string& after, const RecoveryCurve& c) {
      const Labels al = With(tl, "after", after);
      std::set<uint64_t> seen;
      for (const MarginalPoint& p : c.marginal) {
        const uint64_t at = NearestPowerOfTwo(p.instructions_since_return);
        if (seen.insert(at).second) AddValue(recovery, With(al, "instructions", absl::StrCat(at)), p.ipc);
      }
      if (c.steady_ok) {
        AddValue(steady, al, c.steady_ipc);
        AddValue(converged, al, c.converged ? 1 : 0);
        AddValue(lost, al, c.cycles_lost_per_return);
        AddValue(realized, al, c.realized_cycles_lost_per_return);
      }
    };
    for (int l = 0; l < kNumSegmentLabels; ++l) {
      AddValue(segs, With(tl, "after", std::string(kSegmentLabelNames[l])), static_cast<double>(t.curves[l].returns));
      add_curve(std::string(kSegmentLabelNames[l]), t.curves[l]);
    }
    add_curve("all", t.all_returns);

    AddValue(windows, tl, t.regression.windows);
    if (t.regression.ok) {
      AddValue(cpi0, tl, t.regression.base_cpi.value);
      auto add_slope = [&](SlopeFamilies& f, const Estimate& e) {
        if (!e.estimated) return;
        AddValue(f.value, tl, e.value);
        AddValue(f.lower, tl, e.ci_low);
        AddValue(f.upper, tl, e.ci_high);
      };
      add_slope(per_syscall, t.regression.cycles_per_syscall);
      add_slope(per_switch, t.regression.cycles_per_switch);
    }
  }
  for (MetricFamily* f : {&ins, &cyc, &dropped, &err, &segs, &ipc, &recovery, &steady, &converged, &lost, &realized,
                          &windows, &cpi0, &per_syscall.value, &per_syscall.lower, &per_syscall.upper,
                          &per_switch.value, &per_switch.lower, &per_switch.upper}) {
    if (!f->metric.empty()) out.push_back(std::move(*f));
  }
  return out;
}

}  // namespace iotax::ipc
