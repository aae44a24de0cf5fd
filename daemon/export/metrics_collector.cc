#include "metrics_collector.h"

#include <set>
#include <string>
#include <utility>

#include "families.h"
#include "histogram_export.h"
#include "tier2_cost.h"

namespace iotax {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;
using prom::AddHistogram;
using prom::AddValue;
using prom::Family;
using prom::Labels;
using prom::With;

constexpr double kNsPerSecond = 1e9;

double Seconds(uint64_t ns) { return static_cast<double>(ns) / kNsPerSecond; }

// A service has no one PID: its pid label is empty, its comm its name.
Labels TargetLabels(const TargetSnapshot& t) {
  return {{"pid", t.service ? "" : std::to_string(t.pid)}, {"comm", t.comm}};
}

void AppendTargetFamilies(const std::vector<TargetSnapshot>& targets, std::vector<MetricFamily>& out) {
  auto up = Family("iotax_target_up", "1 while the traced process runs, 0 once it has exited (its other series keep their last values)", MetricType::Gauge);
  auto threads = Family("iotax_target_threads", "Threads of the target alive now (0 once it has exited)", MetricType::Gauge);
  auto created = Family("iotax_threads_created_total", "Threads the target created while traced", MetricType::Counter);
  auto exited = Family("iotax_threads_exited_total", "Threads of the target that exited while traced", MetricType::Counter);
  auto children = Family("iotax_children_followed_total", "Child processes forked by the target that joined its series (--follow-children)", MetricType::Counter);
  auto cpu = Family("iotax_cpu_seconds_total", "On-CPU time of the target by mode: user, syscall (kernel inside syscalls), io_worker (io_uring worker threads), sched (charged by the scheduler around preemptions); sums to the kernel's run time", MetricType::Counter);
  auto offcpu = Family("iotax_offcpu_seconds_total", "Off-CPU time of the target's threads by reason", MetricType::Counter);
  auto switches = Family("iotax_context_switches_total", "Context switches of the target's threads: voluntary (blocked) or involuntary (preempted)", MetricType::Counter);
  auto wakeups = Family("iotax_wakeups_total", "Wakeups of the target's threads", MetricType::Counter);
  auto calls = Family("iotax_syscalls_total", "Completed syscalls by class", MetricType::Counter);
  auto blocked = Family("iotax_syscalls_blocked_total", "Completed syscalls by class in which the thread blocked (switched out voluntarily)", MetricType::Counter);
  auto call_cpu = Family("iotax_syscall_cpu_seconds_total", "On-CPU time inside completed syscalls by class", MetricType::Counter);
  auto blocked_cpu = Family("iotax_syscall_blocked_cpu_seconds_total", "On-CPU time inside completed syscalls that blocked, by class", MetricType::Counter);
  auto futex_waits = Family("iotax_futex_queue_waits_blocked_total", "Futex queue waits (FUTEX_WAIT_BITSET: condition variables, semaphores) that blocked: a thread waiting for work another hands it", MetricType::Counter);
  auto futex_wait_cpu = Family("iotax_futex_queue_wait_cpu_seconds_total", "On-CPU time inside futex queue waits that blocked (entry, sleep and wakeup paths)", MetricType::Counter);
  auto futex_woken = Family("iotax_futex_woken_total", "Waiters woken by the target's own futex wake calls (their return values)", MetricType::Counter);
  auto duration = Family("iotax_syscall_duration_seconds", "Wall time of completed syscalls by class", MetricType::Histogram);
  auto runq = Family("iotax_runqueue_wait_seconds", "Time runnable threads waited for a CPU: after preemption or after a wakeup", MetricType::Histogram);
  auto direct = Family("iotax_blocking_direct_cpu_seconds", "Tier 2: estimated CPU spent because calls blocked, since attach: (mean on-CPU of blocked calls - mean of non-blocked calls) x blocked calls, clamped at 0; absent while not calibrated", MetricType::Gauge);
  auto waits_blocked = Family("iotax_waits_blocked_total", "poll/select/epoll_wait calls that blocked and returned (not interrupted): the waits whose ready and watched descriptors are counted", MetricType::Counter);
  auto waits_ready = Family("iotax_wait_ready_descriptors_total", "Descriptors returned ready by the blocked waits (their return values); over iotax_waits_blocked_total: ready per blocked wait", MetricType::Counter);
  auto waits_known = Family("iotax_waits_watched_known_total", "Blocked waits whose watched count is known (poll, ppoll; select's nfds and epoll's maxevents are no count)", MetricType::Counter);
  auto waits_watched = Family("iotax_wait_watched_descriptors_total", "Descriptors watched by the blocked waits with a known count; over iotax_waits_watched_known_total: watched per wait", MetricType::Counter);
  auto major_faults = Family("iotax_major_page_faults_total", "Major page faults of the target (/proc/PID/stat majflt; a service: its members' since the first read): reads of mapped files or swap that block a thread without a system call", MetricType::Counter);
  auto sockets = Family("iotax_target_sockets", "Socket descriptors the target holds open now (/proc/PID/fd, all members of a service); with iotax_target_threads, connections per thread", MetricType::Gauge);
  auto calibrated = Family("iotax_blocking_calibrated", "Tier 2: 1 when the class has a non-blocked baseline (or nothing blocked), 0 when every call blocked so the cost is unknown", MetricType::Gauge);

  // A PID reused by a process with the same name gets a new tracer slot but
  // would get the same labels; Prometheus rejects duplicate series, so only
  // the newest (last) slot with a given pid and comm is exported.
  std::set<std::pair<int, std::string>> seen;
  std::vector<const TargetSnapshot*> exported;
  for (auto it = targets.rbegin(); it != targets.rend(); ++it) {
    if (seen.insert({it->pid, it->comm}).second) exported.insert(exported.begin(), &*it);
  }
  for (const TargetSnapshot* target : exported) {
    const TargetSnapshot& t = *target;
    const Labels base = TargetLabels(t);
    const TargetStats& s = t.stats;
    AddValue(up, base, t.up ? 1 : 0);
    AddValue(threads, base, t.threads_alive);
    AddValue(created, base, static_cast<double>(s.threads_created));
    AddValue(exited, base, static_cast<double>(s.threads_exited));
    AddValue(children, base, static_cast<double>(s.children_followed));
    const uint64_t by_mode[kNumCpuModes] = {s.user_ns, s.syscall_ns, s.io_worker_ns, s.sched_ns};
    for (int m = 0; m < kNumCpuModes; ++m) {
      AddValue(cpu, With(base, "mode", std::string(kCpuModeNames[m])), Seconds(by_mode[m]));
    }
    for (int r = 0; r < kNumOffCpuReasons; ++r) {
      AddValue(offcpu, With(base, "reason", std::string(kOffCpuReasonNames[r])), Seconds(s.offcpu_ns[r]));
    }
    AddValue(switches, With(base, "kind", "voluntary"), static_cast<double>(s.voluntary_switches));
    AddValue(switches, With(base, "kind", "involuntary"), static_cast<double>(s.involuntary_switches));
    AddValue(wakeups, base, static_cast<double>(s.wakeups));
    AddValue(futex_waits, base, static_cast<double>(s.futex.queue_blocked));
    AddValue(futex_wait_cpu, base, Seconds(s.futex.queue_blocked_oncpu_ns));
    AddValue(futex_woken, base, static_cast<double>(s.futex.woken));
    AddValue(waits_blocked, base, static_cast<double>(s.waits.blocked_waits));
    AddValue(waits_ready, base, static_cast<double>(s.waits.ready));
    AddValue(waits_known, base, static_cast<double>(s.waits.watched_waits));
    AddValue(waits_watched, base, static_cast<double>(s.waits.watched));
    if (t.sockets_open >= 0) AddValue(sockets, base, t.sockets_open);
    if (t.major_faults) AddValue(major_faults, base, static_cast<double>(*t.major_faults));

    const auto costs = ComputeTier2Costs(s);
    for (int c = 0; c < kNumClasses; ++c) {
      const ClassStats& cs = s.classes[c];
      const Labels cl = With(base, "class", std::string(kClassNames[c]));
      AddValue(calls, cl, static_cast<double>(cs.calls));
      AddValue(blocked, cl, static_cast<double>(cs.blocked_calls));
      AddValue(call_cpu, cl, Seconds(cs.oncpu_ns));
      AddValue(blocked_cpu, cl, Seconds(cs.blocked_oncpu_ns));
      AddHistogram(duration, cl, ExportLog2Histogram(cs.wall_hist, cs.wall_ns));
      const Tier2Cost& cost = costs[c];
      if (cost.status == Tier2Status::kNoCalls) continue;
      AddValue(calibrated, cl, cost.HasCost() ? 1 : 0);
      if (cost.HasCost()) AddValue(direct, cl, cost.direct_cost_seconds);
    }
    AddHistogram(runq, With(base, "kind", "preempted"),
                 ExportLog2Histogram(s.runq_preempted_hist,
                                     s.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueuePreempted)]));
    AddHistogram(runq, With(base, "kind", "wakeup"),
                 ExportLog2Histogram(s.runq_wakeup_hist,
                                     s.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueueWakeup)]));
  }
  for (auto* f : {&up, &threads, &created, &exited, &children, &cpu, &offcpu, &switches, &wakeups,
                  &futex_waits, &futex_wait_cpu, &futex_woken, &waits_blocked, &waits_ready, &waits_known,
                  &waits_watched, &major_faults, &sockets, &calls, &blocked, &call_cpu, &blocked_cpu, &duration, &runq, &direct,
                  &calibrated}) {
    out.push_back(std::move(*f));
  }
}

void AppendAgentFamilies(const DaemonView& view, std::vector<MetricFamily>& out) {
  auto info = Family("iotax_agent_info", "Constant 1, labelled with the iotaxd version", MetricType::Gauge);
  AddValue(info, {{"version", kIotaxVersion}}, 1);

  auto probe_up = Family("iotax_probe_up", "1 when the BPF program (probe) is attached, 0 when it failed (iotaxd --check says why)", MetricType::Gauge);
  auto events = Family("iotax_bpf_events_total", "BPF program runs that concerned a target, by probe", MetricType::Counter);
  auto runs = Family("iotax_bpf_prog_runs_total", "All runs of the BPF program, from the kernel's run-time stats (only while kernel.bpf_stats_enabled is on)", MetricType::Counter);
  auto run_time = Family("iotax_bpf_prog_run_seconds_total", "Time spent running the BPF program, from the kernel's run-time stats (only while kernel.bpf_stats_enabled is on)", MetricType::Counter);
  bool stats_enabled = false;
  for (const ProbeStatus& p : view.snapshot.probes) {
    const Labels l = {{"probe", p.name}};
    AddValue(probe_up, l, p.up ? 1 : 0);
    AddValue(events, l, static_cast<double>(p.events));
    if (p.run_stats_valid) {
      stats_enabled = true;
      AddValue(runs, l, static_cast<double>(p.run_count));
      AddValue(run_time, l, Seconds(p.run_time_ns));
    }
  }
  auto stats = Family("iotax_bpf_stats_enabled", "1 when kernel.bpf_stats_enabled is on, so iotax_bpf_prog_run* series exist (iotaxd --bpf-stats turns it on)", MetricType::Gauge);
  AddValue(stats, {}, stats_enabled ? 1 : 0);

  auto dropped = Family("iotax_bpf_dropped_total", "Events that happened but could not be fully accounted, by reason", MetricType::Counter);
  for (int r = 0; r < kNumDropReasons; ++r) {
    AddValue(dropped, {{"reason", std::string(kDropReasonNames[r])}}, static_cast<double>(view.snapshot.dropped[r]));
  }

  auto watches = Family("iotax_comm_watch_targets", "Running traced processes found by --comm NAME (0 means iotaxd is waiting for one)", MetricType::Gauge);
  auto watch_attached = Family("iotax_comm_watch_attached_total", "Processes found by --comm NAME and attached since iotaxd started", MetricType::Counter);
  for (const CommWatchStatus& w : view.comm_watches) {
    AddValue(watches, {{"comm", w.comm}}, w.live_targets);
    AddValue(watch_attached, {{"comm", w.comm}}, static_cast<double>(w.processes_attached));
  }
  auto failures = Family("iotax_target_attach_failures_total", "Processes found by --comm that could not be traced (the log says why)", MetricType::Counter);
  AddValue(failures, {}, static_cast<double>(view.attach_failures));
  auto read_time = Family("iotax_snapshot_read_seconds", "How long reading the BPF maps took for this scrape", MetricType::Gauge);
  AddValue(read_time, {}, view.snapshot_read_seconds);

  const SamplingStatus& sampling = view.snapshot.sampling;
  auto fraction = Family("iotax_sample_fraction", "Share of the time syscalls, switches and wakeups are traced (iotaxd --sample); below 1 the targets' figures are estimates", MetricType::Gauge);
  AddValue(fraction, {}, sampling.fraction);
  auto traced = Family("iotax_sample_traced_seconds_total", "Time the per-event probes were attached, over completed sampling windows (only with --sample below 100%)", MetricType::Counter);
  auto windows = Family("iotax_sample_windows_total", "Sampling windows completed (only with --sample below 100%)", MetricType::Counter);
  if (sampling.active()) {
    AddValue(traced, {}, Seconds(sampling.traced_ns));
    AddValue(windows, {}, static_cast<double>(sampling.windows));
  }

  for (auto* f : {&info, &probe_up, &events, &runs, &run_time, &stats, &dropped, &watches, &watch_attached,
                  &failures, &read_time, &fraction, &traced, &windows}) {
    out.push_back(std::move(*f));
  }
}

}  // namespace

std::vector<MetricFamily> BuildMetricFamilies(const DaemonView& view) {
  std::vector<MetricFamily> out;
  AppendTargetFamilies(view.snapshot.targets, out);
  AppendAgentFamilies(view, out);
  // A family without samples (no targets yet, no run-time stats) would be a
  // bare HELP/TYPE pair: leave it out.
  std::erase_if(out, [](const MetricFamily& f) { return f.metric.empty(); });
  return out;
}

MetricsCollector::MetricsCollector(ViewSource source) : source_(std::move(source)) {}

std::vector<MetricFamily> MetricsCollector::Collect() const { return BuildMetricFamilies(source_()); }

}  // namespace iotax
