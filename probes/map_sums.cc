#include "map_sums.h"

namespace iotax {

// The C++ mirror must match the BPF layout it is filled from.
static_assert(kNumClasses == IOTAX_NCLASS);
static_assert(kNumOffCpuReasons == IOTAX_NOFF);
static_assert(kNumDropReasons == IOTAX_NDROP);
static_assert(kHistBuckets == IOTAX_HIST_BUCKETS);
static_assert(kMaxSyscallNr == IOTAX_MAX_SYSCALL_NR);
static_assert(kNumCpuModes == IOTAX_NMODES);
static_assert(kNumPathClasses == IOTAX_PATH_CLASSES);

namespace {

template <size_t N>
void AddArray(std::array<uint64_t, N>& to, const __u64 (&from)[N]) {
  for (size_t i = 0; i < N; ++i) to[i] += from[i];
}

}  // namespace

TargetStats SumTargetStats(const iotax_target_stats* per_cpu, size_t ncpus) {
  TargetStats t;
  for (size_t cpu = 0; cpu < ncpus; ++cpu) {
    const iotax_target_stats& s = per_cpu[cpu];
    t.user_ns += s.user_ns;
    t.syscall_ns += s.syscall_ns;
    t.io_worker_ns += s.io_worker_ns;
    t.sched_ns += s.sched_ns;
    t.resumed_extra_ns += s.resumed_extra_ns;
    t.overcount_ns += s.overcount_ns;
    AddArray(t.offcpu_ns, s.offcpu_ns);
    AddArray(t.runq_preempted_hist, s.runq_hist[0]);
    AddArray(t.runq_wakeup_hist, s.runq_hist[1]);
    t.voluntary_switches += s.voluntary_switches;
    t.involuntary_switches += s.involuntary_switches;
    t.wakeups += s.wakeups;
    t.threads_created += s.threads_created;
    t.threads_exited += s.threads_exited;
    t.children_followed += s.children_followed;
    t.processes_exited += s.processes_exited;
    for (int c = 0; c < kNumClasses; ++c) {
      ClassStats& to = t.classes[c];
      const iotax_class_stats& from = s.cls[c];
      to.calls += from.calls;
      to.blocked_calls += from.blocked_calls;
      to.wall_ns += from.wall_ns;
      to.oncpu_ns += from.oncpu_ns;
      to.blocked_oncpu_ns += from.blocked_oncpu_ns;
      to.sleep_path_ns += from.sleep_path_ns;
      to.resume_path_ns += from.resume_path_ns;
      to.blocked_bytes += from.blocked_bytes;
      to.nonblocked_bytes += from.nonblocked_bytes;
      to.blocked_switch_ins += from.blocked_switch_ins;
      AddArray(to.wall_hist, from.wall_hist);
    }
    t.futex.queue_blocked += s.futex.queue_blocked;
    t.futex.queue_blocked_oncpu_ns += s.futex.queue_blocked_oncpu_ns;
    t.futex.woken += s.futex.woken;
    t.futex.wake_calls += s.futex.wake_calls;
    t.futex.wake_oncpu_ns += s.futex.wake_oncpu_ns;
    t.waits.blocked_waits += s.waits.blocked_waits;
    t.waits.ready += s.waits.ready;
    t.waits.watched_waits += s.waits.watched_waits;
    t.waits.watched += s.waits.watched;
    for (int a = 0; a < kNumPathClasses; ++a) {
      for (int b = 0; b < kNumPathClasses; ++b) {
        for (int k = 0; k < 2; ++k) {
          PathSegments& to = t.path_segments[a][b][k];
          const iotax_path_seg& from = s.path_seg[a][b][k];
          to.segments += from.segments;
          to.ns += from.ns;
          to.sq_16ns += from.sq_16ns;
          to.calls += from.calls;
          to.call_ns += from.call_ns;
          to.call_sq_16ns += from.call_sq_16ns;
        }
      }
    }
    AddArray(t.syscalls, s.syscalls);
  }
  return t;
}

SelfCounters SumSelfStats(const iotax_self_stats* per_cpu, size_t ncpus) {
  SelfCounters c;
  for (size_t cpu = 0; cpu < ncpus; ++cpu) {
    AddArray(c.events, per_cpu[cpu].events);
    AddArray(c.dropped, per_cpu[cpu].dropped);
  }
  return c;
}

}  // namespace iotax
