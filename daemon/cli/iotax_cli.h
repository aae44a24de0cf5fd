// The `iotax` command line: subcommands report, doctor and calibrate, each
// with its own Abseil flags and --help, read through the shared layer
// (servers/common/flags.h); every error is one line that names the flag and
// what to pass instead.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service_members.h"

namespace iotax::cli {

struct ReportOptions {
  std::vector<int> pids;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration subwindow = absl::Seconds(1);
  bool json = false;
  std::string calibration_path;  // "" = the default cache path
  bool no_calibration = false;   // --calibration=none
  std::string pmu_events = "instructions,cycles";
  bool follow_children = false;
  // A service: every process of a comm or a cgroup, or the --pid list with
  // --service, traced as one (one slot, any number of processes).
  std::optional<ServiceSelector> service;
  std::string stacks_dir;        // "" = no stacks (--stacks=DIR)
  bool kernel_stacks = false;
  int stack_hz = 99;             // on-CPU samples per second per CPU
};

struct DoctorOptions {
  std::string calibration_path;  // "" = default
  std::string pmu_events = "instructions,cycles";
};

struct CalibrateOptions {
  std::vector<int> rates = {5000, 20000, 60000};
  int conns = 100;
  int msg_size = 512;
  absl::Duration duration = absl::Seconds(3);  // measured, per server, rate and repeat
  int repeat = 2;                              // runs per server and rate, alternating the servers
  int server_cpu = 0;
  int client_cpu = 1;
  std::string bin_dir;           // "" = next to the iotax binary
  std::string output;            // "" = default cache path
  std::string pmu_events = "instructions,cycles";
};

// iotax diff BEFORE AFTER: two folded-stack files compared.
struct DiffOptions {
  std::string before_path;
  std::string after_path;
  std::string normalize = "none";  // none | total | requests
  uint64_t requests_before = 0;    // --requests=A,B
  uint64_t requests_after = 0;
  std::string svg_path;            // "" = no differential flame graph
  std::string folded_path;         // "" = no difffolded output
  int top = 20;
  bool merge_pools = false;
  bool coalesce = false;
};

enum class Command { kReport, kDoctor, kCalibrate, kDiff };

struct Invocation {
  Command command = Command::kDoctor;
  ReportOptions report;
  DoctorOptions doctor;
  CalibrateOptions calibrate;
  DiffOptions diff;
};

// What to do after parsing: run, or print text and exit with a code
// (help/version: stdout, 0; errors: stderr, 2).
struct ParseResult {
  std::optional<Invocation> invocation;
  std::string print;
  bool to_stderr = false;
  int exit_code = 0;
};

// argv[0] is the program name. Never exits; every call starts from the
// flags' defaults.
ParseResult Parse(const std::vector<std::string>& args);

std::string MainUsage();
std::string CommandUsage(Command command);

}  // namespace iotax::cli
