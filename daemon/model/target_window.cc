#include "target_window.h"

#include <algorithm>

namespace iotax {
namespace {

uint64_t Minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

template <size_t N>
void MinusArray(std::array<uint64_t, N>& out, const std::array<uint64_t, N>& a, const std::array<uint64_t, N>& b) {
  for (size_t i = 0; i < N; ++i) out[i] = Minus(a[i], b[i]);
}

template <size_t N>
void PlusArray(std::array<uint64_t, N>& out, const std::array<uint64_t, N>& a, const std::array<uint64_t, N>& b) {
  for (size_t i = 0; i < N; ++i) out[i] = a[i] + b[i];
}

ClassStats MinusClass(const ClassStats& a, const ClassStats& b) {
  ClassStats c;
  c.calls = Minus(a.calls, b.calls);
  c.blocked_calls = Minus(a.blocked_calls, b.blocked_calls);
  c.wall_ns = Minus(a.wall_ns, b.wall_ns);
  c.oncpu_ns = Minus(a.oncpu_ns, b.oncpu_ns);
  c.blocked_oncpu_ns = Minus(a.blocked_oncpu_ns, b.blocked_oncpu_ns);
  c.sleep_path_ns = Minus(a.sleep_path_ns, b.sleep_path_ns);
  c.resume_path_ns = Minus(a.resume_path_ns, b.resume_path_ns);
  c.blocked_bytes = Minus(a.blocked_bytes, b.blocked_bytes);
  c.nonblocked_bytes = Minus(a.nonblocked_bytes, b.nonblocked_bytes);
  c.blocked_switch_ins = Minus(a.blocked_switch_ins, b.blocked_switch_ins);
  MinusArray(c.wall_hist, a.wall_hist, b.wall_hist);
  return c;
}

ClassStats PlusClass(const ClassStats& a, const ClassStats& b) {
  ClassStats c;
  c.calls = a.calls + b.calls;
  c.blocked_calls = a.blocked_calls + b.blocked_calls;
  c.wall_ns = a.wall_ns + b.wall_ns;
  c.oncpu_ns = a.oncpu_ns + b.oncpu_ns;
  c.blocked_oncpu_ns = a.blocked_oncpu_ns + b.blocked_oncpu_ns;
  c.sleep_path_ns = a.sleep_path_ns + b.sleep_path_ns;
  c.resume_path_ns = a.resume_path_ns + b.resume_path_ns;
  c.blocked_bytes = a.blocked_bytes + b.blocked_bytes;
  c.nonblocked_bytes = a.nonblocked_bytes + b.nonblocked_bytes;
  c.blocked_switch_ins = a.blocked_switch_ins + b.blocked_switch_ins;
  PlusArray(c.wall_hist, a.wall_hist, b.wall_hist);
  return c;
}

// Applies `op` (a - b or a + b) to every counter of two TargetStats.
template <typename Op, typename ClassOp>
TargetStats Combine2(const TargetStats& a, const TargetStats& b, Op op, ClassOp class_op) {
  TargetStats s;
  s.user_ns = op(a.user_ns, b.user_ns);
  s.syscall_ns = op(a.syscall_ns, b.syscall_ns);
  s.io_worker_ns = op(a.io_worker_ns, b.io_worker_ns);
  s.sched_ns = op(a.sched_ns, b.sched_ns);
  s.resumed_extra_ns = op(a.resumed_extra_ns, b.resumed_extra_ns);
  s.overcount_ns = op(a.overcount_ns, b.overcount_ns);
  for (int r = 0; r < kNumOffCpuReasons; ++r) s.offcpu_ns[r] = op(a.offcpu_ns[r], b.offcpu_ns[r]);
  for (int i = 0; i < kHistBuckets; ++i) {
    s.runq_preempted_hist[i] = op(a.runq_preempted_hist[i], b.runq_preempted_hist[i]);
    s.runq_wakeup_hist[i] = op(a.runq_wakeup_hist[i], b.runq_wakeup_hist[i]);
  }
  s.voluntary_switches = op(a.voluntary_switches, b.voluntary_switches);
  s.involuntary_switches = op(a.involuntary_switches, b.involuntary_switches);
  s.wakeups = op(a.wakeups, b.wakeups);
  s.threads_created = op(a.threads_created, b.threads_created);
  s.threads_exited = op(a.threads_exited, b.threads_exited);
  s.children_followed = op(a.children_followed, b.children_followed);
  s.processes_exited = op(a.processes_exited, b.processes_exited);
  for (int c = 0; c < kNumClasses; ++c) s.classes[c] = class_op(a.classes[c], b.classes[c]);
  s.futex = {op(a.futex.queue_blocked, b.futex.queue_blocked),
             op(a.futex.queue_blocked_oncpu_ns, b.futex.queue_blocked_oncpu_ns), op(a.futex.woken, b.futex.woken),
             op(a.futex.wake_calls, b.futex.wake_calls), op(a.futex.wake_oncpu_ns, b.futex.wake_oncpu_ns)};
  s.waits.blocked_waits = op(a.waits.blocked_waits, b.waits.blocked_waits);
  s.waits.ready = op(a.waits.ready, b.waits.ready);
  s.waits.watched_waits = op(a.waits.watched_waits, b.waits.watched_waits);
  s.waits.watched = op(a.waits.watched, b.waits.watched);
  for (int x = 0; x < kNumPathClasses; ++x) {
    for (int y = 0; y < kNumPathClasses; ++y) {
      for (int k = 0; k < 2; ++k) {
        const PathSegments& p = a.path_segments[x][y][k];
        const PathSegments& q = b.path_segments[x][y][k];
        s.path_segments[x][y][k] = {op(p.segments, q.segments), op(p.ns, q.ns),         op(p.sq_16ns, q.sq_16ns),
                                    op(p.calls, q.calls),       op(p.call_ns, q.call_ns), op(p.call_sq_16ns, q.call_sq_16ns)};
      }
    }
  }
  for (int n = 0; n < kMaxSyscallNr; ++n) s.syscalls[n] = op(a.syscalls[n], b.syscalls[n]);
  return s;
}

template <typename Op>
PmuTargetStats CombinePmu2(const PmuTargetStats& a, const PmuTargetStats& b, Op op) {
  PmuTargetStats p;
  p.user_instructions = op(a.user_instructions, b.user_instructions);
  p.user_cycles = op(a.user_cycles, b.user_cycles);
  p.segments_multiplexed = op(a.segments_multiplexed, b.segments_multiplexed);
  p.segments_lost = op(a.segments_lost, b.segments_lost);
  p.read_errors = op(a.read_errors, b.read_errors);
  for (int l = 0; l < kNumSegmentLabels; ++l) {
    for (int k = 0; k < kSegmentBuckets; ++k) {
      const SegmentBucket& x = a.segments[l][k];
      const SegmentBucket& y = b.segments[l][k];
      p.segments[l][k] = {op(x.segments, y.segments), op(x.instructions, y.instructions), op(x.cycles, y.cycles)};
    }
  }
  return p;
}

uint64_t Plus(uint64_t a, uint64_t b) { return a + b; }

}  // namespace

TargetStats SubtractStats(const TargetStats& end, const TargetStats& start) {
  return Combine2(end, start, Minus, MinusClass);
}

TargetStats AddStats(const TargetStats& a, const TargetStats& b) { return Combine2(a, b, Plus, PlusClass); }

PmuTargetStats SubtractPmu(const PmuTargetStats& end, const PmuTargetStats& start) {
  return CombinePmu2(end, start, Minus);
}

PmuTargetStats AddPmu(const PmuTargetStats& a, const PmuTargetStats& b) { return CombinePmu2(a, b, Plus); }

TargetWindow MakeWindow(const TargetSnapshot& start, uint64_t start_ns, const TargetSnapshot& end, uint64_t end_ns) {
  TargetWindow w;
  w.pid = end.pid;
  w.comm = end.comm;
  w.up = end.up;
  w.threads_alive = end.threads_alive;
  w.sockets_open = end.sockets_open;
  w.seconds = end_ns > start_ns ? static_cast<double>(end_ns - start_ns) / 1e9 : 0.0;
  w.stats = SubtractStats(end.stats, start.stats);
  w.pmu = SubtractPmu(end.pmu, start.pmu);
  w.kernel_cpu_known = start.kernel_cpu_ns > 0 && end.kernel_cpu_ns > 0;
  w.kernel_cpu_ns = w.kernel_cpu_known ? Minus(end.kernel_cpu_ns, start.kernel_cpu_ns) : 0;
  w.major_faults_known = start.major_faults.has_value() && end.major_faults.has_value();
  w.major_faults = w.major_faults_known ? Minus(*end.major_faults, *start.major_faults) : 0;
  return w;
}

TargetWindow Combine(const std::vector<TargetWindow>& windows) {
  TargetWindow total;
  total.kernel_cpu_known = !windows.empty();
  total.tracer.known = !windows.empty();
  total.major_faults_known = !windows.empty();
  for (const TargetWindow& w : windows) {
    total.major_faults_known = total.major_faults_known && w.major_faults_known;
    total.major_faults += w.major_faults;
    total.tracer = AddRuns(total.tracer, w.tracer);
    total.kernel_cpu_known = total.kernel_cpu_known && w.kernel_cpu_known;
    total.kernel_cpu_ns += w.kernel_cpu_ns;
    total.pid = w.pid;
    total.comm = w.comm;
    total.up = w.up;
    total.threads_alive = w.threads_alive;
    total.sockets_open = w.sockets_open;
    total.seconds += w.seconds;
    total.stats = AddStats(total.stats, w.stats);
    total.pmu = AddPmu(total.pmu, w.pmu);
  }
  if (!total.kernel_cpu_known) total.kernel_cpu_ns = 0;
  if (!total.major_faults_known) total.major_faults = 0;
  return total;
}

TargetWindow Without(const TargetWindow& total, const TargetWindow& part) {
  TargetWindow w = total;
  w.seconds = std::max(0.0, total.seconds - part.seconds);
  w.stats = SubtractStats(total.stats, part.stats);
  w.pmu = SubtractPmu(total.pmu, part.pmu);
  w.kernel_cpu_ns = Minus(total.kernel_cpu_ns, part.kernel_cpu_ns);
  w.major_faults = Minus(total.major_faults, part.major_faults);
  w.tracer = SubtractRuns(total.tracer, part.tracer);
  return w;
}

const TargetSnapshot* FindTarget(const AgentSnapshot& snapshot, int pid) {
  const TargetSnapshot* found = nullptr;
  for (const TargetSnapshot& t : snapshot.targets) {
    if (t.pid == pid) found = &t;
  }
  return found;
}

std::vector<TargetWindow> WindowsOf(const std::vector<const AgentSnapshot*>& snapshots, int pid) {
  std::vector<TargetWindow> out;
  const TargetSnapshot* previous = nullptr;
  const AgentSnapshot* previous_snap = nullptr;
  uint64_t previous_ns = 0;
  for (const AgentSnapshot* snap : snapshots) {
    const TargetSnapshot* t = FindTarget(*snap, pid);
    if (t == nullptr) {
      previous = nullptr;
      continue;
    }
    if (previous != nullptr && previous->attached_at_ns != t->attached_at_ns) {
      out.clear();  // a new process behind the same PID: only its windows count
      previous = nullptr;
    }
    if (previous != nullptr && snap->monotonic_ns > previous_ns) {
      out.push_back(MakeWindow(*previous, previous_ns, *t, snap->monotonic_ns));
      out.back().tracer = SubtractRuns(SwitchRunsOf(snap->probes), SwitchRunsOf(previous_snap->probes));
    }
    previous = t;
    previous_snap = snap;
    previous_ns = snap->monotonic_ns;
  }
  return out;
}

}  // namespace iotax
