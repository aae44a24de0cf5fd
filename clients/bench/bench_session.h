// One invocation of the bench: open (or resume) the results, run the
// calibration the config asks for, run every slot of the matrix not already
// done (in order, one retry for a failed run), save after each, stop
// cleanly when asked (SIGINT), and write the report. The run of a single
// slot is a function so tests can drive the session without servers.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "bench_config.h"
#include "bench_matrix.h"
#include "nlohmann/json.hpp"
#include "run_record.h"

namespace iotax::bench {

struct SessionOptions {
  BenchConfig config;
  std::string out_dir;  // absolute
  bool resume = false;  // continue out_dir's results
  bool force = false;   // start over where results exist (or the config changed)
  std::string bin_dir;  // iotax-echo-server, iotaxd, iotax
  std::string command;  // how to reproduce, for the report
  nlohmann::json machine;
  std::FILE* progress_out = stderr;
  bool progress_tty = false;
  const std::atomic<bool>* stop = nullptr;  // checked between runs
  // Runs one slot at the given open-loop rate (0: closed loop). Default: RunPoint.
  std::function<RunRecord(const RunSlot&, double offered_rate)> run;
  bool write_report = true;
  // --stacks: the attached proof runs take stacks, and each setup gets the
  // blocking vs io_uring stack diffs (stack_capture.h) under out_dir/stacks/.
  bool stacks = false;
};

struct SessionResult {
  int runs_total = 0;
  int runs_already_done = 0;  // found in the results when resuming
  int runs_executed = 0;
  int runs_failed = 0;  // failed even after the retry
  bool interrupted = false;
};

absl::StatusOr<SessionResult> RunSession(SessionOptions& options);

// iotaxd's --calibration value for the config ("" = its default), running
// `iotax calibrate` first when the config says calibration = run (reusing
// out_dir/calibration.json when it is already there). `note` says where the
// agent's async cost will come from.
absl::StatusOr<std::string> PrepareCalibration(const BenchConfig& config, const std::string& out_dir,
                                               const std::string& bin_dir, int online_cpus, std::string* note);

}  // namespace iotax::bench
