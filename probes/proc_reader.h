// Readers of /proc for target discovery and liveness. Every function takes a
// proc root so tests can point it at a fake tree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::proc {

inline constexpr char kDefaultProcRoot[] = "/proc";

// The process's comm (as in /proc/<pid>/comm, without the newline).
// NotFound when the process does not exist.
absl::StatusOr<std::string> ReadComm(int pid, const std::string& proc_root = kDefaultProcRoot);

// True for a kernel thread (PF_KTHREAD in the flags, field 9 of
// /proc/<pid>/stat): it makes no system calls and runs no user code, so there
// is nothing to trace. False when unknown.
bool IsKernelThread(int pid, const std::string& proc_root = kDefaultProcRoot);

// True while /proc/<pid> exists and the process is not a zombie.
bool ProcessAlive(int pid, const std::string& proc_root = kDefaultProcRoot);

// Thread-group leaders whose comm equals `comm`, ascending.
std::vector<int> FindPidsByComm(absl::string_view comm, const std::string& proc_root = kDefaultProcRoot);

// Number of entries in /proc/<pid>/task; 0 when the process is gone.
int CountThreads(int pid, const std::string& proc_root = kDefaultProcRoot);

// The thread-group id of `pid` (Tgid: in /proc/<pid>/status): lets a user
// pass a thread id and still trace the whole process.
absl::StatusOr<int> ReadTgid(int pid, const std::string& proc_root = kDefaultProcRoot);

// The process start time (field 22 of /proc/<pid>/stat, clock ticks since
// boot): with the PID it identifies a process even after the PID is reused.
absl::StatusOr<uint64_t> ReadStartTime(int pid, const std::string& proc_root = kDefaultProcRoot);

}  // namespace iotax::proc
