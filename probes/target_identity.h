// Who a PID is: the process (thread group) it belongs to, that process's
// start time and name, read once from /proc. With the PID, the start time
// identifies a process even after the PID is reused. The one place that says
// "no such process" and "it is a zombie"; the tracer owns the identities of
// the processes it traces, and everything else asks it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proc_reader.h"

namespace iotax {

struct ProcessIdentity {
  int requested_pid = 0;    // what the user gave: the process or one of its threads
  int pid = 0;              // the process (thread-group id)
  uint64_t start_time = 0;  // clock ticks since boot; 0 when /proc does not say (fake trees)
  std::string comm;
};

// Resolves `pid` (a process or one of its threads) to its live process.
// InvalidArgument for a PID <= 0; NotFound, naming the PID and what to do,
// when there is no such process or it is a zombie.
absl::StatusOr<ProcessIdentity> IdentifyProcess(int pid, const std::string& proc_root = proc::kDefaultProcRoot);

// The --pid checks before anything is loaded: every PID names a live process
// of a program (not a kernel thread, not this process), and at most
// `max_processes` distinct processes. One identity per PID given, in order.
absl::StatusOr<std::vector<ProcessIdentity>> IdentifyPids(const std::vector<int>& pids, int max_processes,
                                                          const std::string& proc_root = proc::kDefaultProcRoot);

enum class ProcessState {
  kRunning,  // the same process, not a zombie
  kExited,   // gone or a zombie
  kReused,   // gone, and its PID now names another live process
};

// Whether the identified process still runs.
ProcessState CheckProcess(const ProcessIdentity& process, const std::string& proc_root = proc::kDefaultProcRoot);

// The one-line errors about a process.
absl::Status NoSuchProcess(int pid);
absl::Status CannotTrace(const ProcessIdentity& process, absl::StatusCode code, absl::string_view why);

}  // namespace iotax
