// One run of one point: start the echo server on its CPUs, attach iotaxd if
// the point asks for it, run the load client in this process (the
// iotax_client library) on its CPUs, sample the server's /proc counters at
// the exact edges of the client's measured window, read the agent's report
// at the window's end, stop everything, and return what was measured. It
// never throws and never aborts the bench: a failure is a record with ok =
// false and the reason.
#pragma once

#include <string>

#include "bench_config.h"
#include "bench_matrix.h"
#include "run_record.h"

namespace iotax::bench {

struct RunnerOptions {
  std::string bin_dir;  // iotax-echo-server and iotaxd
  std::string log_dir;  // stderr of failed runs' server and agent are kept here
  int online_cpus = 1;
  std::string calibration_arg;  // iotaxd --calibration ("" = its default)
  // iotax-bench --stacks: the attached proof runs start iotaxd --stacks and
  // write their measured window's profiles under OUT/stacks/runs/ (stack_capture.h).
  std::string stacks_out_dir;  // OUT; "" = no stacks
};

// The client's window for this point (agent runs are longer: iotaxd's
// verdict window must fit inside).
absl::Duration MeasuredWindow(const Point& point, const BenchConfig& config);
// Wall time one run is expected to take, for the progress bar's estimate
// (without the fixed set-up overhead, which the bench learns as it goes).
double ExpectedRunSeconds(const Point& point, const BenchConfig& config);

RunRecord RunPoint(const RunSlot& slot, double offered_rate, const BenchConfig& config, const RunnerOptions& options);

}  // namespace iotax::bench
