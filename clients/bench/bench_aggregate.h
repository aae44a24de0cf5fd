// The repeats of each point reduced to a median and a spread (min, max),
// with the derived figures: per-request CPU and switches, slowdown against
// the unloaded round trip, and the agent's figures when it was attached.
// Failed runs are left out and counted; runs the client flagged invalid
// (fell behind its schedule, listen overflows) are kept and counted.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "bench_matrix.h"
#include "nlohmann/json.hpp"
#include "run_record.h"

namespace iotax::bench {

struct Spread {
  double median = std::numeric_limits<double>::quiet_NaN();
  double min = std::numeric_limits<double>::quiet_NaN();
  double max = std::numeric_limits<double>::quiet_NaN();
  int n = 0;
  bool has() const { return n > 0; }
  nlohmann::json ToJson() const;
};
// NaN values are ignored.
Spread Summarize(const std::vector<double>& values);

struct PointSummary {
  Point point;
  int runs_ok = 0, runs_failed = 0, runs_invalid = 0;
  std::vector<std::string> notes;  // distinct errors and invalid reasons
  Spread offered_rate, throughput;
  Spread p50_us, p99_us, p999_us;
  Spread slowdown_p50, slowdown_p99, slowdown_p999;  // NaN without an unloaded round trip
  Spread server_cpu_us, server_user_us, server_sys_us, client_cpu_us, machine_cpu_us;
  Spread server_switches, syscalls;  // per request; syscalls only with the agent
  Spread ipis;                       // machine-wide IPIs per request
  Spread server_threads;
  // Agent, when attached.
  Spread overhead_share, saving_share, predicted_saving_us;
  std::string verdict;  // most common level (confidence), e.g. "maybe (low)"

  nlohmann::json ToJson() const;
};

// One summary per point of `order` (execution order, repeats folded), for
// the points that have at least one run in `runs`.
std::vector<PointSummary> SummarizePoints(const std::vector<RunRecord>& runs, const std::vector<RunSlot>& order);

}  // namespace iotax::bench
