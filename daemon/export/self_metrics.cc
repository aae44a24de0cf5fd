#include "self_metrics.h"

#include <sys/resource.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "families.h"

namespace iotax {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6; }

}  // namespace

std::optional<uint64_t> ParseVmRssBytes(absl::string_view status_text) {
  for (absl::string_view line : absl::StrSplit(status_text, '\n')) {
    if (!absl::ConsumePrefix(&line, "VmRSS:")) continue;
    line = absl::StripAsciiWhitespace(line);
    // The kernel always prints kB (KiB).
    if (!absl::ConsumeSuffix(&line, "kB")) return std::nullopt;
    uint64_t kib = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line), &kib)) return std::nullopt;
    return kib * 1024;
  }
  return std::nullopt;
}

SelfUsage ReadSelfUsage(const std::string& proc_self) {
  SelfUsage usage;
  rusage ru{};
  if (getrusage(RUSAGE_SELF, &ru) == 0) {
    usage.user_cpu_seconds = Seconds(ru.ru_utime);
    usage.system_cpu_seconds = Seconds(ru.ru_stime);
  }
  std::ifstream in(proc_self + "/status");
  std::stringstream text;
  text << in.rdbuf();
  if (auto rss = ParseVmRssBytes(text.str())) usage.resident_bytes = static_cast<double>(*rss);
  return usage;
}

std::vector<MetricFamily> BuildSelfMetricFamilies(const SelfUsage& usage) {
  std::vector<MetricFamily> out;
  MetricFamily cpu = prom::Family(
      "iotax_agent_cpu_seconds_total",
      "CPU time iotaxd itself used, all threads: user mode, or system (kernel on its behalf: syscalls, map reads)",
      MetricType::Counter);
  prom::AddValue(cpu, {{"mode", "user"}}, usage.user_cpu_seconds);
  prom::AddValue(cpu, {{"mode", "system"}}, usage.system_cpu_seconds);
  out.push_back(std::move(cpu));
  if (usage.resident_bytes) {
    MetricFamily rss = prom::Family(
        "iotax_agent_resident_memory_bytes",
        "Resident memory of iotaxd (VmRSS of /proc/self/status); BPF maps are kernel memory and not included",
        MetricType::Gauge);
    prom::AddValue(rss, {}, *usage.resident_bytes);
    out.push_back(std::move(rss));
  }
  return out;
}

std::vector<MetricFamily> SelfMetricsCollector::Collect() const {
  return BuildSelfMetricFamilies(ReadSelfUsage(proc_self_));
}

}  // namespace iotax
