// docs/metrics.md's "Tier 3" section and the IPC exporter must not drift:
// every family a full view emits is documented there with its type, every
// documented row is emitted, and every `after` label value is documented.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "ipc_metrics.h"

namespace iotax::ipc {
namespace {

std::map<std::string, std::string> DocumentedTier3() {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/metrics.md");
  EXPECT_TRUE(in.good()) << "docs/metrics.md missing";
  std::map<std::string, std::string> out;
  std::string line;
  bool tier3 = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) tier3 = line.rfind("## Tier 3", 0) == 0;
    if (!tier3 || line.rfind("| `iotax_", 0) != 0) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    std::string name(absl::StripAsciiWhitespace(cells[1]));
    out[name.substr(1, name.size() - 2)] = std::string(absl::StripAsciiWhitespace(cells[2]));
  }
  return out;
}

// A view in which every family has a series: a target with windows, a
// regression and curves for every label.
IpcView FullView() {
  IpcView v;
  v.status.up = true;
  v.status.instructions_event = "instructions";
  v.status.cycles_event = "cycles";
  v.status.instructions_counter = {1000, 10, 10};
  v.status.cycles_counter = {2000, 10, 5};
  TargetIpc t;
  t.pid = 1;
  t.comm = "x";
  t.has_last_window = true;
  t.last_window = {1, 0, 100, 1000, 2000, 1, 1};
  RecoveryCurve c;
  c.marginal = {{1000, 1.5}};
  c.steady_ok = true;
  c.steady_ipc = 2;
  for (RecoveryCurve& lc : t.curves) lc = c;
  t.all_returns = c;
  t.regression.ok = true;
  t.regression.cycles_per_syscall.estimated = true;
  t.regression.cycles_per_switch.estimated = true;
  v.targets.push_back(t);
  return v;
}

std::string TypeName(prometheus::MetricType t) {
  return t == prometheus::MetricType::Counter ? "counter" : t == prometheus::MetricType::Gauge ? "gauge" : "other";
}

TEST(IpcMetricsDoc, EveryEmittedFamilyIsDocumentedWithItsType) {
  const auto documented = DocumentedTier3();
  ASSERT_FALSE(documented.empty());
  for (const auto& f : BuildIpcMetricFamilies(FullView())) {
    auto it = documented.find(f.name);
    ASSERT_NE(it, documented.end()) << f.name << " is not in the Tier 3 section of docs/metrics.md";
    EXPECT_EQ(it->second, TypeName(f.type)) << f.name;
  }
}

TEST(IpcMetricsDoc, EveryDocumentedFamilyIsEmitted) {
  std::map<std::string, bool> emitted;
  for (const auto& f : BuildIpcMetricFamilies(FullView())) emitted[f.name] = true;
  for (const auto& [name, type] : DocumentedTier3()) {
    EXPECT_TRUE(emitted.count(name)) << name << " is documented but never emitted";
  }
}

TEST(IpcMetricsDoc, EveryLabelValueIsDocumented) {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/metrics.md");
  std::stringstream doc;
  doc << in.rdbuf();
  for (auto v : kSegmentLabelNames) {
    EXPECT_NE(doc.str().find("`" + std::string(v) + "`"), std::string::npos) << "after=" << v;
  }
  for (const char* reason : {"vm_without_pmu", "no_hardware_pmu", "no_instructions_or_cycles", "not_permitted",
                             "open_failed", "disabled", "multiplexed", "missed_switch"}) {
    EXPECT_NE(doc.str().find("`" + std::string(reason) + "`"), std::string::npos) << reason;
  }
}

}  // namespace
}  // namespace iotax::ipc
