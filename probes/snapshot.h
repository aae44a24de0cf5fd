// What the kernel side saw, as plain C++ values: the contract between probes/
// (which fills it from BPF maps and /proc) and daemon/ (which turns it into
// windows, estimates and metrics). No kernel or libbpf types here, so daemon
// code and its tests can build and run without root.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotax {

// Same order as enum iotax_class in bpf/iotax.h.
enum class SyscallClass : int {
  kNetRead, kNetWrite, kFileRead, kFileWrite, kAcceptConnect,
  kPoll, kIoUring, kFutex, kSleep, kOther, kSync, kPollCtl, kPollRearm,
};
inline constexpr int kNumClasses = 13;
inline constexpr std::array<std::string_view, kNumClasses> kClassNames = {
    "net_read", "net_write", "file_read", "file_write", "accept_connect",
    "poll", "io_uring", "futex", "sleep", "other", "sync", "poll_ctl", "poll_rearm"};

// Same order as enum iotax_offcpu_reason in bpf/iotax.h.
enum class OffCpuReason : int {
  kIo, kEventWait, kFutex, kSleep, kOther, kRunqueuePreempted, kRunqueueWakeup, kSync,
};
inline constexpr int kNumOffCpuReasons = 8;
inline constexpr std::array<std::string_view, kNumOffCpuReasons> kOffCpuReasonNames = {
    "io", "event_wait", "futex", "sleep", "other", "runqueue_preempted", "runqueue_wakeup", "sync"};

// Same order as enum iotax_drop_reason in bpf/iotax.h.
inline constexpr int kNumDropReasons = 5;
inline constexpr std::array<std::string_view, kNumDropReasons> kDropReasonNames = {
    "thread_state_alloc", "targets_full", "unpaired_syscall_exit", "missed_wakeup", "missed_switch"};

// Log2 histogram of nanoseconds: bucket i counts values in (2^(i-1), 2^i]
// (bucket 0: <= 1 ns); the last bucket also holds everything larger.
inline constexpr int kHistBuckets = 40;
using Log2Histogram = std::array<uint64_t, kHistBuckets>;

inline constexpr int kMaxSyscallNr = 512;

struct ClassStats {
  uint64_t calls = 0;
  uint64_t blocked_calls = 0;
  uint64_t wall_ns = 0;
  uint64_t oncpu_ns = 0;
  uint64_t blocked_oncpu_ns = 0;
  // Switch paths of the blocked calls (bpf/iotax.h): enter to first
  // switch-out, last switch-in to exit. Tier 2 prices a block from them.
  uint64_t sleep_path_ns = 0;
  uint64_t resume_path_ns = 0;
  uint64_t blocked_bytes = 0;     // read/write-class calls: bytes moved by calls that blocked
  uint64_t nonblocked_bytes = 0;  // ... and by calls that did not
  // Switch-ins of blocked calls: each ran the tracer's sched_switch program on
  // the call's CPU time (the tracer's own share of a block, tier 2).
  uint64_t blocked_switch_ins = 0;
  Log2Histogram wall_hist{};
};

// What the blocked waits of the poll class (poll, select, epoll_wait) waited
// for (bpf/iotax.h struct iotax_wait_stats): the ready descriptors they
// returned, and for poll/ppoll the descriptors they watched.
struct WaitStats {
  uint64_t blocked_waits = 0;
  uint64_t ready = 0;
  uint64_t watched_waits = 0;  // blocked waits whose watched count is known
  uint64_t watched = 0;
};

// The indirect part without a PMU (bpf/iotax.h, struct iotax_path_seg): user
// segments between a call's return and the thread's next call, on one path
// (class before, class after), after a blocked or a non-blocked return.
inline constexpr int kNumPathClasses = 6;  // net/file read/write, accept/connect, poll
struct PathSegments {
  uint64_t segments = 0;
  uint64_t ns = 0;       // sum of durations
  uint64_t sq_16ns = 0;  // sum of (ns / 16)^2, for the spread of the mean
  // The kernel half: the call that ended a counted segment, when it never
  // left the CPU (its on-CPU time, enter to exit).
  uint64_t calls = 0;
  uint64_t call_ns = 0;
  uint64_t call_sq_16ns = 0;
};
// [class before][class after][0 not blocked, 1 blocked]
using PathSegmentTable = std::array<std::array<std::array<PathSegments, 2>, kNumPathClasses>, kNumPathClasses>;

// Same order as enum iotax_cpu_mode in bpf/iotax.h: the `mode` of the CPU metrics.
inline constexpr int kNumCpuModes = 4;
inline constexpr std::array<std::string_view, kNumCpuModes> kCpuModeNames = {"user", "syscall", "io_worker",
                                                                             "sched"};

// Futex waits by what they wait for (struct iotax_futex_stats): a queue
// wait (FUTEX_WAIT_BITSET: glibc condition variables, semaphores) is a
// thread waiting for work another hands it; a plain FUTEX_WAIT is a lock.
struct FutexStats {
  uint64_t queue_blocked = 0;
  uint64_t queue_blocked_oncpu_ns = 0;
  uint64_t woken = 0;  // waiters woken by the target's own wake calls
  uint64_t wake_calls = 0;
  uint64_t wake_oncpu_ns = 0;
};

// Cumulative counters for one target process since it was attached.
struct TargetStats {
  uint64_t user_ns = 0;
  uint64_t syscall_ns = 0;
  uint64_t io_worker_ns = 0;
  // Charged by the scheduler around context switches outside any traced call
  // (after preemption, a new thread's first run); see bpf/iotax.bpf.c.
  uint64_t sched_ns = 0;
  // How the tracer's figures were brought to the kernel's (se.sum_exec_runtime),
  // for tests and diagnosis: the part of syscall_ns that the scheduler charged
  // when a blocked call resumed (wakeup and idle exit before sched_switch), and
  // the time measured at tracepoints that the kernel charged to another thread
  // (taken off the thread's later segments).
  uint64_t resumed_extra_ns = 0;
  uint64_t overcount_ns = 0;
  std::array<uint64_t, kNumOffCpuReasons> offcpu_ns{};
  Log2Histogram runq_preempted_hist{};
  Log2Histogram runq_wakeup_hist{};
  uint64_t voluntary_switches = 0;
  uint64_t involuntary_switches = 0;
  uint64_t wakeups = 0;
  uint64_t threads_created = 0;
  uint64_t threads_exited = 0;
  uint64_t children_followed = 0;  // processes forked by a member that joined the slot
  uint64_t processes_exited = 0;   // processes of the slot that exited (their last thread)
  std::array<ClassStats, kNumClasses> classes{};
  FutexStats futex;
  WaitStats waits;
  PathSegmentTable path_segments{};
  std::array<uint64_t, kMaxSyscallNr> syscalls{};  // entries per syscall number
};

// ---- Tier 3 (PMU): user-mode segments between kernel boundaries ----

// What preceded a user-mode segment. Same order as enum iotax_seg_label in
// bpf/iotax.h; the names are the `after` label of the IPC metrics.
enum class SegmentLabel : int {
  kAfterBlockedSyscall, kAfterSyscall, kAfterPreemption, kThreadStart, kAfterOtherSwitch,
};
inline constexpr int kNumSegmentLabels = 5;
inline constexpr std::array<std::string_view, kNumSegmentLabels> kSegmentLabelNames = {
    "blocked_syscall", "syscall", "preemption", "thread_start", "other_switch"};

// Log2 buckets of user instructions per segment: bucket k holds segments of n
// instructions with 2^(k-1) < n <= 2^k (bucket 0: n <= 1); the last bucket
// also holds longer ones.
inline constexpr int kSegmentBuckets = 32;
struct SegmentBucket {
  uint64_t segments = 0;
  uint64_t instructions = 0;
  uint64_t cycles = 0;
};
using SegmentHistogram = std::array<SegmentBucket, kSegmentBuckets>;

// Cumulative PMU counts of one target (all zero when the PMU is not up).
struct PmuTargetStats {
  uint64_t user_instructions = 0;    // over all completed user segments
  uint64_t user_cycles = 0;
  uint64_t segments_multiplexed = 0; // segments left out: a counter did not run all along
  uint64_t segments_lost = 0;        // segments left out: a context switch was missed (BPF did not see it)
  uint64_t read_errors = 0;          // counter reads that failed in BPF
  std::array<SegmentHistogram, kNumSegmentLabels> segments{};
};

// One counter summed over all CPUs, as read from user space (all processes,
// user mode): time_running < time_enabled means it was multiplexed.
struct PmuCounterTotals {
  uint64_t raw = 0;
  uint64_t time_enabled_ns = 0;
  uint64_t time_running_ns = 0;
};

// Whether the two counters are open and read by the BPF programs.
struct PmuStatus {
  bool up = false;
  std::string reason;              // stable token when down: "vm_without_pmu", "no_hardware_pmu", "no_instructions_or_cycles",
                                   // "not_permitted", "open_failed", "disabled"; "" when up
  std::string detail;              // the one-line error with what to do ("" when up)
  std::string instructions_event;  // event names as configured
  std::string cycles_event;
  bool software_standins = false;  // software events stand in for instructions/cycles
  PmuCounterTotals instructions_counter;  // machine-wide, since the tracer started (when up)
  PmuCounterTotals cycles_counter;
};

// A service: one slot that many processes count into (every process of a
// comm, of a cgroup, or several PIDs traced as one), with the members forked
// by members following them in the kernel. Its TargetSnapshot's pid is a
// stand-in (kServicePidBase + slot), never a process.
struct ServiceFacts {
  std::string kind;              // "comm", "cgroup" or "pids"
  std::string name;              // the comm, the cgroup path, or the PID list
  std::vector<int> members;      // processes counting into the slot now (tgids)
  uint64_t processes_added = 0;  // members user space added since the start, first scan included
  int cpus = 0;                  // CPUs the service may use (union of members' or the cgroup's); 0 = unknown
};
inline constexpr int kServicePidBase = 1 << 30;  // above any PID (pid_max <= 2^22)

struct TargetSnapshot {
  int pid = 0;
  std::string comm;
  uint64_t start_time = 0;  // with the PID, which process this is (see target_identity.h)
  bool up = false;          // false once the process has exited
  bool pid_reused = false;  // when it went down, its PID already named another process
  int threads_alive = 0;    // from /proc/<pid>/task; 0 when gone
  int sockets_open = -1;    // socket descriptors open (/proc/<pid>/fd), all members of a service; -1 = not read
  uint64_t attached_at_ns = 0;  // CLOCK_MONOTONIC when tracing began
  TargetStats stats;
  PmuTargetStats pmu;
  // utime + stime of the whole process as the kernel accounts it
  // (/proc/PID/stat), read next to the maps by daemon/ when it needs it (the
  // verdict's denominator); 0 = not read.
  uint64_t kernel_cpu_ns = 0;
  // Major page faults (/proc/PID/stat majflt), read with kernel_cpu_ns: for a
  // process since it started, for a service its members' since the first
  // read. nullopt = not read.
  std::optional<uint64_t> major_faults;
  // Set for a service's slot (pid is then kServicePidBase + slot); comm is its name.
  std::optional<ServiceFacts> service;
};

struct ProbeStatus {
  std::string name;         // e.g. "sched_switch"
  bool up = false;
  std::string error;        // why it is down, with a hint
  uint64_t events = 0;      // runs that concerned a target
  bool run_stats_valid = false;  // kernel.bpf_stats_enabled was on
  uint64_t run_count = 0;        // all runs (from bpf_prog_info)
  uint64_t run_time_ns = 0;
  uint32_t prog_id = 0;          // kernel BPF program id (bpftool prog show id N); 0 if unknown
};

// Sampled tracing (iotaxd --sample): the hot probes run for a share of each
// period only, and the targets' stats are estimates for all the time (see
// probes/sample_scaler.h). Not sampling: fraction 1 and nothing else set.
struct SamplingStatus {
  double fraction = 1.0;     // configured share of each period traced
  uint64_t period_ns = 0;    // one window per period; 0 when not sampling
  uint64_t traced_ns = 0;    // how long the hot probes were attached, in all
  uint64_t windows = 0;      // windows completed
  bool active() const { return period_ns != 0; }
};

struct AgentSnapshot {
  // CLOCK_MONOTONIC when the maps were read; when sampling, the end of the
  // last window (the time the stats are as of).
  uint64_t monotonic_ns = 0;
  std::vector<TargetSnapshot> targets;
  std::vector<ProbeStatus> probes;
  std::array<uint64_t, kNumDropReasons> dropped{};
  PmuStatus pmu;
  SamplingStatus sampling;
};

}  // namespace iotax
