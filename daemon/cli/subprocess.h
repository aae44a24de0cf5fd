// A child process with its stdout captured, for `iotax calibrate` (which
// runs the bundled servers and the load client). Every wait has a deadline;
// Kill only ever signals the PID this object started.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace iotax {

class Subprocess {
 public:
  // Starts argv[0] (a path) with stdout on a pipe and stderr on `stderr_path`
  // ("" = /dev/null). Fails with a one-line reason.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& stderr_path = "");
  ~Subprocess();  // SIGKILLs the child if it still runs, and reaps it
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // The next line of stdout, or nullopt at the deadline or end of output.
  std::optional<std::string> ReadLine(absl::Duration timeout);
  // Everything left on stdout until it closes or the deadline passes.
  std::string ReadAll(absl::Duration timeout);

  // The exit code (128 + signal when killed), or nullopt while still running
  // at the deadline.
  std::optional<int> Wait(absl::Duration timeout);

  // SIGTERM, then SIGKILL after `grace`; returns the exit code.
  int Stop(absl::Duration grace = absl::Seconds(5));

 private:
  Subprocess(pid_t pid, int out) : pid_(pid), out_(out) {}
  bool Fill(absl::Time deadline);

  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
  bool eof_ = false;
  std::optional<int> exit_code_;
};

}  // namespace iotax
