#include "blocking_model.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "ipc_analyzer.h"
#include "recovery_curve.h"

namespace iotax {
namespace {

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

// Realized cycles lost per segment relative to `steady_ipc`: what the
// segments of one label took beyond steady-state IPC, on average.
std::optional<double> RealizedLoss(const SegmentHistogram& h, double steady_ipc) {
  double instructions = 0, cycles = 0, segments = 0;
  for (const SegmentBucket& b : h) {
    instructions += static_cast<double>(b.instructions);
    cycles += static_cast<double>(b.cycles);
    segments += static_cast<double>(b.segments);
  }
  if (segments <= 0 || steady_ipc <= 0) return std::nullopt;
  return (cycles - instructions / steady_ipc) / segments;
}

// Without a PMU: the user-time difference on one path, per blocked IO call.
// A blocking design's poll waits (one connection per thread) are blocked IO
// calls, so the paths they start count as a read's do (`poll_is_io`).
IndirectCost IndirectFromTime(const TargetWindow& w, const PmuStatus& pmu, uint64_t blocked_io_calls, bool poll_is_io) {
  IndirectCost cost;
  cost.method = IndirectMethod::kUserTime;
  cost.path = EstimateIndirectFromTime(w.stats.path_segments, poll_is_io);
  // Where nearly every read blocks, the few that did not are the baseline:
  // judged against leaving the part out in model-error §13.
  cost.small_baseline = !cost.path.available && cost.path.few_available;
  if (!cost.path.available && !cost.small_baseline) {
    if (blocked_io_calls == 0) {
      cost.available = true;  // nothing blocked: nothing to charge
      return cost;
    }
    cost.missing_reason = absl::StrCat(cost.path.missing_reason, "; no PMU counters to measure it either (",
                                       pmu.reason.empty() ? "not available" : pmu.reason, ")");
    return cost;
  }
  cost.available = true;
  cost.blocked_returns = blocked_io_calls;
  const PathFigures& charged = cost.ChargedFigures();
  cost.per_block_seconds = std::max(0.0, charged.per_block_seconds);
  cost.per_block_se_seconds = charged.per_block_se_seconds;
  cost.cpu_seconds = cost.per_block_seconds * static_cast<double>(blocked_io_calls);
  return cost;
}

IndirectCost EstimateIndirect(const TargetWindow& w, const PmuStatus& pmu, uint64_t blocked_io_calls,
                              uint64_t blocked_calls_all, double user_seconds, bool poll_is_io) {
  if (!pmu.up) return IndirectFromTime(w, pmu, blocked_io_calls, poll_is_io);
  IndirectCost cost;
  cost.method = IndirectMethod::kPmu;
  cost.software_standins = pmu.software_standins;
  // A common steady state for both labels: the tail of all segments.
  const ipc::RecoveryCurve all = ipc::ReconstructCurve(ipc::MergeLabels(w.pmu));
  if (!all.steady_ok) {
    cost.missing_reason = absl::StrCat("too few user segments to find steady-state IPC (", all.note, ")");
    return cost;
  }
  const auto& blocked = w.pmu.segments[static_cast<int>(SegmentLabel::kAfterBlockedSyscall)];
  const auto& plain = w.pmu.segments[static_cast<int>(SegmentLabel::kAfterSyscall)];
  uint64_t blocked_returns = 0;
  for (const SegmentBucket& b : blocked) blocked_returns += b.segments;
  const std::optional<double> loss_blocked = RealizedLoss(blocked, all.steady_ipc);
  const std::optional<double> loss_plain = RealizedLoss(plain, all.steady_ipc);
  if (blocked_returns == 0 || !loss_blocked) {
    cost.available = true;  // nothing blocked: nothing to charge
    return cost;
  }
  if (user_seconds <= 0 || w.pmu.user_cycles == 0) {
    cost.missing_reason = "no user time measured: cycles cannot be turned into seconds";
    return cost;
  }
  cost.available = true;
  cost.blocked_returns = blocked_returns;
  // Returns after a non-blocked syscall are the baseline: the kernel entry
  // itself pollutes a little; blocking (a switch, another thread) adds more.
  cost.extra_cycles_per_blocked_return = std::max(0.0, *loss_blocked - loss_plain.value_or(0.0));
  cost.cycles_per_second = static_cast<double>(w.pmu.user_cycles) / user_seconds;
  // Only the share of blocked returns that came from IO calls is charged.
  const double io_fraction = blocked_calls_all > 0 ? std::min(1.0, static_cast<double>(blocked_io_calls) /
                                                                       static_cast<double>(blocked_calls_all))
                                                   : 0.0;
  cost.cpu_seconds = cost.extra_cycles_per_blocked_return * static_cast<double>(blocked_returns) * io_fraction /
                     cost.cycles_per_second;
  // The counters see user mode only: the call after the block, refilling in
  // the kernel, is timed on its path as without a PMU.
  cost.path = EstimateIndirectFromTime(w.stats.path_segments, poll_is_io);
  if (cost.path.figures.kernel_available) {
    cost.kernel_cpu_seconds =
        std::max(0.0, cost.path.figures.kernel_per_block_seconds) * static_cast<double>(blocked_io_calls);
    cost.cpu_seconds += cost.kernel_cpu_seconds;
  }
  return cost;
}

}  // namespace

bool IsIoClass(SyscallClass c) {
  switch (c) {
    case SyscallClass::kNetRead:
    case SyscallClass::kNetWrite:
    case SyscallClass::kFileRead:
    case SyscallClass::kFileWrite:
    case SyscallClass::kAcceptConnect: return true;
    default: return false;
  }
}

const char* IndirectMethodName(IndirectMethod m) {
  switch (m) {
    case IndirectMethod::kNone: return "none";
    case IndirectMethod::kPmu: return "pmu";
    case IndirectMethod::kUserTime: return "user_time";
  }
  return "none";
}

double BlockingBreakdown::TracerRemovedPerBlockedCall() const {
  const uint64_t calibrated = blocked_io_calls - uncalibrated_blocked_io_calls;
  return calibrated > 0 ? tracer_removed_cpu_seconds / static_cast<double>(calibrated) : 0.0;
}

bool IsEventWaitClass(SyscallClass c) { return c == SyscallClass::kPoll || c == SyscallClass::kIoUring; }

bool IsFileClass(SyscallClass c) { return c == SyscallClass::kFileRead || c == SyscallClass::kFileWrite; }

WaitJudgement JudgeWaits(const WaitStats& w, std::optional<double> sockets_per_thread) {
  WaitJudgement j;
  j.blocked_waits = w.blocked_waits;
  j.sockets_per_thread = sockets_per_thread;
  if (w.blocked_waits == 0) return j;
  const double ready = static_cast<double>(w.ready) / static_cast<double>(w.blocked_waits);
  j.ready_per_blocked_wait = ready;
  // The watched count speaks for the waits when most blocked ones were poll/ppoll.
  if (w.watched_waits > 0 && w.watched_waits * 2 >= w.blocked_waits) {
    j.watched_per_wait = static_cast<double>(w.watched) / static_cast<double>(w.watched_waits);
  }
  if (ready > kMaxReadyPerBlockingWait) {
    j.why = absl::StrFormat("its waits wake for %.1f ready descriptors per block: an event loop", ready);
  } else if (j.watched_per_wait) {
    j.blocking_design = *j.watched_per_wait <= kMaxWatchedPerBlockingWait;
    j.why = j.blocking_design
                ? absl::StrFormat("poll() on %.1f descriptors per wait, %.2f ready per block (one socket per thread or "
                                  "process): a blocking design, costed like a blocked read",
                                  *j.watched_per_wait, ready)
                : absl::StrFormat("its polls watch %.0f descriptors per wait: an event loop", *j.watched_per_wait);
  } else if (sockets_per_thread) {
    j.blocking_design = *sockets_per_thread <= kMaxSocketsPerBlockingThread;
    j.why = j.blocking_design
                ? absl::StrFormat("epoll or select with %.2f ready per block and %.1f open sockets per thread (one "
                                  "connection per thread or process): a blocking design, costed like a blocked read",
                                  ready, *sockets_per_thread)
                : absl::StrFormat("its epoll or select waits serve %.0f open sockets per thread: an event loop",
                                  *sockets_per_thread);
  } else {
    j.why = absl::StrFormat(
        "its epoll or select waits return %.2f ready per block, but how many connections a thread serves is unknown: "
        "taken as an event loop",
        ready);
  }
  return j;
}

const char* ClassNoun(SyscallClass c) {
  switch (c) {
    case SyscallClass::kNetRead: return "socket reads";
    case SyscallClass::kNetWrite: return "socket writes";
    case SyscallClass::kFileRead: return "file reads (and opens)";
    case SyscallClass::kFileWrite: return "file writes (and syncs)";
    case SyscallClass::kAcceptConnect: return "accepts and connects";
    case SyscallClass::kPoll: return "poll/epoll/select waits";
    case SyscallClass::kIoUring: return "io_uring_enter waits";
    case SyscallClass::kFutex: return "futex waits";
    case SyscallClass::kSleep: return "sleeps";
    case SyscallClass::kOther: return "other calls";
    case SyscallClass::kSync: return "pipe, eventfd, timerfd or signalfd reads and writes";
    case SyscallClass::kPollCtl: return "epoll_ctl calls";
    case SyscallClass::kPollRearm: return "epoll_ctl re-arms for another thread";
  }
  return "calls";
}

std::optional<double> Log2Quantile(const Log2Histogram& hist, double q) {
  uint64_t total = 0;
  for (uint64_t c : hist) total += c;
  if (total == 0) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  double cumulative = 0;
  for (int i = 0; i < kHistBuckets; ++i) {
    const double count = static_cast<double>(hist[i]);
    if (count == 0) continue;
    if (cumulative + count >= rank) {
      const double lower = i == 0 ? 0.0 : std::ldexp(1.0, i - 1);
      const double upper = std::ldexp(1.0, i);
      const double fraction = std::clamp((rank - cumulative) / count, 0.0, 1.0);
      return (lower + fraction * (upper - lower)) / 1e9;
    }
    cumulative += count;
  }
  return std::ldexp(1.0, kHistBuckets - 1) / 1e9;
}

double BlockingBreakdown::DirectPerBlockedCall() const {
  const uint64_t calibrated = blocked_io_calls - uncalibrated_blocked_io_calls;
  return calibrated > 0 ? direct_cpu_seconds / static_cast<double>(calibrated) : 0.0;
}

SyscallClass BlockingBreakdown::DominantIoClass() const {
  SyscallClass best = SyscallClass::kNetRead;
  uint64_t most = 0;
  for (int c = 0; c < kNumClasses; ++c) {
    if (CountsAsIo(static_cast<SyscallClass>(c)) && classes[c].blocked_calls > most) {
      most = classes[c].blocked_calls;
      best = static_cast<SyscallClass>(c);
    }
  }
  return best;
}

WaitJudgement JudgeWindowWaits(const TargetWindow& w) {
  std::optional<double> sockets_per_thread;
  if (w.sockets_open >= 0 && w.threads_alive > 0) {
    sockets_per_thread = static_cast<double>(w.sockets_open) / static_cast<double>(w.threads_alive);
  }
  return JudgeWaits(w.stats.waits, sockets_per_thread);
}

bool CountsAsIo(SyscallClass c, const WaitJudgement& waits) {
  return IsIoClass(c) || (c == SyscallClass::kPoll && waits.blocking_design);
}

bool BlockingBreakdown::CountsAsIo(SyscallClass c) const { return iotax::CountsAsIo(c, waits); }

BlockingBreakdown AnalyzeWindow(const TargetWindow& w, const PmuStatus& pmu, int cpus) {
  BlockingBreakdown b;
  const TargetStats& s = w.stats;
  b.seconds = w.seconds;
  b.user_seconds = Seconds(s.user_ns);
  b.syscall_seconds = Seconds(s.syscall_ns);
  b.io_worker_seconds = Seconds(s.io_worker_ns);
  b.sched_seconds = Seconds(s.sched_ns);
  b.traced_cpu_seconds = b.user_seconds + b.syscall_seconds + b.io_worker_seconds + b.sched_seconds;
  b.kernel_cpu_known = w.kernel_cpu_known;
  // The kernel's figure is in clock ticks (10 ms), so on a short window it can
  // fall a little below the tracer's: never go below what was traced.
  b.cpu_seconds = w.kernel_cpu_known ? std::max(Seconds(w.kernel_cpu_ns), b.traced_cpu_seconds) : b.traced_cpu_seconds;
  b.untraced_cpu_seconds = b.cpu_seconds - b.traced_cpu_seconds;
  b.major_faults_known = w.major_faults_known;
  b.major_faults = w.major_faults;
  for (int r = 0; r < kNumOffCpuReasons; ++r) b.offcpu_seconds[r] = Seconds(s.offcpu_ns[r]);
  b.voluntary_switches = s.voluntary_switches;
  b.involuntary_switches = s.involuntary_switches;

  b.waits = JudgeWindowWaits(w);
  if (b.waits.blocking_design) {
    // The kernel side files a poll-class sleep under event_wait by its
    // syscall; judged a blocking design, that sleep is a wait for one
    // connection's IO. Its share of event_wait is the poll class's time off
    // CPU (wall - on CPU); io_uring waits stay where they are.
    const ClassStats& poll = s.classes[static_cast<int>(SyscallClass::kPoll)];
    double& event_wait = b.offcpu_seconds[static_cast<int>(OffCpuReason::kEventWait)];
    const double moved = std::min(event_wait, Seconds(poll.wall_ns > poll.oncpu_ns ? poll.wall_ns - poll.oncpu_ns : 0));
    event_wait -= moved;
    b.offcpu_seconds[static_cast<int>(OffCpuReason::kIo)] += moved;
  }

  uint64_t blocked_all = 0;
  b.tracer_switch = SwitchRunCostOf(w.tracer);
  for (int c = 0; c < kNumClasses; ++c) {
    const SyscallClass cls = static_cast<SyscallClass>(c);
    const ClassStats& cs = s.classes[c];
    ClassCost& cc = b.classes[c];
    cc.calls = cs.calls;
    cc.blocked_calls = std::min(cs.blocked_calls, cs.calls);
    cc.cpu_seconds = Seconds(cs.oncpu_ns);
    cc.blocked_cpu_seconds = Seconds(std::min(cs.blocked_oncpu_ns, cs.oncpu_ns));
    cc.tier2 = ComputeTier2Cost(cs, b.tracer_switch);
    blocked_all += cc.blocked_calls;
    if (b.CountsAsIo(cls)) {
      b.blocked_io_calls += cc.blocked_calls;
      b.nonblocked_io_calls += cc.calls - cc.blocked_calls;
      b.nonblocked_io_cpu_seconds += cc.cpu_seconds - cc.blocked_cpu_seconds;
      if (cc.tier2.status == Tier2Status::kNotCalibrated) {
        b.uncalibrated_blocked_io_calls += cc.blocked_calls;
      } else if (cc.tier2.HasCost()) {
        b.direct_cpu_seconds += cc.tier2.direct_cost_seconds;
        b.tracer_removed_cpu_seconds += cc.tier2.tracer_seconds_per_block * static_cast<double>(cc.blocked_calls);
      }
    } else if (IsEventWaitClass(cls)) {
      b.event_wait_calls += cc.calls;
      b.event_wait_blocked_calls += cc.blocked_calls;
      b.event_wait_nonblocked_cpu_seconds += cc.cpu_seconds - cc.blocked_cpu_seconds;
    } else if (cls == SyscallClass::kFutex) {
      b.futex_blocked_calls += cc.blocked_calls;
    }
  }

  const FutexStats& f = s.futex;
  b.queue_handoffs = std::min(f.queue_blocked, f.woken);
  const ClassCost& rearm = b.classes[static_cast<int>(SyscallClass::kPollRearm)];
  // A request passes between threads at a queue wait that a sibling ended,
  // or at a re-arm for another thread's epoll: at saturation a pool's
  // workers never wait in its queue, yet each request is still re-armed.
  // Both can count the same request, so the larger of the two. Re-arms
  // count when they come with the requests (at least one per
  // kIoCallsPerRearm IO calls): an event loop's setup before its first wait
  // (or before tracing saw it wait) is a handful of calls, not a design.
  const uint64_t io_calls = b.blocked_io_calls + b.nonblocked_io_calls;
  const uint64_t rearms = rearm.calls * kIoCallsPerRearm >= io_calls ? rearm.calls : 0;
  b.handoffs = std::max(b.queue_handoffs, rearms);
  if (b.handoffs > 0) {
    // Measured, not per hand-off: most requests pass through the queue
    // without a blocked wait (a worker finds the next one waiting), yet each
    // still takes the queue's lock and re-arms its descriptor. An epoll_ctl
    // of a thread that waits in epoll itself is its own loop's, which an
    // event-loop design pays too: not counted.
    const ClassCost& fx = b.classes[static_cast<int>(SyscallClass::kFutex)];
    b.handoff_futex_calls = fx.calls;
    b.handoff_futex_cpu_seconds = fx.cpu_seconds;
    b.rearm_calls = rearms;
    b.rearm_cpu_seconds = rearms > 0 ? rearm.cpu_seconds : 0;
    // The thread that waits in epoll for the workers sleeps whenever they
    // hold every ready connection, busy or not; an event loop sleeps only
    // when it runs out of work (the async cost counts that). Up to one sleep
    // per hand-off, at the mean blocked wait's CPU. Not when the poll waits
    // already count as blocking IO (a blocking design's own waits).
    const SyscallClass poll_class = SyscallClass::kPoll;
    const ClassCost& poll = b.classes[static_cast<int>(poll_class)];
    if (!b.CountsAsIo(poll_class) && poll.blocked_calls > 0) {
      b.handoff_sleep_seconds = poll.blocked_cpu_seconds / static_cast<double>(poll.blocked_calls);
      b.handoff_sleeps = std::min(poll.blocked_calls, b.handoffs);
      b.handoff_sleep_cpu_seconds = static_cast<double>(b.handoff_sleeps) * b.handoff_sleep_seconds;
    }
    b.handoff_cpu_seconds = b.handoff_futex_cpu_seconds + b.rearm_cpu_seconds + b.handoff_sleep_cpu_seconds;
  }
  b.lock_waits_blocked = b.futex_blocked_calls > f.queue_blocked ? b.futex_blocked_calls - f.queue_blocked : 0;

  b.indirect = EstimateIndirect(w, pmu, b.blocked_io_calls, blocked_all, b.user_seconds, b.waits.blocking_design);

  LatencyFigures& l = b.latency;
  l.runqueue_wait_seconds = b.offcpu_seconds[static_cast<int>(OffCpuReason::kRunqueuePreempted)] +
                            b.offcpu_seconds[static_cast<int>(OffCpuReason::kRunqueueWakeup)];
  Log2Histogram both{};
  for (int i = 0; i < kHistBuckets; ++i) {
    both[i] = s.runq_preempted_hist[i] + s.runq_wakeup_hist[i];
    l.runqueue_waits += both[i];
  }
  l.runqueue_wait_p99_seconds = Log2Quantile(both, 0.99);
  l.wakeup_to_run_p99_seconds = Log2Quantile(s.runq_wakeup_hist, 0.99);
  uint64_t wakeup_waits = 0;
  for (uint64_t c : s.runq_wakeup_hist) wakeup_waits += c;
  if (wakeup_waits > 0) {
    l.wakeup_to_run_mean_seconds =
        b.offcpu_seconds[static_cast<int>(OffCpuReason::kRunqueueWakeup)] / static_cast<double>(wakeup_waits);
  }
  l.wakeups = s.wakeups;
  l.mean_threads_waiting = w.seconds > 0 ? l.runqueue_wait_seconds / w.seconds : 0.0;
  l.threads = w.threads_alive;
  l.cpus = cpus;
  return b;
}

}  // namespace iotax
