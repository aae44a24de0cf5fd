// Synthetic snapshots of a server with known truth: every per-request cost
// is a parameter, so the model's outputs can be checked against exact
// values. Cumulative AgentSnapshots, one per step, as the tracer would give.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "snapshot.h"
#include "target_window.h"

namespace iotax::testing {

struct Workload {
  int pid = 4242;
  std::string comm = "server";
  double requests_per_second = 20000;
  // Costs per request, seconds of CPU.
  double user_per_request = 1.5e-6;
  double read_nonblocked_cpu = 1.5e-6;  // a read that found data
  double read_blocked_extra = 3.0e-6;   // what blocking adds to a read (the truth of tier 2)
  double blocked_fraction = 0.95;       // of reads
  // The tracer's switch paths of blocked reads: half of the extra before
  // the switch-out, the other half and the read's own work after the
  // switch-in; every read moves 512 bytes. false: no paths recorded (tier 2
  // has only the baseline).
  bool switch_paths = true;
  double write_cpu = 5.0e-6;
  // Event loop instead of blocking reads: io_uring_enter calls per request,
  // a share of which sleep (cost per call, seconds).
  bool event_loop = false;
  double event_calls_per_request = 0.8;
  double event_blocked_fraction = 0.3;
  double event_call_cpu = 8.0e-6;
  // Blocked futex waits per request, 2 µs of CPU each; the share of them
  // that are queue waits (condition variables) woken by the process's own
  // wake calls (1 µs each): thread hand-offs. The rest are contended locks.
  double futex_blocked_per_request = 0;
  double futex_queue_share = 0;
  // epoll_ctl calls per request by threads that never wait in epoll (class
  // poll_rearm), 0.5 µs of CPU each: a pool's workers re-arming a one-shot
  // descriptor for the dispatcher.
  double rearms_per_request = 0;
  // epoll_ctl calls per request by the thread that waits in epoll (class
  // poll_ctl), 0.7 µs each: an event loop's own, e.g. asking for write space.
  double loop_epoll_ctl_per_request = 0;
  // Blocked epoll waits per request of a dispatcher that hands ready
  // connections to workers (class poll, 6 µs of CPU each, 3 descriptors
  // ready per wake: an event loop's waits, not a blocking design's).
  double dispatcher_sleeps_per_request = 0;
  int threads = 101;
  int cpus = 1;
  // Run-queue waits: one per request of this many nanoseconds (0: none).
  uint64_t runqueue_wait_ns = 0;
  // Relative jitter of each step's request count (0: exact).
  double noise = 0;
  // Relative jitter of each step's blocked-call extra cost around
  // read_blocked_extra (its expectation, the truth).
  double blocked_extra_jitter = 0;
  // Tier 3: user segments after blocked and non-blocked syscalls with these
  // realized losses (cycles), steady-state IPC, at this clock.
  bool pmu = false;
  double loss_after_blocked = 0;
  double loss_after_syscall = 0;
  double steady_ipc = 2.0;
  double cycles_per_second = 2.0e9;
  // Kernel CPU the tracer does not see, per request; negative: the kernel's
  // figure is not read (kernel_cpu_ns stays 0).
  double untraced_per_request = -1;
  // The tracer's own time (bpf_stats): its sched_switch program takes this
  // many ns a run (every run concerns the target), and each blocked read is
  // switched back in this many times. 0 ns: bpf_stats off (no run stats).
  double switch_run_ns = 0;
  double switch_ins_per_block = 1.0;
  // The indirect part without a PMU: user segments between a read and the
  // write after it, user_per_request long after a non-blocked read and this
  // much longer after a blocked one (also added to the user time).
  bool user_paths = false;
  double user_after_blocked_extra = 0;
};

// Exact quantities of the workload over `seconds` at the nominal rate.
inline double TruthCpuPerRequest(const Workload& w) {
  if (w.event_loop) return w.user_per_request + w.event_calls_per_request * w.event_call_cpu;
  return w.user_per_request + w.read_nonblocked_cpu + w.blocked_fraction * w.read_blocked_extra + w.write_cpu;
}
inline double TruthOverheadShare(const Workload& w) {
  if (w.event_loop) return 0;
  return w.blocked_fraction * w.read_blocked_extra / TruthCpuPerRequest(w);
}

inline void AddSegments(PmuTargetStats& pmu, SegmentLabel label, uint64_t count, double loss, double ipc) {
  // Equal numbers of segments of 2^10 .. 2^15 instructions (six buckets),
  // each taking n / ipc + loss cycles.
  for (int k = 10; k <= 15; ++k) {
    const uint64_t n = count / 6;
    const double instructions = std::ldexp(1.0, k);
    SegmentBucket& b = pmu.segments[static_cast<int>(label)][k];
    b.segments += n;
    b.instructions += static_cast<uint64_t>(instructions) * n;
    b.cycles += static_cast<uint64_t>(std::llround((instructions / ipc + loss) * static_cast<double>(n)));
  }
}

// `steps` steps of `step_seconds` each: steps + 1 cumulative snapshots.
inline std::vector<AgentSnapshot> MakeSnapshots(const Workload& w, int steps, double step_seconds = 1.0,
                                                uint32_t seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> jitter(0.0, 1.0);
  std::vector<AgentSnapshot> out;
  TargetSnapshot t;
  t.pid = w.pid;
  t.comm = w.comm;
  t.up = true;
  t.threads_alive = w.threads;
  t.attached_at_ns = 1'000'000'000;
  uint64_t now = 10'000'000'000;
  uint64_t untraced_ns = 0;
  if (w.untraced_per_request >= 0) t.kernel_cpu_ns = 1;
  ProbeStatus switch_probe;
  switch_probe.name = "sched_switch";
  switch_probe.up = true;
  switch_probe.run_stats_valid = w.switch_run_ns > 0;
  auto push = [&] {
    AgentSnapshot s;
    s.monotonic_ns = now;
    s.targets.push_back(t);
    s.probes.push_back(switch_probe);
    s.pmu.up = w.pmu;
    s.pmu.reason = w.pmu ? "" : "vm_without_pmu";
    out.push_back(s);
  };
  push();
  auto ns = [](double seconds) { return static_cast<uint64_t>(std::llround(seconds * 1e9)); };
  for (int i = 0; i < steps; ++i) {
    const double factor = std::max(0.0, 1.0 + w.noise * jitter(rng));
    const double requests = std::round(w.requests_per_second * step_seconds * factor);
    const double extra = w.read_blocked_extra * (1.0 + w.blocked_extra_jitter * jitter(rng));
    TargetStats& s = t.stats;
    const double user = requests * w.user_per_request;
    s.user_ns += ns(user);
    if (w.event_loop) {
      const uint64_t calls = static_cast<uint64_t>(std::llround(requests * w.event_calls_per_request));
      const uint64_t blocked = static_cast<uint64_t>(std::llround(calls * w.event_blocked_fraction));
      ClassStats& cs = s.classes[static_cast<int>(SyscallClass::kIoUring)];
      cs.calls += calls;
      cs.blocked_calls += blocked;
      cs.oncpu_ns += ns(calls * w.event_call_cpu);
      cs.blocked_oncpu_ns += ns(blocked * w.event_call_cpu);
      s.syscall_ns += ns(calls * w.event_call_cpu);
      s.offcpu_ns[static_cast<int>(OffCpuReason::kEventWait)] += ns(blocked * 100e-6);
      s.voluntary_switches += blocked;
      s.wakeups += blocked;
    } else {
      const uint64_t reads = static_cast<uint64_t>(requests);
      const uint64_t blocked = static_cast<uint64_t>(std::llround(requests * w.blocked_fraction));
      ClassStats& r = s.classes[static_cast<int>(SyscallClass::kNetRead)];
      r.calls += reads;
      r.blocked_calls += blocked;
      const double read_cpu = reads * w.read_nonblocked_cpu + blocked * extra;
      r.oncpu_ns += ns(read_cpu);
      r.blocked_oncpu_ns += ns(blocked * (w.read_nonblocked_cpu + extra));
      if (w.switch_paths) {
        r.sleep_path_ns += ns(blocked * extra / 2);
        r.resume_path_ns += ns(blocked * (w.read_nonblocked_cpu + extra / 2));
      }
      r.blocked_bytes += 512 * blocked;
      if (w.switch_run_ns > 0) {
        const uint64_t ins = static_cast<uint64_t>(std::llround(blocked * w.switch_ins_per_block));
        r.blocked_switch_ins += ins;
        switch_probe.run_count += ins;
        switch_probe.events += ins;
        switch_probe.run_time_ns += static_cast<uint64_t>(std::llround(ins * w.switch_run_ns));
      }
      if (w.user_paths && !w.pmu) {
        PathSegments& after_blocked = s.path_segments[0][1][1];  // net_read then net_write
        PathSegments& after_plain = s.path_segments[0][1][0];
        const double nb = w.user_per_request * 1e9, bl = nb + w.user_after_blocked_extra * 1e9;
        after_blocked.segments += blocked;
        after_blocked.ns += static_cast<uint64_t>(std::llround(blocked * bl));
        after_blocked.sq_16ns += static_cast<uint64_t>(std::llround(blocked * (bl / 16) * (bl / 16)));
        after_plain.segments += reads - blocked;
        after_plain.ns += static_cast<uint64_t>(std::llround((reads - blocked) * nb));
        after_plain.sq_16ns += static_cast<uint64_t>(std::llround((reads - blocked) * (nb / 16) * (nb / 16)));
        s.user_ns += ns(blocked * w.user_after_blocked_extra);
      }
      r.nonblocked_bytes += 512 * (reads - blocked);
      ClassStats& wr = s.classes[static_cast<int>(SyscallClass::kNetWrite)];
      wr.calls += reads;
      wr.oncpu_ns += ns(reads * w.write_cpu);
      s.syscall_ns += ns(read_cpu + reads * w.write_cpu);
      s.offcpu_ns[static_cast<int>(OffCpuReason::kIo)] += ns(blocked * 2e-3);
      s.voluntary_switches += blocked;
      s.wakeups += blocked;
      s.syscalls[0] += reads;
      s.syscalls[1] += reads;
      if (w.pmu) {
        AddSegments(t.pmu, SegmentLabel::kAfterBlockedSyscall, blocked, w.loss_after_blocked, w.steady_ipc);
        AddSegments(t.pmu, SegmentLabel::kAfterSyscall, 2 * reads - blocked, w.loss_after_syscall, w.steady_ipc);
      }
    }
    // `n` calls of class `c` at `each` seconds of CPU, all blocked or none.
    const auto add_calls = [&](SyscallClass c, uint64_t n, double each, bool blocked) {
      ClassStats& cs = s.classes[static_cast<int>(c)];
      cs.calls += n;
      cs.oncpu_ns += ns(n * each);
      if (blocked) {
        cs.blocked_calls += n;
        cs.blocked_oncpu_ns += ns(n * each);
      }
      s.syscall_ns += ns(n * each);
    };
    const auto per_request = [&](double rate) { return static_cast<uint64_t>(std::llround(requests * rate)); };
    if (w.futex_blocked_per_request > 0) {
      const uint64_t f = per_request(w.futex_blocked_per_request);
      add_calls(SyscallClass::kFutex, f, 2e-6, true);
      const uint64_t q = static_cast<uint64_t>(std::llround(static_cast<double>(f) * w.futex_queue_share));
      s.futex.queue_blocked += q;
      s.futex.queue_blocked_oncpu_ns += ns(q * 2e-6);
      s.futex.woken += q;  // one wake call per waiter
      s.futex.wake_calls += q;
      s.futex.wake_oncpu_ns += ns(q * 1e-6);
      add_calls(SyscallClass::kFutex, q, 1e-6, false);
    }
    add_calls(SyscallClass::kPollRearm, per_request(w.rearms_per_request), 0.5e-6, false);
    if (w.dispatcher_sleeps_per_request > 0) {
      const uint64_t d = per_request(w.dispatcher_sleeps_per_request);
      add_calls(SyscallClass::kPoll, d, 6e-6, true);
      s.waits.blocked_waits += d;
      s.waits.ready += 3 * d;
      s.offcpu_ns[static_cast<int>(OffCpuReason::kEventWait)] += ns(d * 20e-6);
      s.voluntary_switches += d;
      s.wakeups += d;
    }
    add_calls(SyscallClass::kPollCtl, per_request(w.loop_epoll_ctl_per_request), 0.7e-6, false);
    if (w.runqueue_wait_ns > 0) {
      const uint64_t waits = static_cast<uint64_t>(requests);
      int bucket = 0;
      while ((uint64_t{1} << bucket) < w.runqueue_wait_ns) ++bucket;
      s.runq_wakeup_hist[bucket] += waits;
      s.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueueWakeup)] += waits * w.runqueue_wait_ns;
    }
    if (w.pmu) {
      uint64_t instructions = 0, cycles = 0;
      for (const auto& h : t.pmu.segments) {
        for (const auto& b : h) {
          instructions += b.instructions;
          cycles += b.cycles;
        }
      }
      t.pmu.user_instructions = instructions;
      t.pmu.user_cycles = cycles;
      // User time consistent with the clock: cycles / cycles_per_second.
      s.user_ns = static_cast<uint64_t>(std::llround(static_cast<double>(cycles) / w.cycles_per_second * 1e9));
    }
    if (w.untraced_per_request >= 0) {
      untraced_ns += ns(requests * w.untraced_per_request);
      t.kernel_cpu_ns = s.user_ns + s.syscall_ns + s.io_worker_ns + untraced_ns;
    }
    now += ns(step_seconds);
    push();
  }
  return out;
}

inline std::vector<const AgentSnapshot*> Pointers(const std::vector<AgentSnapshot>& snapshots) {
  std::vector<const AgentSnapshot*> out;
  for (const AgentSnapshot& s : snapshots) out.push_back(&s);
  return out;
}

// One window of `seconds` in which class `cls` had `blocked` calls that
// blocked (switch paths: 2 µs to switch out, 3 µs back, nothing else) and
// `nonblocked` calls of 1 µs, with 20 µs of user work per blocked call;
// `threads` threads holding as many sockets (one connection each).
inline TargetWindow OneClassWindow(SyscallClass cls, uint64_t blocked, uint64_t nonblocked, double seconds,
                                   int threads) {
  TargetWindow w;
  w.pid = 9;
  w.up = true;
  w.seconds = seconds;
  w.threads_alive = threads;
  w.sockets_open = threads;
  ClassStats& c = w.stats.classes[static_cast<int>(cls)];
  c.calls = blocked + nonblocked;
  c.blocked_calls = blocked;
  c.sleep_path_ns = blocked * 2000;
  c.resume_path_ns = blocked * 3000;
  c.blocked_oncpu_ns = blocked * 5000;
  c.oncpu_ns = c.blocked_oncpu_ns + nonblocked * 1000;
  w.stats.syscall_ns = c.oncpu_ns;
  w.stats.user_ns = blocked * 20000;
  return w;
}

}  // namespace iotax::testing
