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

// Major page faults of the whole process since it started (majflt of
// /proc/PID/stat, all threads, exited ones included): a fault that had to read
// the page from a file or swap, so the thread blocked without a system call.
// nullopt when the process is gone.
std::optional<uint64_t> ReadMajorFaults(int pid, const std::string& proc_root = "/proc");

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

  // Fills kernel_cpu_ns and major_faults of every running target of
  // `snapshot`. For a service: the sums over its members of what each ran
  // and faulted since the first read (a member that joined later, forked
  // during the window, counts from its start; one that exited keeps its last
  // reading), and service->cpus.
  void AddTo(AgentSnapshot& snapshot);

 private:
  // A member's cumulative counter: what it read when the service was first
  // read (0: it started later) and its newest reading.
  struct Growth {
    uint64_t baseline = 0;
    uint64_t last = 0;
    uint64_t Grown() const { return last > baseline ? last - baseline : 0; }
  };
  struct Member {
    Growth cpu_ns;
    Growth major_faults;
  };
  struct Service {
    bool read_once = false;
    std::map<int, Member> members;
    uint64_t gone_cpu_ns = 0;        // what members that left ran while traced
    uint64_t gone_major_faults = 0;  // ... and their major faults
  };
  // Reads every member; fills the service's CPU and major faults.
  void ReadService(Service& service, TargetSnapshot& target);

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
