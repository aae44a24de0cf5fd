// The counters a run is judged by, read before and after the measurement:
// the client's own CPU (getrusage) and the time its threads waited for a CPU
// (/proc/self/task/*/schedstat), the whole machine's CPU (/proc/stat: on
// loopback the sender is charged for part of the receiver's TCP work, so
// per-process CPU alone misleads) and the kernel's listen-queue overflow
// counters (/proc/net/netstat TcpExt), which show SYNs a server dropped.
// Parsers take text so tests can feed them fixed inputs.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::client {

struct ProcessCpu {
  double user_s = 0;
  double sys_s = 0;
  int64_t voluntary_switches = 0;
  int64_t involuntary_switches = 0;
};

// This process, all threads.
ProcessCpu ReadOwnCpu();

// The run-queue wait in one /proc/PID/task/TID/schedstat ("run_ns wait_ns
// timeslices"): ns the thread spent runnable but not running, woken and
// waiting for its CPU to be free.
absl::StatusOr<uint64_t> ParseSchedstatWaitNs(absl::string_view text);
// This process's run-queue wait summed over its live threads, in seconds;
// an error when the kernel has no schedstat (CONFIG_SCHED_INFO off).
absl::StatusOr<double> ReadOwnRunqueueWait(const std::string& proc_root = "/proc");

struct MachineCpu {
  // Jiffies summed over all CPUs: busy = user+nice+system+irq+softirq+steal,
  // total = busy + idle + iowait.
  uint64_t busy_ticks = 0;
  uint64_t total_ticks = 0;
  int cores = 0;  // cpuN lines
};

absl::StatusOr<MachineCpu> ParseProcStat(absl::string_view text);
absl::StatusOr<MachineCpu> ReadMachineCpu(const std::string& proc_root = "/proc");
// Seconds per /proc/stat tick (1/USER_HZ).
double SecondsPerTick();

struct ListenCounters {
  uint64_t overflows = 0;  // TcpExt ListenOverflows: accept queue full
  uint64_t drops = 0;      // TcpExt ListenDrops: SYNs dropped for any reason
};

absl::StatusOr<ListenCounters> ParseNetstat(absl::string_view text);
absl::StatusOr<ListenCounters> ReadListenCounters(const std::string& proc_root = "/proc");

// Everything above, read at one moment.
struct SystemSample {
  int64_t time_ns = 0;
  ProcessCpu own;
  MachineCpu machine;
  absl::StatusOr<double> own_runqueue_wait_s = 0.0;  // ReadOwnRunqueueWait
};
absl::StatusOr<SystemSample> SampleSystem();

}  // namespace iotax::client
