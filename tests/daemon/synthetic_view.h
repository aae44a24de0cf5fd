// Synthetic daemon views with distinct, hand-picked values, so tests can
// check that each one lands in the right series.
#pragma once

#include "daemon_view.h"

namespace iotax::testing {

inline void SetClass(TargetStats& s, SyscallClass c, uint64_t calls, uint64_t blocked, uint64_t wall_ns,
                     uint64_t oncpu_ns, uint64_t blocked_oncpu_ns) {
  ClassStats& cs = s.classes[static_cast<int>(c)];
  cs.calls = calls;
  cs.blocked_calls = blocked;
  cs.wall_ns = wall_ns;
  cs.oncpu_ns = oncpu_ns;
  cs.blocked_oncpu_ns = blocked_oncpu_ns;
}

// Target 100 "web" (running) and 200 "gone" (exited), two probes (one down),
// every drop reason, one --comm watch.
inline DaemonView MakeFullView() {
  DaemonView view;
  AgentSnapshot& snap = view.snapshot;
  snap.monotonic_ns = 5'000'000'000;

  TargetSnapshot web;
  web.pid = 100;
  web.comm = "web";
  web.up = true;
  web.threads_alive = 4;
  web.sockets_open = 5;
  web.major_faults = 21;
  TargetStats& s = web.stats;
  s.waits = {.blocked_waits = 8, .ready = 9, .watched_waits = 6, .watched = 6};
  s.user_ns = 1'500'000'000;
  s.syscall_ns = 250'000'000;
  s.io_worker_ns = 5'000'000;
  s.sched_ns = 2'000'000;
  for (int r = 0; r < kNumOffCpuReasons; ++r) s.offcpu_ns[r] = static_cast<uint64_t>(r + 1) * 100'000'000;
  s.runq_preempted_hist[12] = 3;
  s.runq_preempted_hist[20] = 2;
  s.runq_wakeup_hist[10] = 5;
  s.voluntary_switches = 11;
  s.involuntary_switches = 7;
  s.wakeups = 13;
  s.threads_created = 3;
  s.threads_exited = 1;
  s.children_followed = 2;
  // net_read: 10 calls, 4 blocked; blocked mean 17.5 us, non-blocked 5 us.
  SetClass(s, SyscallClass::kNetRead, 10, 4, 1'000'000, 100'000, 70'000);
  // Switch paths of its 4 blocked reads: 50 us before the switch-outs, 20 us
  // after; 6 non-blocked calls are too few to measure a read's own work, so
  // tier 2 prices a block at its sleep path, 12.5 us.
  s.classes[static_cast<int>(SyscallClass::kNetRead)].sleep_path_ns = 50'000;
  s.classes[static_cast<int>(SyscallClass::kNetRead)].resume_path_ns = 20'000;
  s.classes[static_cast<int>(SyscallClass::kNetRead)].wall_hist[12] = 6;
  s.classes[static_cast<int>(SyscallClass::kNetRead)].wall_hist[16] = 4;
  // sleep: every call blocked -> not calibrated.
  SetClass(s, SyscallClass::kSleep, 3, 3, 3'000'000'000, 30'000, 30'000);
  s.classes[static_cast<int>(SyscallClass::kSleep)].wall_hist[30] = 3;
  // file_read: nothing blocked -> cost exactly 0.
  SetClass(s, SyscallClass::kFileRead, 5, 0, 50'000, 40'000, 0);
  s.classes[static_cast<int>(SyscallClass::kFileRead)].wall_hist[14] = 5;
  snap.targets.push_back(web);

  TargetSnapshot gone;
  gone.pid = 200;
  gone.comm = "gone";
  gone.up = false;
  gone.threads_alive = 0;
  gone.stats.user_ns = 42'000'000;
  gone.stats.voluntary_switches = 9;
  SetClass(gone.stats, SyscallClass::kFutex, 8, 2, 80'000, 16'000, 8'000);
  gone.stats.classes[static_cast<int>(SyscallClass::kFutex)].sleep_path_ns = 6'000;  // 3 us a block
  gone.stats.classes[static_cast<int>(SyscallClass::kFutex)].wall_hist[13] = 8;
  snap.targets.push_back(gone);

  ProbeStatus enter;
  enter.name = "sys_enter";
  enter.up = true;
  enter.events = 1234;
  enter.run_stats_valid = true;
  enter.run_count = 5000;
  enter.run_time_ns = 2'500'000;
  ProbeStatus wakeup_new;
  wakeup_new.name = "sched_wakeup_new";
  wakeup_new.up = false;
  wakeup_new.error = "attach failed: tracepoint missing";
  snap.probes = {enter, wakeup_new};
  for (int r = 0; r < kNumDropReasons; ++r) snap.dropped[r] = static_cast<uint64_t>(r + 1) * 10;
  snap.sampling.fraction = 0.1;  // iotaxd --sample=10%: 1 s of every 10 s
  snap.sampling.period_ns = 10'000'000'000;
  snap.sampling.traced_ns = 4'000'000'000;
  snap.sampling.windows = 4;

  view.comm_watches = {{"web", 1, 2}};
  view.attach_failures = 1;
  view.snapshot_read_seconds = 0.002;
  return view;
}

}  // namespace iotax::testing
