// A report over a window: for every target, where its CPU and its threads'
// time went, the top costs, the latency figures and the verdict. Built from
// a sequence of snapshots (oldest first; consecutive pairs are the
// sub-windows of the verdict's interval). Pure apart from the callback that
// asks how many CPUs a process may use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "async_cost.h"
#include "snapshot.h"
#include "verdict.h"

namespace iotax {

struct TopCost {
  std::string name;     // e.g. "blocking socket reads (sleep, switch, wakeup)"
  double cpu_seconds = 0;
  double share = 0;     // of the process's CPU in the window
};

// A service's processes over the window (iotax report --comm/--cgroup).
struct ServiceReport {
  std::string kind;  // "comm", "cgroup" or "pids"
  std::string name;
  uint64_t processes_seen = 0;    // counted into it during the window: running at its start, plus joined
  uint64_t processes_joined = 0;  // started (forked by a member, or found by a scan) during the window
  uint64_t processes_exited = 0;  // exited during the window
  uint64_t processes_running = 0; // at the end
  int cpus = 0;                   // CPUs it may use (0: unknown)
};

// The service's processes between two snapshots of its slot (first, last).
ServiceReport ServiceOver(const TargetSnapshot& first, const TargetSnapshot& last);

struct TargetReport {
  int pid = 0;  // a stand-in for a service (kServicePidBase + slot)
  std::string comm;
  bool up = false;
  std::optional<ServiceReport> service;
  Verdict verdict;               // includes the whole-window breakdown
  std::vector<TopCost> top_costs;  // largest first
};

struct CalibrationInfo {
  bool used = false;
  std::string path;
  std::string created_at;
  std::string machine_key;
  std::string note;   // where it came from, or why there is none
  std::string rejected;  // why this machine's calibration was not trusted ("" otherwise)
};

struct Report {
  std::string generated_at;  // RFC 3339, UTC
  PmuStatus pmu;             // as of the last snapshot
  SamplingStatus sampling;   // iotaxd --sample: the figures are estimates
  CalibrationInfo calibration;
  std::vector<TargetReport> targets;
};

struct ReportContext {
  const Calibration* calibration = nullptr;
  std::string calibration_note;
  std::string calibration_rejected;  // CalibrationLookup::rejected
  VerdictThresholds thresholds;
  std::function<int(int pid)> cpus_of;  // nullptr: unknown (0)
  std::string generated_at;             // "" = now
};

// Every target of the last snapshot (the newest slot per PID) gets a report
// over the snapshots in which it appears.
Report BuildReport(const std::vector<const AgentSnapshot*>& snapshots, const ReportContext& context);

// The costs that make up the process's CPU, largest first (at most `limit`).
std::vector<TopCost> TopCosts(const BlockingBreakdown& b, size_t limit = 6);

// The current time as RFC 3339 UTC ("2025-01-31T12:00:00Z").
std::string NowRfc3339();

}  // namespace iotax
