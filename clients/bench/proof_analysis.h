// The proof: for each setup, under the same open-loop load below the blocking
// server's saturation,
//   actual saving    = CPU per request of the blocking server − that of the
//                      io_uring server, both measured WITHOUT the agent (the
//                      median of the differences within each repeat);
//   predicted saving = the agent's estimated_saving_share × the blocking
//                      server's CPU per request in the run it was attached to
//                      (the share is of the process's CPU as the kernel
//                      accounts it, docs/methodology.md);
//   error            = predicted − actual (and relative to actual).
// Where the error is large, the miss is split into the parts of the cost
// model, from the attached runs of both servers (same tracer on both):
//   actual − predicted =  (actual − the agent's difference)     truth moved / agent overhead
//                       + (Δ user time − indirect estimate)      cache/TLB effects, needs a PMU
//                       + (Δ syscall time − (direct − async))    syscall work beyond the block
//                       + Δ untraced kernel time                 softirq, scheduler, task work
// and the largest parts in the direction of the miss are named.
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "bench_aggregate.h"
#include "bench_config.h"
#include "nlohmann/json.hpp"
#include "run_record.h"

namespace iotax::bench {

// The cost model's terms and the measured parts, per request in µs.
struct ProofParts {
  double actual = 0;               // unattached blocking − io_uring
  double attached_difference = 0;  // the same as the agent accounted it (user + syscalls + untraced)
  double user_b = 0, user_u = 0;
  double syscall_b = 0, syscall_u = 0;
  double untraced_b = 0, untraced_u = 0;  // includes io_uring worker time
  double direct = 0, async_cost = 0;
  std::optional<double> indirect;         // nullopt: no PMU
  double syscalls_b = 0, syscalls_u = 0;  // per request
  double switches_b = 0, switches_u = 0;  // server context switches per request
  double client_b = 0, client_u = 0;      // client CPU per request
  double ipis_b = NAN, ipis_u = NAN;      // machine-wide IPIs per request
};

struct MissPart {
  std::string name;  // "user", "syscalls", "untraced", "noise"
  double us = 0;     // contribution to actual − predicted
  std::string text;  // one sentence
};

// Splits actual − model into the parts above; sorted by how much each pushes
// in the direction of the miss (largest first).
std::vector<MissPart> SplitMiss(const ProofParts& parts);

// A prediction is poor when it misses by more than max(0.5 µs, 25% of the actual saving).
bool IsPoor(double predicted_us, double actual_us);

struct ProofRow {
  Setup setup;
  double fraction = 0;
  Spread rate;
  Spread blocking_cpu_us, uring_cpu_us, actual_us;
  Spread blocking_attached_cpu_us, uring_attached_cpu_us;
  Spread saving_share, predicted_us;
  std::optional<double> error_us, relative_error;
  Spread blocking_tput, blocking_attached_tput;
  std::optional<double> agent_cpu_overhead_us;  // attached − unattached blocking CPU per request
  std::optional<double> agent_tput_change;      // attached / unattached − 1
  std::optional<ProofParts> parts;
  std::string verdict_blocking, verdict_uring, async_cost_source;
  int invalid_runs = 0;
  bool poor = false;
  std::vector<std::string> why;  // for poor rows: the parts that miss; otherwise notes

  nlohmann::json ToJson() const;
};

struct ProofSummary {
  std::vector<ProofRow> rows;
  std::optional<double> median_abs_error_us, worst_abs_error_us;
  std::optional<double> median_abs_relative_error, worst_abs_relative_error;
  std::string worst_setup;
  nlohmann::json ToJson() const;
};

// Per-run pairing: repeat r of the blocking server with repeat r of the
// io_uring server (they ran back to back).
Spread PairedDifference(const std::vector<RunRecord>& blocking, const std::vector<RunRecord>& uring);

ProofSummary AnalyzeProof(const std::vector<RunRecord>& runs, const BenchConfig& config);

}  // namespace iotax::bench
