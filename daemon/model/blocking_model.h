// The measurements of one window, turned into the quantities the verdict is
// made of: where the process's CPU went, the direct cost of blocking IO
// (tier 2, per class), the indirect cost (tier 3, when a PMU counted), and
// the latency side (run-queue waits, threads against CPUs). Pure: a
// TargetWindow in, numbers out. The reasoning is in docs/methodology.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "indirect_time.h"
#include "snapshot.h"
#include "target_window.h"
#include "tier2_cost.h"

namespace iotax {

// Thread-blocking IO: the classes whose blocking an async design removes
// (a read, write, accept or connect that sleeps). Blocking in poll, epoll,
// select or io_uring_enter is how an event loop waits: already async, unless
// the wait itself is a blocking design (JudgeWaits).
bool IsIoClass(SyscallClass c);
bool IsEventWaitClass(SyscallClass c);
// File IO (regular files): its async alternative differs (see async_cost.h).
bool IsFileClass(SyscallClass c);

// A wait is judged by what it waits for: a poll-class wait that wakes for
// about one ready descriptor per block and watches a few, in a thread that
// serves one connection, blocks just as a read on that socket would.
inline constexpr double kMaxReadyPerBlockingWait = 1.5;
inline constexpr double kMaxWatchedPerBlockingWait = 4;
inline constexpr double kMaxSocketsPerBlockingThread = 2;  // its connection, perhaps a listener

// Re-arms for another thread's epoll (class poll_rearm) are hand-offs when
// there is at least one per this many IO calls: a pool re-arms once per
// request (a read and a write), a handed-over short connection once per
// connection; an event loop's setup before its first traced wait is a few.
inline constexpr uint64_t kIoCallsPerRearm = 20;

struct WaitJudgement {
  uint64_t blocked_waits = 0;
  std::optional<double> ready_per_blocked_wait;
  std::optional<double> watched_per_wait;      // poll/ppoll waits only (most of the blocked ones)
  std::optional<double> sockets_per_thread;    // open sockets over threads, when read from /proc
  bool blocking_design = false;
  std::string why;  // in words, e.g. "poll() on one socket per thread: a blocking design, costed like a blocked read"
};

// `sockets_per_thread` decides when the watched count is unknown (epoll, select).
WaitJudgement JudgeWaits(const WaitStats& waits, std::optional<double> sockets_per_thread);
// JudgeWaits over a window, with its open sockets over its threads when both were read.
WaitJudgement JudgeWindowWaits(const TargetWindow& window);
// An IO class, or the poll class when its waits are a blocking design.
bool CountsAsIo(SyscallClass c, const WaitJudgement& waits);

// What a blocked call of a class is in words, e.g. "socket reads".
const char* ClassNoun(SyscallClass c);

struct ClassCost {
  uint64_t calls = 0;
  uint64_t blocked_calls = 0;
  double cpu_seconds = 0;          // on-CPU inside the calls
  double blocked_cpu_seconds = 0;  // ... inside the calls that blocked
  Tier2Cost tier2;                 // direct cost of blocking for this class
};

// The indirect part: extra user time after a blocked call over a
// non-blocked one. With a PMU, from cycles (tier 3); without one, from the
// user segments' durations on one code path (indirect_time.h).
enum class IndirectMethod { kNone, kPmu, kUserTime };
const char* IndirectMethodName(IndirectMethod m);  // none, pmu, user_time

struct IndirectCost {
  bool available = false;
  IndirectMethod method = IndirectMethod::kNone;
  std::string missing_reason;           // why not, in words ("" when available)
  double cpu_seconds = 0;               // charged to blocking IO
  PathIndirect path;                    // kUserTime: the path compared, with counts
  double per_block_seconds = 0;         // kUserTime: charged per blocked IO call (>= 0)
  double per_block_se_seconds = 0;      // ... its standard error
  // kUserTime: the path had fewer than kMinPathSegments of a kind, so the
  // comparison on the few (path.few) was charged (model-error §13).
  bool small_baseline = false;
  // kUserTime: the comparison charged, the full one or the small baseline's.
  const PathFigures& ChargedFigures() const { return small_baseline ? path.few : path.figures; }
  double kernel_cpu_seconds = 0;        // kPmu: the kernel half timed on the path, in cpu_seconds
  double extra_cycles_per_blocked_return = 0;
  double cycles_per_second = 0;         // user cycles per second of user time (the clock)
  uint64_t blocked_returns = 0;         // segments after a blocked syscall
  bool software_standins = false;
};

struct LatencyFigures {
  double runqueue_wait_seconds = 0;  // thread-seconds runnable but waiting for a CPU
  uint64_t runqueue_waits = 0;
  std::optional<double> runqueue_wait_p99_seconds;  // both kinds; absent without waits
  std::optional<double> wakeup_to_run_p99_seconds;  // after a wakeup only
  std::optional<double> wakeup_to_run_mean_seconds;
  uint64_t wakeups = 0;
  double mean_threads_waiting = 0;   // runqueue_wait_seconds / window
  int threads = 0;                   // alive at the end of the window
  int cpus = 0;                      // CPUs the process may run on (0: unknown)
};

struct BlockingBreakdown {
  double seconds = 0;
  // The process's CPU: the kernel's accounting when it was read, otherwise
  // what the tracer attributed (traced_cpu_seconds). Every share is of this.
  double cpu_seconds = 0;
  bool kernel_cpu_known = false;
  double traced_cpu_seconds = 0;  // user + syscall + io_worker + sched
  // Kernel CPU the tracer did not attribute: the tracer settles every
  // thread's time with the kernel's at each switch, so this is only what
  // ran between a thread's last read and its exit, or a thread whose state
  // could not be kept; ~0. 0 if unknown.
  double untraced_cpu_seconds = 0;
  double user_seconds = 0;
  double syscall_seconds = 0;
  double io_worker_seconds = 0;
  double sched_seconds = 0;  // charged by the scheduler around preemptions, outside any call
  std::array<double, kNumOffCpuReasons> offcpu_seconds{};
  uint64_t voluntary_switches = 0;
  uint64_t involuntary_switches = 0;
  std::array<ClassCost, kNumClasses> classes{};
  WaitJudgement waits;  // the poll class: event loop, or blocking design (then counted as IO)

  // Tier 2 over the IO classes.
  double direct_cpu_seconds = 0;             // classes with a baseline
  uint64_t blocked_io_calls = 0;             // every blocked IO-class call
  uint64_t uncalibrated_blocked_io_calls = 0;  // ... in classes where every call blocked
  uint64_t nonblocked_io_calls = 0;
  double nonblocked_io_cpu_seconds = 0;
  // Event loops: calls that waited for readiness or completions.
  uint64_t event_wait_calls = 0;
  uint64_t event_wait_blocked_calls = 0;
  double event_wait_nonblocked_cpu_seconds = 0;
  uint64_t futex_blocked_calls = 0;
  // Thread pools: a hand-off passes a request from one thread to another,
  // seen as a queue wait (a futex condition variable or semaphore) that
  // blocked and that one of the target's own threads woke, or as an
  // epoll_ctl re-arm by a thread that never waits in epoll itself (class
  // poll_rearm: it hands the descriptor back to the thread that does). A
  // process with hand-offs runs machinery that a design serving a request
  // in the thread that saw it ready (an event loop) does not: every futex
  // call (the queue's waits and wakes, blocked or not, and its lock), every
  // re-arm, and the sleeps of the thread that waits in epoll for the workers
  // (up to one per hand-off; an event loop sleeps only when it runs out of
  // work, which the async cost counts). Their on-CPU time is
  // handoff_cpu_seconds, part of the overhead. An event loop's own epoll_ctl
  // (class poll_ctl) is never counted. Without hand-offs, blocked futex
  // waits that are not queue waits are contended locks: reported, not
  // counted.
  uint64_t queue_handoffs = 0;  // queue waits that blocked and a sibling ended
  uint64_t handoffs = 0;        // max(queue_handoffs, rearm calls): both can see the same request
  double handoff_cpu_seconds = 0;  // futex + re-arms + sleeps below
  uint64_t handoff_futex_calls = 0;
  double handoff_futex_cpu_seconds = 0;
  uint64_t rearm_calls = 0;  // poll_rearm calls of a process with hand-offs
  double rearm_cpu_seconds = 0;
  uint64_t handoff_sleeps = 0;       // min(blocked poll waits, handoffs)
  double handoff_sleep_seconds = 0;  // mean on-CPU of a blocked poll wait (also the async loop's sleep)
  double handoff_sleep_cpu_seconds = 0;
  uint64_t lock_waits_blocked = 0;
  // Major page faults (read from /proc): file IO through memory maps, or
  // swap-in, that blocks a thread without a system call. Reported, not
  // priced: no call to compare it with. Unknown when /proc was not read.
  bool major_faults_known = false;
  uint64_t major_faults = 0;

  // The tracer's own time taken off the direct cost (tier2_cost.h), over the
  // priced IO classes. Known only when bpf_stats measured it.
  SwitchRunCost tracer_switch;          // per sched_switch run, over the window
  double tracer_removed_cpu_seconds = 0;
  double TracerRemovedPerBlockedCall() const;

  IndirectCost indirect;
  LatencyFigures latency;

  // Direct cost per blocked call over the calibrated IO classes (0 if none).
  double DirectPerBlockedCall() const;
  // The IO class with the most blocked calls (kNetRead if none blocked).
  SyscallClass DominantIoClass() const;
  // An IO class, or the poll class when its waits are a blocking design.
  bool CountsAsIo(SyscallClass c) const;
};

// `cpus` is how many CPUs the process may use (0 when unknown).
BlockingBreakdown AnalyzeWindow(const TargetWindow& window, const PmuStatus& pmu, int cpus);

// The q-quantile (0..1) of a log2 histogram of nanoseconds in seconds,
// interpolated linearly inside the bucket; nullopt for an empty histogram.
std::optional<double> Log2Quantile(const Log2Histogram& hist, double q);

}  // namespace iotax
