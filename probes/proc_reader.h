// Readers of /proc for target discovery, liveness and CPU accounting: the one
// parser of /proc/<pid>/stat, the one reader of per-thread schedstat run
// times. Every reading function takes a proc root so tests can point it at a
// fake tree; the parsers take text.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace iotax::proc {

inline constexpr char kDefaultProcRoot[] = "/proc";

// The whole text of a /proc file into `out`; false when it cannot be read
// (the process or thread is gone).
bool ReadText(const std::string& path, std::string* out);

// Fields of /proc/<pid>/stat, numbered as in proc(5).
inline constexpr int kStatState = 3;
inline constexpr int kStatParentPid = 4;
inline constexpr int kStatFlags = 9;
inline constexpr int kStatMajorFaults = 12;  // majflt: faults that read a page from disk, all threads
inline constexpr int kStatUserTicks = 14;    // utime, all threads, exited ones included
inline constexpr int kStatSystemTicks = 15;  // stime
inline constexpr int kStatStartTime = 22;    // clock ticks since boot

// One /proc/<pid>/stat line: "pid (comm) state ppid ...". comm may hold
// spaces, parentheses and ") (", so it ends at the last ')'.
struct StatLine {
  std::string comm;
  std::vector<std::string> fields;  // fields from 3 (the state) on

  // Field `n` (>= 3) as a number; nullopt when the line is shorter or the
  // field is not a non-negative number.
  std::optional<uint64_t> Number(int n) const;
  // Field 3 ('R', 'S', 'Z', ...); '\0' when missing.
  char State() const;
};

// DataLoss when the line has no ')' after the command name.
absl::StatusOr<StatLine> ParseStat(absl::string_view text);

// ParseStat of /proc/<pid>/stat; NotFound when the file cannot be read.
absl::StatusOr<StatLine> ReadStat(int pid, const std::string& proc_root = kDefaultProcRoot);

// The run time in nanoseconds (the first field) of a schedstat line
// "run_ns wait_ns timeslices"; DataLoss when there is none.
absl::StatusOr<uint64_t> ParseSchedstatRunNs(absl::string_view text);

// Run time in nanoseconds of every thread of `pid`, by TID, from
// /proc/<pid>/task/<tid>/schedstat (exact, unlike the ticks of stat). A
// thread that exits while it is read is left out; empty when the kernel keeps
// no schedstat. NotFound when the task directory cannot be listed.
absl::StatusOr<std::map<int, uint64_t>> ReadThreadRunTimes(int pid, const std::string& proc_root = kDefaultProcRoot);

// The parent's PID (field 4 of /proc/<pid>/stat); 0 when unknown.
int ReadParentPid(int pid, const std::string& proc_root = kDefaultProcRoot);

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

// Socket descriptors open in process `pid` (links "socket:[inode]" in
// /proc/<pid>/fd): with the thread count, how many connections a thread
// serves. -1 when the directory cannot be read (gone, or not permitted).
int CountSockets(int pid, const std::string& proc_root = kDefaultProcRoot);

// The thread-group id of `pid` (Tgid: in /proc/<pid>/status): lets a user
// pass a thread id and still trace the whole process.
absl::StatusOr<int> ReadTgid(int pid, const std::string& proc_root = kDefaultProcRoot);

// The process start time (field 22 of /proc/<pid>/stat, clock ticks since
// boot): with the PID it identifies a process even after the PID is reused.
absl::StatusOr<uint64_t> ReadStartTime(int pid, const std::string& proc_root = kDefaultProcRoot);

}  // namespace iotax::proc
