// Test helper: start a program with its stdout (and optionally stderr) on
// pipes, read from them with deadlines, and always reap it. Every wait is
// bounded; only the PID started here is ever signalled.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace iotax::testing {

class ChildProcess {
 public:
  // Starts argv[0] (a path) with argv; stdin is /dev/null.
  static absl::StatusOr<ChildProcess> Start(const std::vector<std::string>& argv, bool capture_stderr = false);

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();  // kills (SIGKILL) and reaps the child if it still runs

  pid_t pid() const { return pid_; }

  // Reads stdout (or stderr) until `needle` has appeared; returns all read so far.
  absl::StatusOr<std::string> ReadStdoutUntil(const std::string& needle, std::chrono::milliseconds timeout);
  absl::StatusOr<std::string> ReadStderrUntil(const std::string& needle, std::chrono::milliseconds timeout);

  // Reads stdout to EOF, then waits for the exit; returns stdout (everything
  // not yet returned by ReadStdoutUntil). Fails if the exit status is not 0.
  absl::StatusOr<std::string> Finish(std::chrono::milliseconds timeout);

 private:
  ChildProcess(pid_t pid, int out_fd, int err_fd) : pid_(pid), out_fd_(out_fd), err_fd_(err_fd) {}
  absl::StatusOr<std::string> ReadUntil(int fd, std::string& buffer, const std::string& needle,
                                        std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

}  // namespace iotax::testing
