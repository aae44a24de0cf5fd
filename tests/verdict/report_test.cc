// The report: JSON schema against docs/methodology.md (every documented
// field present, every emitted field documented), nulls where values cannot
// be computed, and the text form's contents.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "report.h"
#include "report_json.h"
#include "report_text.h"
#include "synthetic_workload.h"

namespace iotax {
namespace {

using nlohmann::json;
using testing::MakeSnapshots;
using testing::Pointers;
using testing::Workload;

// Rows "| `path` | type | meaning |" of the "## The report schema" section.
std::map<std::string, std::string> DocumentedFields() {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/methodology.md");
  EXPECT_TRUE(in.good()) << "docs/methodology.md missing";
  std::map<std::string, std::string> out;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "## ")) inside = absl::StartsWith(line, "## The report schema");
    if (!inside || !absl::StartsWith(line, "| `")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    if (cells.size() < 4) continue;
    std::string path(absl::StripAsciiWhitespace(cells[1]));
    path = path.substr(1, path.size() - 2);
    out[path] = std::string(absl::StripAsciiWhitespace(cells[2]));
  }
  return out;
}

// Every path in `j`, arrays as "[]" (first element), objects documented as
// "map" not descended into.
void Walk(const json& j, const std::string& prefix, const std::map<std::string, std::string>& doc,
          std::set<std::string>& out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      const std::string path = prefix.empty() ? it.key() : prefix + "." + it.key();
      out.insert(path);
      auto d = doc.find(path);
      if (d != doc.end() && d->second == "map") continue;
      Walk(it.value(), path, doc, out);
    }
  } else if (j.is_array() && !j.empty() && (j[0].is_object() || j[0].is_array())) {
    Walk(j[0], prefix + "[]", doc, out);
  }
}

const json* Find(const json& root, const std::string& path) {
  const json* at = &root;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    bool array = absl::ConsumeSuffix(&part, "[]");
    if (!at->is_object() || !at->contains(std::string(part))) return nullptr;
    at = &(*at)[std::string(part)];
    if (array) {
      if (!at->is_array() || at->empty()) return nullptr;
      at = &(*at)[0];
    }
  }
  return at;
}

Report SyntheticReport(const Workload& w, int steps, const Calibration* cal) {
  static std::vector<AgentSnapshot> keep;
  keep = MakeSnapshots(w, steps);
  ReportContext ctx;
  ctx.calibration = cal;
  ctx.calibration_note = cal ? "calibration from test" : "no calibration at /x: run `iotax calibrate`";
  ctx.cpus_of = [](int) { return 1; };
  ctx.generated_at = "2025-01-01T00:00:00Z";
  return BuildReport(Pointers(keep), ctx);
}

// The synthetic workload as a service of three processes: one joins by a
// scan and two are forked (the kernel follows them) during the window, two
// exit; its CPUs are the union of its members'.
std::vector<AgentSnapshot> ServiceSnapshots(const Workload& w, int steps) {
  std::vector<AgentSnapshot> s = MakeSnapshots(w, steps);
  for (size_t i = 0; i < s.size(); ++i) {
    TargetSnapshot& t = s[i].targets[0];
    t.pid = kServicePidBase;
    t.comm = "web";
    const bool end = i + 1 == s.size();
    t.service = ServiceFacts{"comm", "web", end ? std::vector<int>{1, 2, 5} : std::vector<int>{1, 2, 3}, end ? 4u : 3u,
                             4};
    t.stats.children_followed = end ? 2 : 0;
    t.stats.processes_exited = end ? 2 : 0;
  }
  return s;
}

Report SyntheticServiceReport(const Workload& w, int steps) {
  static std::vector<AgentSnapshot> keep;
  keep = ServiceSnapshots(w, steps);
  ReportContext ctx;
  ctx.cpus_of = [](int) { return 1; };  // a process's: not the service's
  ctx.generated_at = "2025-01-01T00:00:00Z";
  return BuildReport(Pointers(keep), ctx);
}

Calibration TestCalibration() {
  Calibration c;
  c.machine_key = "k";
  c.created_at = "2025-01-01T00:00:00Z";
  c.path = "/tmp/cal.json";
  CalibrationPoint p;
  p.blocked_io_calls_per_second = 20000;
  p.async_cost_per_op_seconds = 0.3e-6;
  c.points = {p};
  return c;
}

TEST(ReportJson, EveryDocumentedFieldIsPresentAndEveryFieldIsDocumented) {
  const auto doc = DocumentedFields();
  ASSERT_GT(doc.size(), 30u);
  Workload w;
  w.runqueue_wait_ns = 100'000;
  w.switch_run_ns = 300;  // bpf_stats on: the tracer's correction has its figures
  w.user_paths = true;    // the indirect part from user time, with its path
  const Calibration cal = TestCalibration();
  const json j = ReportToJson(SyntheticReport(w, 5, &cal));
  const json service = ReportToJson(SyntheticServiceReport(w, 5));
  for (const auto& [path, type] : doc) {
    // A process's report has "service": null; a service's has its fields.
    const json* v = Find(absl::StartsWith(path, "targets[].service.") ? service : j, path);
    ASSERT_NE(v, nullptr) << path << " is documented but not in the report";
  }
  std::set<std::string> emitted;
  Walk(j, "", doc, emitted);
  Walk(service, "", doc, emitted);
  for (const std::string& path : emitted) EXPECT_TRUE(doc.count(path)) << path << " is emitted but not documented";
}

TEST(ReportJson, TheContractFieldsHaveTheirTypes) {
  Workload w;
  const Calibration cal = TestCalibration();
  const json j = ReportToJson(SyntheticReport(w, 5, &cal));
  ASSERT_EQ(j["targets"].size(), 1u);
  const json& t = j["targets"][0];
  EXPECT_EQ(t["pid"], w.pid);
  EXPECT_EQ(t["comm"], w.comm);
  EXPECT_EQ(t["up"], true);
  EXPECT_NEAR(t["window_seconds"].get<double>(), 5.0, 1e-9);
  EXPECT_GT(t["cpu_seconds"].get<double>(), 0);
  EXPECT_TRUE(t["requests_hint"].is_null());
  const json& v = t["verdict"];
  EXPECT_EQ(v["level"], "likely_worth_it");
  EXPECT_EQ(v["level_value"], 3);
  EXPECT_TRUE(v["confidence"] == "low" || v["confidence"] == "medium" || v["confidence"] == "high");
  EXPECT_TRUE(v["overhead_share"].is_number());
  ASSERT_TRUE(v["overhead_share_ci"].is_array());
  EXPECT_EQ(v["overhead_share_ci"].size(), 2u);
  EXPECT_LE(v["overhead_share_ci"][0].get<double>(), v["overhead_share"].get<double>());
  EXPECT_TRUE(v["indirect_cpu_seconds"].is_null());  // no PMU
  EXPECT_EQ(v["async_cost_source"], "calibration");
  EXPECT_NEAR(v["estimated_saving_cpu_seconds"].get<double>(),
              v["direct_cpu_seconds"].get<double>() - v["async_cost_cpu_seconds"].get<double>(), 1e-12);
  EXPECT_NEAR(v["estimated_saving_share"].get<double>(),
              v["estimated_saving_cpu_seconds"].get<double>() / t["cpu_seconds"].get<double>(), 1e-12);
  EXPECT_TRUE(v["summary"].is_string());
  EXPECT_GE(v["reasons"].size(), 3u);
  EXPECT_EQ(j["calibration"]["used"], true);
  EXPECT_EQ(j["pmu"]["up"], false);
  EXPECT_EQ(j["pmu"]["reason"], "vm_without_pmu");
  EXPECT_EQ(j["sampling"]["fraction"], 1.0);
  EXPECT_TRUE(j["sampling"]["period_seconds"].is_null());
}

TEST(ReportJson, SampledFiguresSaySo) {
  Workload w;
  Report report = SyntheticReport(w, 5, nullptr);
  report.sampling.fraction = 0.1;
  report.sampling.period_ns = 10'000'000'000;
  const json j = ReportToJson(report);
  EXPECT_EQ(j["sampling"]["fraction"], 0.1);
  EXPECT_EQ(j["sampling"]["period_seconds"], 10.0);
  EXPECT_NE(FormatReportText(report).find("tracing: sampled, 10% of the time (one window every 10 s): every figure "
                                          "is an estimate"),
            std::string::npos);
  EXPECT_NE(FormatReportText(SyntheticReport(w, 5, nullptr)).find("tracing: every event"), std::string::npos);
}

TEST(ReportJson, InsufficientDataHasNullsNotZeros) {
  Workload w;
  w.requests_per_second = 1;
  const json j = ReportToJson(SyntheticReport(w, 5, nullptr));
  const json& v = j["targets"][0]["verdict"];
  EXPECT_EQ(v["level"], "insufficient_data");
  EXPECT_EQ(v["level_value"], 0);
  for (const char* f : {"overhead_share", "overhead_share_ci", "estimated_saving_share", "estimated_saving_share_ci",
                        "estimated_saving_cpu_seconds", "indirect_cpu_seconds"}) {
    EXPECT_TRUE(v[f].is_null()) << f;
  }
  EXPECT_EQ(v["async_cost_source"], "target_nonblocking_calls");
  EXPECT_EQ(j["calibration"]["used"], false);
  EXPECT_TRUE(j["calibration"]["path"].is_null());
}

TEST(ReportJson, ARejectedCalibrationSaysWhyAndWhichSourceWasUsed) {
  Workload w;
  static std::vector<AgentSnapshot> keep;
  keep = MakeSnapshots(w, 5);
  ReportContext ctx;
  ctx.calibration_note =
      "/x/calibration.json: the calibration for this machine (2025-01-01T00:00:00Z) is not used: the row at 60000 "
      "requests/s offered was not clean (the load client could not keep its schedule): re-run `iotax calibrate` on "
      "a quiet machine; meanwhile estimated from the target's own calls";
  ctx.calibration_rejected = "the row at 60000 requests/s offered was not clean";
  ctx.cpus_of = [](int) { return 1; };
  const Report r = BuildReport(Pointers(keep), ctx);
  const json j = ReportToJson(r);
  EXPECT_EQ(j["calibration"]["used"], false);
  EXPECT_EQ(j["calibration"]["rejected"], ctx.calibration_rejected);
  EXPECT_EQ(j["calibration"]["note"], ctx.calibration_note);
  EXPECT_EQ(j["targets"][0]["verdict"]["async_cost_source"], "target_nonblocking_calls");
  EXPECT_TRUE(absl::StrContains(FormatReportText(r), "async cost: " + ctx.calibration_note));
  // Used or absent: null.
  const Calibration cal = TestCalibration();
  EXPECT_TRUE(ReportToJson(SyntheticReport(w, 5, &cal))["calibration"]["rejected"].is_null());
  EXPECT_TRUE(ReportToJson(SyntheticReport(w, 5, nullptr))["calibration"]["rejected"].is_null());
}

TEST(ReportText, ShowsTheVerdictItsReasonsAndWhereTheTimeWent) {
  Workload w;
  w.runqueue_wait_ns = 900'000;
  const Calibration cal = TestCalibration();
  const Report r = SyntheticReport(w, 5, &cal);
  const std::string text = FormatReportText(r);
  for (const char* part : {"Verdict: LIKELY WORTH IT", "An async design would save about", "Why:", "Indirect part unavailable",
                           "What an async design pays instead", "Where the CPU went", "blocking socket reads",
                           "Where the threads' time went", "blocked in IO", "woken, waiting for a CPU",
                           "Syscalls by class", "net_read", "(95% intervals)", "PID 4242 (server)",
                           "tier 3 (IPC): unavailable (vm_without_pmu)", "calibration from test", "tracer's own time not removed: kernel.bpf_stats_enabled was off"}) {
    EXPECT_TRUE(absl::StrContains(text, part)) << part << "\n" << text;
  }
  // Lines stay readable in a terminal.
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t columns = 0;
    for (unsigned char c : line) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_LE(columns, 100u) << line;
  }
}

TEST(ServiceReport, CountsTheProcessesThatWereThereJoinedAndExited) {
  Workload w;
  const Report r = SyntheticServiceReport(w, 5);
  ASSERT_EQ(r.targets.size(), 1u);
  ASSERT_TRUE(r.targets[0].service);
  const ServiceReport& s = *r.targets[0].service;
  EXPECT_EQ(s.processes_joined, 3u);  // one found by a scan, two forked
  EXPECT_EQ(s.processes_seen, 6u);    // three at the start, three joined
  EXPECT_EQ(s.processes_exited, 2u);
  EXPECT_EQ(s.processes_running, 3u);
  // The latency side over the service's CPUs, not one process's.
  EXPECT_EQ(r.targets[0].verdict.breakdown.latency.cpus, 4);
  EXPECT_EQ(r.targets[0].verdict.breakdown.latency.threads, w.threads);

  EXPECT_EQ(ServiceHeader(s, w.threads),
            "Service (every process named web), one verdict for all its processes: 6 processes seen, 3 joined, 2 "
            "exited, 3 running at the end with 101 threads on 4 CPUs");
  const std::string text = FormatReportText(r);
  EXPECT_TRUE(absl::StrContains(text, "Service (every process named web), one verdict")) << text;
  EXPECT_TRUE(absl::StrContains(text, "; 5.0 s window, 5")) << text;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t columns = 0;  // µ is two bytes, one column
    for (unsigned char c : line) columns += (c & 0xC0) != 0x80 ? 1 : 0;
    EXPECT_LE(columns, 100u) << line;
  }
  EXPECT_FALSE(absl::StrContains(text, "PID ")) << text;
  EXPECT_TRUE(absl::StrContains(text, "of the service's CPU")) << text;
  const json j = ReportToJson(r)["targets"][0];
  EXPECT_GE(j["pid"].get<int>(), kServicePidBase);  // a stand-in, never a process
  EXPECT_EQ(j["service"]["processes_seen"], 6);
  EXPECT_EQ(j["service"]["cpus"], 4);
}

TEST(ServiceReport, ACgroupIsNamedAsOne) {
  ServiceReport s;
  s.kind = "cgroup";
  s.name = "/sys/fs/cgroup/system.slice/db.service";
  s.processes_seen = 1;
  EXPECT_EQ(ServiceHeader(s, 1),
            "Service (cgroup /sys/fs/cgroup/system.slice/db.service), one verdict for all its processes: 1 process "
            "seen, 0 joined, 0 exited, 0 running at the end with 1 thread");
}

TEST(ReportText, AnEmptyReportSaysSo) {
  Report r;
  r.pmu.reason = "disabled";
  EXPECT_TRUE(absl::StrContains(FormatReportText(r), "No target was traced"));
}

TEST(TopCosts, LargestFirstAndTheyAddUpToTheCpu) {
  Workload w;
  const Report r = SyntheticReport(w, 3, nullptr);
  const auto& costs = r.targets[0].top_costs;
  ASSERT_GE(costs.size(), 3u);
  double sum = 0;
  for (size_t i = 0; i < costs.size(); ++i) {
    sum += costs[i].cpu_seconds;
    if (i > 0) {
      EXPECT_GE(costs[i - 1].cpu_seconds, costs[i].cpu_seconds);
    }
  }
  EXPECT_NEAR(sum, r.targets[0].verdict.cpu_seconds, 1e-6);
  EXPECT_EQ(costs[0].name, "kernel work in socket writes");
}

}  // namespace
}  // namespace iotax
