#include "target_identity.h"

#include <unistd.h>

#include <set>

#include "absl/strings/str_cat.h"

namespace iotax {

absl::Status NoSuchProcess(int pid) {
  return absl::NotFoundError(absl::StrCat("no process with PID ", pid, ": check the PID with `ps -p ", pid, "`"));
}

absl::Status CannotTrace(const ProcessIdentity& process, absl::StatusCode code, absl::string_view why) {
  return absl::Status(code, absl::StrCat("cannot trace PID ", process.pid, " (", process.comm, "): ", why));
}

absl::StatusOr<ProcessIdentity> IdentifyProcess(int pid, const std::string& proc_root) {
  if (pid <= 0) return absl::InvalidArgumentError(absl::StrCat("invalid PID ", pid, ": PIDs are positive"));
  ProcessIdentity id;
  id.requested_pid = pid;
  absl::StatusOr<int> tgid = proc::ReadTgid(pid, proc_root);
  if (!tgid.ok()) return NoSuchProcess(pid);
  id.pid = *tgid;
  if (!proc::ProcessAlive(id.pid, proc_root)) {
    return absl::NotFoundError(absl::StrCat("process ", id.pid,
                                            " has already exited (it is a zombie): check the PID with `ps -p ",
                                            id.pid, "`"));
  }
  absl::StatusOr<uint64_t> start = proc::ReadStartTime(id.pid, proc_root);
  if (absl::IsNotFound(start.status())) return NoSuchProcess(pid);
  id.start_time = start.value_or(0);
  absl::StatusOr<std::string> comm = proc::ReadComm(id.pid, proc_root);
  if (!comm.ok()) return NoSuchProcess(pid);
  id.comm = *comm;
  return id;
}

absl::StatusOr<std::vector<ProcessIdentity>> IdentifyPids(const std::vector<int>& pids, int max_processes,
                                                          const std::string& proc_root) {
  std::vector<ProcessIdentity> out;
  std::set<int> processes;
  for (int pid : pids) {
    absl::StatusOr<ProcessIdentity> id = IdentifyProcess(pid, proc_root);
    if (!id.ok()) return id.status();
    if (proc::IsKernelThread(id->pid, proc_root)) {
      return absl::InvalidArgumentError(absl::StrCat("PID ", pid, " (", id->comm,
                                                     ") is a kernel thread: it makes no system calls and runs no user "
                                                     "code, so there is nothing to trace; pass the PID of a program"));
    }
    if (id->pid == getpid()) {
      return absl::InvalidArgumentError(absl::StrCat("PID ", pid,
                                                     " is this tracer's own process: it cannot measure itself; pass the "
                                                     "PID of the program to measure"));
    }
    processes.insert(id->pid);
    out.push_back(*std::move(id));
  }
  if (processes.size() > static_cast<size_t>(max_processes)) {
    return absl::InvalidArgumentError(absl::StrCat(processes.size(), " processes given with --pid, but at most ",
                                                   max_processes, " can be traced as separate targets: use --comm NAME or --cgroup PATH to trace them as one service "
                                                   "(no limit on its processes), or pass fewer"));
  }
  return out;
}

ProcessState CheckProcess(const ProcessIdentity& process, const std::string& proc_root) {
  const bool alive = proc::ProcessAlive(process.pid, proc_root);
  // Unknown start times (a fake /proc without them) compare equal.
  if (alive && proc::ReadStartTime(process.pid, proc_root).value_or(0) == process.start_time)
    return ProcessState::kRunning;
  return alive ? ProcessState::kReused : ProcessState::kExited;
}

}  // namespace iotax
