// What one run measured: the client's side (throughput, latency, its CPU),
// the server's CPU and context switches over exactly the client's measured
// window (/proc), and, when attached, iotaxd's estimate. Stored in
// results.json one object per run; the derived per-request figures are
// computed from the stored ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent_session.h"
#include "bench_matrix.h"
#include "nlohmann/json.hpp"

namespace iotax::bench {

struct RunRecord {
  std::string key;  // RunSlot::Key()
  Point point;
  int repeat = 0;
  double offered_rate = 0;  // open loop, requests/s; 0 in the closed loop
  std::string server_cpus, client_cpus;
  std::string started_at;    // RFC 3339
  double wall_s = 0;         // the whole run, set-up to teardown
  double load_average = -1;  // 1-minute load average when the run started (other work on the machine)

  bool ok = false;  // measured; false: `error` says why
  std::string error;

  // Client (the window it measured).
  double duration_s = 0;
  uint64_t requests = 0;
  double throughput_rps = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0, mean_us = 0;
  double send_lag_p99_us = 0;
  bool valid = true;  // the client's verdict on its own run (schedule lag, listen overflows)
  std::vector<std::string> invalid_reasons;
  double client_cpu_s = 0;
  int64_t client_voluntary = 0, client_involuntary = 0;
  double machine_busy_s = 0, machine_total_s = 0;

  // Server, over the same window.
  double server_window_s = 0;
  double server_cpu_s = 0, server_user_s = 0, server_sys_s = 0;
  uint64_t server_voluntary = 0, server_involuntary = 0;
  int server_threads = 0;
  std::string server_cpu_source;
  // Machine-wide rescheduling + function-call IPIs over the window; -1 when unreadable.
  int64_t ipis = -1;

  // iotaxd, when point.agent.
  std::optional<AgentEstimate> agent;
  double agent_startup_s = 0;
  // iotax-bench --stacks: why this attached proof run has no stacks ("" = it has them, or none were asked for).
  std::string stacks_error;

  // Per request (0 when nothing was answered).
  double ServerCpuPerRequestUs() const;
  double ServerUserPerRequestUs() const;
  double ServerSysPerRequestUs() const;
  double ClientCpuPerRequestUs() const;
  double MachineCpuPerRequestUs() const;
  double ServerSwitchesPerRequest() const;
  // NaN when the IPIs could not be read.
  double IpisPerRequest() const;
  // From the agent (nullopt without it).
  std::optional<double> SyscallsPerRequest() const;
  // estimated_saving_share x this run's server CPU per request.
  std::optional<double> PredictedSavingPerRequestUs() const;

  nlohmann::json ToJson() const;
  static absl::StatusOr<RunRecord> FromJson(const nlohmann::json& j);
};

// A point's identity (id, phase, server, setup, fraction, agent), the fields
// a run record and a point summary both start with; FromJson reads them back.
nlohmann::json PointFieldsJson(const Point& point);

}  // namespace iotax::bench
