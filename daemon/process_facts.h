// Facts about a live process that the snapshot does not carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "snapshot.h"

namespace iotax {

// utime + stime of the whole process (all threads, including exited ones) in
// nanoseconds, from /proc/PID/stat (clock-tick resolution); nullopt when the
// process is gone.
std::optional<uint64_t> ReadProcessCpuNs(int pid, const std::string& proc_root = "/proc");

// Fills kernel_cpu_ns of every running target of `snapshot`.
void AddKernelCpu(AgentSnapshot& snapshot, const std::string& proc_root = "/proc");

// How many CPUs the process may run on (its affinity mask); 0 when the
// process is gone or the mask cannot be read.
int CpusAllowed(int pid);

}  // namespace iotax
