// Runs a shell command for a test, bounded by `timeout`, and returns its exit
// code and combined output.
#pragma once

#include <stdio.h>
#include <sys/wait.h>

#include <string>

namespace iotax::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;
};

inline CommandResult RunCommand(const std::string& command, int timeout_seconds = 60) {
  CommandResult r;
  const std::string bounded = "timeout " + std::to_string(timeout_seconds) + " " + command + " 2>&1";
  if (FILE* p = popen(bounded.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
    const int status = pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  return r;
}

inline bool HaveProgram(const std::string& name) {
  return RunCommand("sh -c 'command -v " + name + "'", 10).exit_code == 0;
}

}  // namespace iotax::testing
