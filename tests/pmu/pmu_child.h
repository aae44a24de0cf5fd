// Test helper: runs tests/pmu/pmu_workload with both of its stdin and stdout
// on pipes, and speaks its protocol (ready/go, the blocking handshake,
// done/exit). Every wait is bounded; only the PID started here is signalled,
// and it is always reaped.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace iotax::testing {

class PmuWorkload {
 public:
  // Starts pmu_workload (from IOTAX_BIN_DIR's sibling tests dir) with `args`
  // and waits for "ready <tid>".
  static absl::StatusOr<PmuWorkload> Start(const std::vector<std::string>& args,
                                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

  PmuWorkload(PmuWorkload&& other) noexcept;
  PmuWorkload& operator=(PmuWorkload&&) = delete;
  ~PmuWorkload();  // SIGKILL and reap if still running

  pid_t pid() const { return pid_; }
  pid_t main_tid() const { return tid_; }

  // Sends "go".
  absl::Status Go();

  // Serves `n` blocking reads: waits for each "a", sleeps `delay`, writes a byte.
  absl::Status ServeBlockingReads(int n, std::chrono::microseconds delay);

  // Waits for "done": the workload is then blocked reading stdin.
  absl::Status WaitDone(std::chrono::milliseconds timeout);

  // What the workload printed and the helper has not consumed (after
  // WaitDone: its report lines and "done").
  const std::string& output() const { return out_; }

  // Sends "exit" and waits for a zero exit status.
  absl::Status Finish(std::chrono::milliseconds timeout);

 private:
  PmuWorkload(pid_t pid, int in_fd, int out_fd) : pid_(pid), in_fd_(in_fd), out_fd_(out_fd) {}
  absl::Status ReadUntil(const std::string& needle, std::chrono::milliseconds timeout);
  absl::Status WriteByte(char c);

  pid_t pid_ = -1;
  pid_t tid_ = -1;
  int in_fd_ = -1;   // the workload's stdin (we write)
  int out_fd_ = -1;  // the workload's stdout (we read)
  std::string out_;  // read, not yet consumed
};

// utime of one thread, in clock ticks, from /proc/<pid>/task/<tid>/stat.
absl::StatusOr<uint64_t> ThreadUserTicks(pid_t pid, pid_t tid);

}  // namespace iotax::testing
