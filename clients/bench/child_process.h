// A program the bench starts (an echo server, iotaxd, iotax calibrate): its
// stdout is a pipe read line by line with a timeout, its stderr goes to a
// file. Children run in their own process group, so a Ctrl-C at the terminal
// reaches the bench alone (which then finishes the current run and stops them
// itself), and they get SIGKILL if the bench dies first (PR_SET_PDEATHSIG;
// start them from the main thread, which lives as long as the bench).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace iotax::bench {

class ChildProcess {
 public:
  // argv[0] is the program's path. stderr goes to `stderr_path` (truncated),
  // or /dev/null when empty.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& stderr_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of stdout without its newline; nullopt on timeout or end of output.
  std::optional<std::string> ReadLine(absl::Duration timeout);
  // Everything left on stdout until it closes or `timeout` passes.
  std::string ReadAll(absl::Duration timeout);
  // The exit code (128 + signal when killed), or nullopt if still running after `timeout`.
  std::optional<int> Wait(absl::Duration timeout);
  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(absl::Duration grace = absl::Seconds(3));
  bool running() const { return !exit_code_.has_value(); }

 private:
  ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}
  // Reads what is available into buffer_ within `timeout`; false at end of output or timeout.
  bool Fill(absl::Duration timeout);

  pid_t pid_;
  int stdout_fd_;
  std::string buffer_;
  bool eof_ = false;
  std::optional<int> exit_code_;
};

// Runs a program to completion and returns its stdout (stderr discarded);
// for short look-ups like `dpkg-query` or `--version`.
absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv, absl::Duration timeout);

}  // namespace iotax::bench
