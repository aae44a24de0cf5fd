// Another process's CPU time and context switches over a window, from /proc:
// per-thread run time in ns from /proc/PID/task/TID/schedstat (precise), the
// user/system split from /proc/PID/stat (clock ticks, all threads, exited ones
// included), and switches from each thread's status. A thread that exits
// inside the window takes its schedstat with it; the delta then falls back to
// /proc/PID/stat and says so. Parsers take text so tests can feed fixed input;
// the /proc formats themselves are parsed by probes/proc_reader.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::bench {

struct ThreadCounters {
  uint64_t run_ns = 0;  // schedstat field 1
  uint64_t voluntary = 0;
  uint64_t involuntary = 0;
};

struct ProcessSample {
  int64_t time_ns = 0;       // CLOCK_MONOTONIC when read
  uint64_t utime_ticks = 0;  // /proc/PID/stat, all threads
  uint64_t stime_ticks = 0;
  std::map<int, ThreadCounters> threads;  // by TID
};

struct ProcessDelta {
  double window_s = 0;
  double cpu_s = 0;              // schedstat, or ticks when a thread exited
  double user_s = 0, sys_s = 0;  // ticks split, scaled so user + sys = cpu_s
  uint64_t voluntary = 0, involuntary = 0;
  int threads = 0;         // alive at the end
  int threads_exited = 0;  // alive at the start, gone at the end
  std::string cpu_source;  // "schedstat" or "stat_ticks"
};

// /proc/PID/stat: utime and stime (fields 14 and 15), by proc::ParseStat.
absl::Status ParseStatTimes(absl::string_view text, uint64_t* utime, uint64_t* stime);
// voluntary_ctxt_switches / nonvoluntary_ctxt_switches lines of a status file.
absl::Status ParseStatusSwitches(absl::string_view text, uint64_t* voluntary, uint64_t* involuntary);

// Reads every counter of `pid` under `proc_root`.
absl::StatusOr<ProcessSample> SampleProcess(int pid, const std::string& proc_root = "/proc");

// `ticks_per_s` is sysconf(_SC_CLK_TCK) (100 here).
ProcessDelta Subtract(const ProcessSample& before, const ProcessSample& after, double ticks_per_s);

}  // namespace iotax::bench
