// Facts about a live process that the snapshot does not carry: its CPU time
// as the kernel accounts it (from the /proc readers of proc_reader.h) and the
// CPUs it may run on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "snapshot.h"

namespace iotax {

// utime + stime of the whole process (all threads, including exited ones) in
// nanoseconds, from /proc/PID/stat (clock-tick resolution); nullopt when the
// process is gone.
std::optional<uint64_t> ReadProcessCpuNs(int pid, const std::string& proc_root = "/proc");

// The process's CPU in nanoseconds from the per-thread run times the
// scheduler keeps (/proc/PID/task/TID/schedstat, exact to the nanosecond),
// summed over threads. A thread that exits keeps counting with its last
// reading, so the sum never goes backwards (what it ran between that reading
// and its exit is lost). Falls back to /proc/PID/stat (clock ticks) where
// schedstat is missing. Not thread-safe: one reader per sampling loop.
class ProcessCpuReader {
 public:
  explicit ProcessCpuReader(std::string proc_root = "/proc") : proc_root_(std::move(proc_root)) {}

  std::optional<uint64_t> Read(int pid);

  // Fills kernel_cpu_ns of every running target of `snapshot`.
  void AddTo(AgentSnapshot& snapshot);

 private:
  struct Process {
    std::map<int, uint64_t> threads;  // tid -> last schedstat reading
    uint64_t exited_ns = 0;           // last readings of threads gone since
  };
  std::string proc_root_;
  std::map<int, Process> processes_;
};

// How many CPUs the process may run on (its affinity mask); 0 when the
// process is gone or the mask cannot be read.
int CpusAllowed(int pid);

}  // namespace iotax
