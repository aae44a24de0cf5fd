// The agent's own cost, exported next to what it measures: CPU time of
// iotaxd (user and kernel, all threads) and its resident memory, read at
// scrape time (docs/metrics.md, "Agent process").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace iotax {

struct SelfUsage {
  double user_cpu_seconds = 0;
  double system_cpu_seconds = 0;
  std::optional<double> resident_bytes;  // absent when /proc could not be read
};

// The VmRSS line of /proc/PID/status ("VmRSS:    1234 kB") in bytes;
// nullopt when the line is missing or malformed.
std::optional<uint64_t> ParseVmRssBytes(absl::string_view status_text);

// CPU from getrusage(RUSAGE_SELF) (microseconds, every thread, exited ones
// included) and memory from `proc_self`/status.
SelfUsage ReadSelfUsage(const std::string& proc_self = "/proc/self");

// iotax_agent_cpu_seconds_total{mode="user"|"system"} and, when known,
// iotax_agent_resident_memory_bytes.
std::vector<prometheus::MetricFamily> BuildSelfMetricFamilies(const SelfUsage& usage);

// Reads the usage at every scrape. When /proc cannot be read the memory
// family is left out (never a made-up 0).
class SelfMetricsCollector : public prometheus::Collectable {
 public:
  explicit SelfMetricsCollector(std::string proc_self = "/proc/self") : proc_self_(std::move(proc_self)) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::string proc_self_;
};

}  // namespace iotax
