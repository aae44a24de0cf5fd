// For the privileged tests that trace tests/probes/cpu_workload: start it
// (its path comes from the test's CPU_WORKLOAD_PATH definition), and read what
// the kernel itself accounts for its threads, to compare the tracer against.
#pragma once

#include <dirent.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "child_process.h"

namespace iotax::testing {

// Starts `cpu_workload ARGS...` and waits for its "ready" line.
inline absl::StatusOr<ChildProcess> StartCpuWorkload(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {CPU_WORKLOAD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<ChildProcess> child = ChildProcess::Start(argv);
  if (!child.ok()) return child.status();
  if (auto ready = child->ReadStdoutUntil("ready\n", std::chrono::seconds(10)); !ready.ok()) return ready.status();
  return child;
}

// Sums over the threads of a process, as the kernel accounts them now.
struct KernelThreadSums {
  uint64_t run_ns = 0;              // se.sum_exec_runtime (schedstat field 1)
  uint64_t voluntary_switches = 0;  // voluntary_ctxt_switches of /proc/.../status
};

inline KernelThreadSums ReadKernelThreadSums(int pid) {
  KernelThreadSums k;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return k;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    std::ifstream sched(dir + "/" + e->d_name + "/schedstat");
    uint64_t ns = 0;
    if (sched >> ns) k.run_ns += ns;
    std::ifstream status(dir + "/" + e->d_name + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) k.voluntary_switches += std::stoull(line.substr(24));
    }
  }
  closedir(d);
  return k;
}

}  // namespace iotax::testing
