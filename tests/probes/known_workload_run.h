// Runs tests/probes/known_workload through its ready/go protocol, so a
// tracer (or strace) can attach between "ready" and "go".
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "child_process.h"

namespace iotax::testing {

struct KnownWorkloadParams {
  int n = 50;          // blocking reads, and non-blocking reads
  int sleep_ms = 10;   // feeder sleep before each byte
  int spin_ms = 150;   // CPU time of each of the two spinners
  int cpu = 0;         // the CPU both spinners are pinned to
};

// What the workload measured itself, keyed as it prints ("n", "blocking_read_wall_ns", ...).
using WorkloadReport = std::map<std::string, uint64_t>;

// Starts the workload, waits for "ready", calls `attach(pid)` (which must
// return once tracing is in place), says "go", waits for the exit and parses
// the report. `attach` failing aborts the run.
absl::StatusOr<WorkloadReport> RunKnownWorkload(const KnownWorkloadParams& params,
                                                const std::function<absl::Status(pid_t)>& attach,
                                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace iotax::testing
