// A finished run as numbers (RunReport), and its two renderings: a short
// human table and one JSON object whose keys the bench runner relies on
// (keep them stable; add, never rename).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "log_linear_histogram.h"

namespace iotax::client {

struct LatencySummary {
  uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0;
  double mean = 0;
};
LatencySummary Summarize(const LogLinearHistogram& h);

struct RunReport {
  // What was asked.
  std::string model;   // blocking | uring
  std::string mode;    // closed | open
  std::string host;
  int port = 0;
  int conns = 0;
  uint64_t msg_size = 0;
  int depth = 0;       // closed loop; 0 in open loop
  double rate = 0;     // open loop requests/s; 0 in closed loop
  int rings = 0;       // uring model; 0 for blocking
  bool busy_poll = false;
  bool realtime = false;  // --realtime: the client's threads ran at SCHED_FIFO
  uint64_t seed = 0;
  double warmup_s = 0;
  double duration_s = 0;

  // What happened.
  uint64_t requests = 0;
  double throughput_rps = 0;
  LatencySummary latency_ns;
  LatencySummary schedule_lag_ns;  // open loop; zeros in closed loop
  uint64_t errors = 0;
  std::string first_error;
  uint64_t bytes_verified = 0;
  double client_user_s = 0, client_sys_s = 0;
  int64_t voluntary_switches = 0, involuntary_switches = 0;
  // Time the client's threads were runnable but waited for a CPU, summed
  // over threads, during the measured window; negative when unknown. Send
  // lag with a large wait here is other work on the client's CPUs, not the
  // client's own capacity.
  double runqueue_wait_s = -1;
  double machine_busy_s = 0, machine_total_s = 0;
  int machine_cores = 0;
  uint64_t listen_overflows = 0, listen_drops = 0;  // growth during the run
  bool valid = true;
  std::vector<std::string> invalid_reasons;

  double ClientCpuPerRequestUs() const {
    return requests ? (client_user_s + client_sys_s) * 1e6 / static_cast<double>(requests) : 0;
  }
};

std::string FormatHumanReport(const RunReport& r);
// One line, no trailing newline.
std::string FormatJsonReport(const RunReport& r);

}  // namespace iotax::client
