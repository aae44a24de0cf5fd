// Facts about a live process that the snapshot does not carry: its CPU time
// as the kernel accounts it (from the /proc readers of proc_reader.h) and the
// CPUs it may run on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

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

  // Fills kernel_cpu_ns of every running target of `snapshot`. For a
  // service: the sum over its members of what each ran since the first read
  // (a member that joined later, forked during the window, counts from its
  // start; one that exited keeps its last reading), and service->cpus.
  void AddTo(AgentSnapshot& snapshot);

 private:
  struct Member {
    uint64_t baseline = 0;  // its CPU when the service was first read (0: it started later)
    uint64_t last = 0;
  };
  struct Service {
    bool read_once = false;
    std::map<int, Member> members;
    uint64_t gone_ns = 0;  // what members that left ran while traced
  };
  uint64_t ServiceCpuNs(Service& service, const std::vector<int>& members);

  struct Process {
    std::map<int, uint64_t> threads;  // tid -> last schedstat reading
    uint64_t exited_ns = 0;           // last readings of threads gone since
  };
  std::string proc_root_;
  std::map<int, Process> processes_;
  std::map<int, Service> services_;  // by the service's stand-in pid
};

// How many CPUs the process may run on (its affinity mask); 0 when the
// process is gone or the mask cannot be read.
int CpusAllowed(int pid);

}  // namespace iotax
