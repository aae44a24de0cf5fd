// iotaxd attached to one server for one run: started with the target's PID,
// a free port and a verdict window that fits inside the run's measured
// window; read at the window's end through /api/report (the verdict, its
// parts, the syscall counts) and /metrics (the exported ratios, as a
// cross-check of the Prometheus export); stopped after the run. With stacks
// (iotax-bench --stacks) iotaxd takes them too and /api/stacks is read.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "child_process.h"
#include "nlohmann/json.hpp"

namespace iotax::bench {

// One target's part of the report (docs/methodology.md has the schema);
// nullopt where the agent said null.
struct AgentEstimate {
  double window_s = 0;
  double cpu_s = 0;  // the process's CPU as the kernel accounts it
  std::string cpu_source;
  double user_s = 0, syscall_s = 0, io_worker_s = 0;
  std::optional<double> untraced_s;  // kernel time outside syscalls
  uint64_t syscalls = 0;             // completed calls, every class
  std::map<std::string, uint64_t> calls_by_class;
  uint64_t voluntary = 0, involuntary = 0;
  std::string level, confidence, async_cost_source, summary;
  std::optional<double> overhead_share, direct_s, indirect_s, async_cost_s, saving_share, saving_s;
  std::optional<double> saving_share_lo, saving_share_hi, async_cost_per_call_s, direct_per_blocked_call_s;
  std::optional<double> runqueue_wait_p99_s;
  uint64_t blocked_io_calls = 0;
  std::vector<std::string> reasons;
  bool pmu_up = false;
  bool calibration_used = false;
  // From /metrics (iotax_blocking_overhead_ratio, iotax_async_saving_ratio, iotax_verdict_level).
  std::optional<double> metric_overhead_ratio, metric_saving_ratio, metric_verdict_level;

  nlohmann::json ToJson() const;
  static AgentEstimate FromJson(const nlohmann::json& j);
};

// The target `pid` of an /api/report document.
absl::StatusOr<AgentEstimate> ParseAgentReport(const std::string& body, int pid);
// Adds the three verdict gauges of `pid` from a Prometheus text exposition.
void ParseAgentMetrics(const std::string& text, int pid, AgentEstimate* out);

// The two folded profiles iotaxd --stacks serves (cumulative since attach).
struct FoldedProfiles {
  std::string offcpu;
  std::string oncpu;
};

class AgentSession {
 public:
  // `calibration_arg` is iotaxd's --calibration value ("" for its default);
  // `stacks` starts it with --stacks.
  static absl::StatusOr<std::unique_ptr<AgentSession>> Start(const std::string& iotaxd, int pid,
                                                             absl::Duration verdict_window,
                                                             const std::string& calibration_arg,
                                                             const std::string& stderr_path, bool stacks = false);
  absl::StatusOr<AgentEstimate> Fetch();
  // The folded off-CPU and on-CPU profiles since attach (/api/stacks; needs `stacks`).
  absl::StatusOr<FoldedProfiles> FetchStacks();
  // Stops iotaxd (SIGTERM: it detaches its probes).
  void Stop();
  double startup_s() const { return startup_s_; }

 private:
  std::unique_ptr<ChildProcess> child_;
  uint16_t port_ = 0;
  int pid_ = 0;
  double startup_s_ = 0;
  std::string stderr_path_;
};

}  // namespace iotax::bench
