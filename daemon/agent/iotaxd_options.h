// iotaxd's command line: its Abseil flags, read through the shared layer
// (servers/common/flags.h: dashed names, repeated --pid/--comm, --help,
// exit codes), and the validation that turns raw flag values into
// DaemonOptions with one-line errors that say what to do.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace iotax {

// Flag values as typed, before validation.
struct RawDaemonFlags {
  std::vector<std::string> pid;
  std::vector<std::string> comm;
  std::string cgroup;
  int max_processes = 8192;
  bool follow_children = false;
  std::string listen = "127.0.0.1:9464";
  bool check = false;
  bool strict = false;
  bool bpf_stats = false;
  absl::Duration interval = absl::Seconds(1);
  std::string pmu_events = "instructions,cycles";
  absl::Duration window = absl::Milliseconds(100);
  absl::Duration verdict_window = absl::Seconds(30);
  absl::Duration history = absl::Minutes(5);
  std::string sample = "100%";
  absl::Duration sample_period = absl::Seconds(10);
  std::string calibration;  // "" = default cache path, "none" = ignore
  std::string auth_file;
  std::string tls_cert;
  std::string tls_key;
  std::string user;
  bool stacks = false;
  bool kernel_stacks = false;
  int stack_hz = 99;
  std::vector<std::string> positional;  // arguments that are not flags
};

struct DaemonOptions {
  std::vector<int> pids;
  std::vector<std::string> comms;
  std::string cgroup;  // trace this cgroup's processes as one service ("" = none)
  int max_processes = 8192;  // processes counted at once in all targets (TracerOptions::max_processes)
  bool follow_children = false;
  std::string listen_host = "127.0.0.1";
  int listen_port = 9464;
  bool check = false;
  bool strict = false;
  bool bpf_stats = false;
  absl::Duration interval = absl::Seconds(1);
  std::string pmu_events = "instructions,cycles";  // tier 3; "" = off
  absl::Duration window = absl::Milliseconds(100);  // tier-3 window
  absl::Duration verdict_window = absl::Seconds(30);  // sliding window of the verdict
  absl::Duration history = absl::Minutes(5);          // per-second snapshots kept for /api/series
  double sample_fraction = 1.0;                       // share of each sample period traced (1 = all)
  absl::Duration sample_period = absl::Seconds(10);
  std::string calibration_path;                       // "" = the default cache path
  bool no_calibration = false;                        // --calibration=none
  std::string auth_file;  // htpasswd-style USER:HASH lines; "" = no auth
  std::string tls_cert;   // PEM certificate (+ chain); "" = plain HTTP
  std::string tls_key;    // PEM private key of tls_cert
  std::string user;       // switch to this user after attaching; "" = stay
  bool stacks = false;    // take stacks, served at /api/stacks
  bool kernel_stacks = false;
  int stack_hz = 99;      // on-CPU samples per second per CPU
};

// The kernel keeps 15 characters of a process name (TASK_COMM_LEN - 1).
inline constexpr size_t kMaxCommLength = 15;

// "host:port" or "[v6]:port" -> host (without brackets) and port 0..65535.
absl::StatusOr<std::pair<std::string, int>> ParseListenAddress(absl::string_view listen);

// "10%" or "10" -> 0.1; from 1% to 100%.
absl::StatusOr<double> ParseSampleShare(absl::string_view text);

// Checks everything that can be checked without the kernel. Errors are one
// line naming the flag and what to pass instead.
absl::StatusOr<DaemonOptions> ValidateDaemonFlags(const RawDaemonFlags& raw);

// iotaxd's argv as the shared layer reads it: "--follow-children" ->
// "--follow_children", "-h" -> "--help", and repeated --pid/--comm merged
// into one comma list ("--pid 1 --pid=2" -> "--pid=1,2"). Values are never
// touched.
std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args);

// The text of `iotaxd --help`: usage, then every iotaxd flag with its
// default and meaning (dashed names, as users type them).
std::string DaemonUsageText();

enum class ParseOutcome { kRun, kExitOk, kExitError };

// Parses the real command line into `raw`. Prints --help/--version itself
// (kExitOk), and a one-line error for an unknown or bad flag (kExitError,
// after printing "iotaxd: ..." to stderr). Never exits, and starts from the
// flags' defaults on every call, so it can run many times in one process
// (the fuzzer does).
ParseOutcome ParseDaemonCommandLine(int argc, char** argv, RawDaemonFlags* raw);

}  // namespace iotax
