#include "report_json.h"

#include <cmath>

#include "version.h"

namespace iotax {
namespace {

using nlohmann::json;

// Non-finite numbers are not JSON: null instead.
json Number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json Optional(const std::optional<double>& v) { return v ? Number(*v) : json(nullptr); }

json IntervalJson(const std::optional<Interval>& i) {
  if (!i) return nullptr;
  return json::array({Number(i->lo), Number(i->hi)});
}

// The comparison made on 10 to 49 segments of a kind: charged when the full one is missing.
json FewFiguresJson(const PathFigures& f) {
  return json{{"mean_after_blocked_seconds", Number(f.mean_after_blocked_seconds)},
              {"mean_after_nonblocked_seconds", Number(f.mean_after_nonblocked_seconds)},
              {"user_difference_seconds", Number(f.user_per_block_seconds)},
              {"kernel_difference_seconds", f.kernel_available ? Number(f.kernel_per_block_seconds) : json(nullptr)},
              {"difference_seconds", Number(f.per_block_seconds)},
              {"difference_se_seconds", Number(f.per_block_se_seconds)}};
}

json SyscallsJson(const BlockingBreakdown& b) {
  json out = json::array();
  for (int c = 0; c < kNumClasses; ++c) {
    const ClassCost& cc = b.classes[c];
    if (cc.calls == 0) continue;
    const Tier2Cost& t = cc.tier2;
    out.push_back(json{
        {"class", std::string(kClassNames[c])},
        {"kind", b.CountsAsIo(static_cast<SyscallClass>(c))       ? "io"
                 : IsEventWaitClass(static_cast<SyscallClass>(c)) ? "event_wait"
                                                                  : "other"},
        {"calls", cc.calls},
        {"calls_per_second", Number(b.seconds > 0 ? static_cast<double>(cc.calls) / b.seconds : 0)},
        {"blocked_calls", cc.blocked_calls},
        {"cpu_seconds", Number(cc.cpu_seconds)},
        {"blocked_cpu_seconds", Number(cc.blocked_cpu_seconds)},
        {"tier2_status", Tier2StatusName(t.status)},
        {"mean_blocked_oncpu_seconds", t.blocked_calls > 0 ? Number(t.mean_blocked_oncpu_seconds) : json(nullptr)},
        {"mean_nonblocked_oncpu_seconds", t.nonblocked_calls > 0 ? Number(t.mean_nonblocked_oncpu_seconds) : json(nullptr)},
        {"direct_cpu_seconds", t.HasCost() ? Number(t.direct_cost_seconds) : json(nullptr)},
        {"tier2_method", Tier2MethodName(t.method)},
        {"price_per_block_seconds", t.status == Tier2Status::kCalibrated ? Number(t.price_per_block_seconds) : json(nullptr)},
        {"mean_sleep_path_seconds", t.blocked_calls > 0 ? Number(t.mean_sleep_path_seconds) : json(nullptr)},
        {"mean_resume_path_seconds", t.blocked_calls > 0 ? Number(t.mean_resume_path_seconds) : json(nullptr)},
        {"own_work_seconds", t.method == Tier2Method::kSwitchPaths ? Number(t.own_work_seconds) : json(nullptr)},
        {"own_work_measured", t.own_work_measured},
        {"mean_blocked_bytes", t.blocked_calls > 0 ? Number(t.mean_blocked_bytes) : json(nullptr)},
        {"mean_nonblocked_bytes", t.nonblocked_calls > 0 ? Number(t.mean_nonblocked_bytes) : json(nullptr)},
        {"baseline_sound", t.baseline_sound},
        {"baseline_unsound_reason", t.baseline_sound ? json(nullptr) : json(t.baseline_unsound_reason)},
        {"baseline_price_seconds", t.blocked_calls > 0 && t.nonblocked_calls > 0 ? Number(t.baseline_price_seconds) : json(nullptr)},
        {"switch_ins_per_block", t.blocked_calls > 0 ? Number(t.switch_ins_per_block) : json(nullptr)},
        {"tracer_seconds_per_block", t.tracer_known && t.status == Tier2Status::kCalibrated ? Number(t.tracer_seconds_per_block) : json(nullptr)},
    });
  }
  return out;
}

json TargetJson(const TargetReport& t) {
  const Verdict& v = t.verdict;
  const BlockingBreakdown& b = v.breakdown;
  json offcpu = json::object();
  for (int r = 0; r < kNumOffCpuReasons; ++r) offcpu[std::string(kOffCpuReasonNames[r])] = Number(b.offcpu_seconds[r]);
  json top = json::array();
  for (const TopCost& c : t.top_costs) {
    top.push_back(json{{"name", c.name}, {"cpu_seconds", Number(c.cpu_seconds)}, {"share", Number(c.share)}});
  }
  const LatencyFigures& l = b.latency;
  const IndirectCost& ind = b.indirect;
  json service = nullptr;
  if (t.service) {
    const ServiceReport& s = *t.service;
    service = json{{"kind", s.kind},
                   {"name", s.name},
                   {"processes_seen", s.processes_seen},
                   {"processes_joined", s.processes_joined},
                   {"processes_exited", s.processes_exited},
                   {"processes_running", s.processes_running},
                   {"cpus", s.cpus > 0 ? json(s.cpus) : json(nullptr)}};
  }
  return json{
      {"pid", t.pid},
      {"comm", t.comm},
      {"up", t.up},
      {"service", service},
      {"window_seconds", Number(v.window_seconds)},
      {"cpu_seconds", Number(v.cpu_seconds)},
      {"requests_hint", nullptr},
      {"cpu", json{{"source", b.kernel_cpu_known ? "kernel" : "tracer"},
                   {"traced_seconds", Number(b.traced_cpu_seconds)},
                   {"untraced_seconds", b.kernel_cpu_known ? Number(b.untraced_cpu_seconds) : json(nullptr)},
                   {"user_seconds", Number(b.user_seconds)},
                   {"syscall_seconds", Number(b.syscall_seconds)},
                   {"io_worker_seconds", Number(b.io_worker_seconds)},
                   {"sched_seconds", Number(b.sched_seconds)}}},
      {"thread_seconds", json{{"on_cpu", Number(b.cpu_seconds)}, {"off_cpu", offcpu}}},
      {"context_switches", json{{"voluntary", b.voluntary_switches}, {"involuntary", b.involuntary_switches}}},
      {"syscalls", SyscallsJson(b)},
      {"waits", json{{"blocked_waits", b.waits.blocked_waits},
                     {"ready_per_blocked_wait", Optional(b.waits.ready_per_blocked_wait)},
                     {"watched_per_wait", Optional(b.waits.watched_per_wait)},
                     {"sockets_per_thread", Optional(b.waits.sockets_per_thread)},
                     {"blocking_design", b.waits.blocking_design},
                     {"why", b.waits.why}}},
      {"latency", json{{"threads", l.threads},
                       {"cpus", l.cpus > 0 ? json(l.cpus) : json(nullptr)},
                       {"runqueue_wait_seconds", Number(l.runqueue_wait_seconds)},
                       {"runqueue_waits", l.runqueue_waits},
                       {"runqueue_wait_p99_seconds", Optional(l.runqueue_wait_p99_seconds)},
                       {"wakeup_to_run_p99_seconds", Optional(l.wakeup_to_run_p99_seconds)},
                       {"wakeup_to_run_mean_seconds", Optional(l.wakeup_to_run_mean_seconds)},
                       {"mean_threads_waiting", Number(l.mean_threads_waiting)}}},
      {"tracer_correction", json{{"known", b.tracer_switch.known},
                                 {"missing_reason", b.tracer_switch.known ? json(nullptr) : json(b.tracer_switch.missing_reason)},
                                 {"switch_run_seconds", b.tracer_switch.known ? json::array({Number(b.tracer_switch.lo_seconds), Number(b.tracer_switch.hi_seconds)}) : json(nullptr)},
                                 {"removed_per_block_seconds", b.tracer_switch.known ? Number(b.TracerRemovedPerBlockedCall()) : json(nullptr)},
                                 {"removed_cpu_seconds", b.tracer_switch.known ? Number(b.tracer_removed_cpu_seconds) : json(nullptr)}}},
      {"indirect", json{{"available", ind.available},
                        {"method", IndirectMethodName(ind.method)},
                        {"missing_reason", ind.available ? json(nullptr) : json(ind.missing_reason)},
                        {"per_block_seconds", ind.available && ind.method == IndirectMethod::kUserTime ? Number(ind.per_block_seconds) : json(nullptr)},
                        {"per_block_se_seconds", ind.available && ind.method == IndirectMethod::kUserTime ? Number(ind.per_block_se_seconds) : json(nullptr)},
                        {"small_baseline", ind.small_baseline},
                        {"path", ind.method == IndirectMethod::kUserTime && ind.path.blocked_returns
                                     ? json{{"before", std::string(kClassNames[static_cast<int>(ind.path.before)])},
                                            {"after", std::string(kClassNames[static_cast<int>(ind.path.after)])},
                                            {"after_blocked_segments", ind.path.blocked_segments},
                                            {"after_nonblocked_segments", ind.path.nonblocked_segments},
                                            {"mean_after_blocked_seconds", ind.path.available ? Number(ind.path.figures.mean_after_blocked_seconds) : json(nullptr)},
                                            {"mean_after_nonblocked_seconds", ind.path.available ? Number(ind.path.figures.mean_after_nonblocked_seconds) : json(nullptr)},
                                            {"difference_seconds", ind.path.available ? Number(ind.path.figures.per_block_seconds) : json(nullptr)},
                                            {"user_difference_seconds", ind.path.available ? Number(ind.path.figures.user_per_block_seconds) : json(nullptr)},
                                            {"after_blocked_calls", ind.path.blocked_calls},
                                            {"after_nonblocked_calls", ind.path.nonblocked_calls},
                                            {"call_after_blocked_seconds", ind.path.figures.kernel_available ? Number(ind.path.figures.call_after_blocked_seconds) : json(nullptr)},
                                            {"call_after_nonblocked_seconds", ind.path.figures.kernel_available ? Number(ind.path.figures.call_after_nonblocked_seconds) : json(nullptr)},
                                            {"kernel_difference_seconds", ind.path.figures.kernel_available ? Number(ind.path.figures.kernel_per_block_seconds) : json(nullptr)},
                                            {"few", ind.path.few_available ? FewFiguresJson(ind.path.few) : json(nullptr)}}
                                     : json(nullptr)},
                        {"extra_cycles_per_blocked_return", ind.available && ind.method == IndirectMethod::kPmu ? Number(ind.extra_cycles_per_blocked_return) : json(nullptr)},
                        {"cycles_per_second", ind.available && ind.method == IndirectMethod::kPmu ? Number(ind.cycles_per_second) : json(nullptr)},
                        {"kernel_cpu_seconds", ind.available && ind.method == IndirectMethod::kPmu ? Number(ind.kernel_cpu_seconds) : json(nullptr)},
                        {"software_standins", ind.software_standins}}},
      {"top_costs", top},
      {"verdict", VerdictToJson(v)},
  };
}

}  // namespace

json VerdictToJson(const Verdict& v) {
  json reasons = json::array();
  for (const std::string& r : v.reasons) reasons.push_back(r);
  return json{
      {"level", VerdictLevelName(v.level)},
      {"level_value", static_cast<int>(v.level)},
      {"confidence", ConfidenceName(v.confidence)},
      {"overhead_share", Optional(v.overhead_share)},
      {"overhead_share_ci", IntervalJson(v.overhead_share_ci)},
      {"direct_cpu_seconds", Number(v.direct_cpu_seconds)},
      {"indirect_cpu_seconds", Optional(v.indirect_cpu_seconds)},
      {"async_cost_cpu_seconds", Number(v.async_cost_cpu_seconds)},
      {"async_cost_source", AsyncCostSourceName(v.async_cost.source)},
      {"async_cost_per_call_seconds", v.async_cost.known ? Number(v.async_cost.per_op_seconds) : json(nullptr)},
      {"async_cost_detail", v.async_cost.detail},
      {"async_cost_idle_share", Number(v.async_cost.idle_share)},
      {"async_cost_refill_seconds", Number(v.async_cost.refill_seconds)},
      {"async_cost_loop_sleep_cpu_seconds", Number(v.async_cost.loop_sleep_cpu_seconds)},
      {"estimated_saving_share", Optional(v.estimated_saving_share)},
      {"estimated_saving_share_ci", IntervalJson(v.estimated_saving_share_ci)},
      {"saving_model_error_share", json::array({Number(v.model_error.below), Number(v.model_error.above)})},
      {"estimated_saving_cpu_seconds",
       v.estimated_saving_share ? Number(v.estimated_saving_cpu_seconds) : json(nullptr)},
      {"runqueue_wait_p99_seconds", Optional(v.runqueue_wait_p99_seconds)},
      {"blocked_io_calls", v.blocked_io_calls},
      {"handoffs_per_second", Number(v.window_seconds > 0 ? static_cast<double>(v.breakdown.handoffs) / v.window_seconds : 0)},
      {"queue_handoffs_per_second",
       Number(v.window_seconds > 0 ? static_cast<double>(v.breakdown.queue_handoffs) / v.window_seconds : 0)},
      {"rearms_per_second",
       Number(v.window_seconds > 0 ? static_cast<double>(v.breakdown.rearm_calls) / v.window_seconds : 0)},
      {"handoff_cost_seconds",
       v.breakdown.handoffs > 0 ? Number(v.breakdown.handoff_cpu_seconds / static_cast<double>(v.breakdown.handoffs))
                                : json(nullptr)},
      {"handoff_cpu_seconds", Number(v.breakdown.handoff_cpu_seconds)},
      {"handoff_futex_cpu_seconds", Number(v.breakdown.handoff_futex_cpu_seconds)},
      {"handoff_sleep_cpu_seconds", Number(v.breakdown.handoff_sleep_cpu_seconds)},
      {"rearm_cpu_seconds", Number(v.breakdown.rearm_cpu_seconds)},
      {"lock_waits_blocked_per_second",
       Number(v.window_seconds > 0 ? static_cast<double>(v.breakdown.lock_waits_blocked) / v.window_seconds : 0)},
      {"major_faults_per_second",
       v.breakdown.major_faults_known && v.window_seconds > 0
           ? Number(static_cast<double>(v.breakdown.major_faults) / v.window_seconds)
           : json(nullptr)},
      {"blocked_io_calls_per_second", Number(v.blocked_io_calls_per_second)},
      {"direct_cost_per_blocked_call_seconds",
       v.blocked_io_calls > 0 ? Number(v.direct_per_blocked_call_seconds) : json(nullptr)},
      {"subwindows", v.subwindows},
      {"summary", v.summary},
      {"reasons", reasons},
  };
}

json ReportToJson(const Report& report) {
  json targets = json::array();
  for (const TargetReport& t : report.targets) targets.push_back(TargetJson(t));
  const CalibrationInfo& c = report.calibration;
  return json{
      {"schema_version", kReportSchemaVersion},
      {"tool", std::string("iotax ") + kIotaxVersion},
      {"generated_at", report.generated_at},
      {"pmu", json{{"up", report.pmu.up},
                   {"reason", report.pmu.up ? "ok" : report.pmu.reason},
                   {"software_standins", report.pmu.software_standins}}},
      {"sampling", json{{"fraction", report.sampling.fraction},
                        {"period_seconds", report.sampling.active() ? json(report.sampling.period_ns / 1e9)
                                                                    : json(nullptr)}}},
      {"calibration", json{{"used", c.used},
                           {"path", c.used ? json(c.path) : json(nullptr)},
                           {"created_at", c.used ? json(c.created_at) : json(nullptr)},
                           {"machine_key", c.used ? json(c.machine_key) : json(nullptr)},
                           {"note", c.note},
                           {"rejected", c.rejected.empty() ? json(nullptr) : json(c.rejected)}}},
      {"targets", targets},
  };
}

std::string ReportJsonText(const Report& report) { return ReportToJson(report).dump(2) + "\n"; }

}  // namespace iotax
