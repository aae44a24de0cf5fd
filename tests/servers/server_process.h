// Runs the real iotax-echo-server binary for end-to-end tests: start it,
// read its "listening on HOST:PORT" line, signal it, and collect its exit
// status and stderr, every step bounded by a timeout.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace iotax::testing {

class ServerProcess {
 public:
  struct Exit {
    bool exited = false;     // false: still running at the deadline (then killed)
    int code = -1;           // exit code when it exited normally
    int signal = 0;          // terminating signal otherwise
    std::string stderr_text;
    std::chrono::milliseconds took{0};
  };

  // Starts build/bin/iotax-echo-server with `args`.
  explicit ServerProcess(const std::vector<std::string>& args);
  ~ServerProcess();  // SIGKILLs and reaps a server still running
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Waits up to `timeout` for the ready line; the port, or nullopt (the
  // reason is in error()).
  std::optional<uint16_t> WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  const std::string& ready_line() const { return ready_line_; }
  const std::string& error() const { return error_; }

  pid_t pid() const { return pid_; }
  void Signal(int signo);
  bool Running();
  // Waits for the exit (killing it at the deadline) and reads its stderr.
  Exit WaitExit(std::chrono::milliseconds timeout);

 private:
  void DrainStderr();

  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  std::string stdout_buf_;
  std::string stderr_buf_;
  std::string ready_line_;
  std::string error_;
};

}  // namespace iotax::testing
