// The Grafana dashboard, offline: importable structure (schema 37-39, a
// Prometheus datasource variable, job/instance/comm/pid selectors), every
// query well-formed for Grafana ($__rate_interval, the datasource variable),
// every metric it names documented or recorded, and the PMU panels saying
// "No PMU" instead of showing zeros. The live evaluation of every query is
// dashboards_e2e_test.
#include <gtest/gtest.h>

#include <regex>

#include "dashboard_files.h"
#include "promql_names.h"
#include "run_command.h"

namespace iotax::dashboards {

using testing::CommandResult;
using testing::RunCommand;
namespace {

using nlohmann::json;

class Dashboard : public ::testing::Test {
 protected:
  void SetUp() override {
    dashboard_ = LoadDashboard();
    ASSERT_TRUE(dashboard_.is_object()) << kDashboardJson << " is not valid JSON";
  }
  const json* Variable(const std::string& name) const {
    for (const auto& v : dashboard_["templating"]["list"]) {
      if (v.value("name", "") == name) return &v;
    }
    return nullptr;
  }
  json dashboard_;
};

TEST_F(Dashboard, IsWhatItsGeneratorWrites) {
  // dashboards/grafana/generate.py is the source; the JSON must not drift from it.
  char path[] = "/tmp/iotax_dashboard_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const CommandResult r = RunCommand("python3 " + SourcePath("dashboards/grafana/generate.py") + " " + path);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(ReadFile(path) == ReadFile(SourcePath(kDashboardJson)))
      << "dashboards/grafana/iotax.json differs from what generate.py writes: run "
         "python3 dashboards/grafana/generate.py dashboards/grafana/iotax.json";
  unlink(path);
}

TEST_F(Dashboard, IsAnImportableGrafana9To10Dashboard) {
  EXPECT_GE(dashboard_.value("schemaVersion", 0), 37);
  EXPECT_LE(dashboard_.value("schemaVersion", 0), 39);
  EXPECT_TRUE(dashboard_["id"].is_null()) << "an exported dashboard has id null, so import creates it";
  EXPECT_FALSE(dashboard_.value("uid", "").empty());
  EXPECT_FALSE(dashboard_.value("title", "").empty());
  EXPECT_FALSE(dashboard_.contains("__inputs")) << "the datasource is a variable, not an import input";
  std::set<int> ids;
  for (const json* p : Panels(dashboard_)) {
    EXPECT_TRUE(ids.insert((*p)["id"].get<int>()).second) << "duplicate panel id " << (*p)["id"];
    const auto& g = (*p)["gridPos"];
    EXPECT_LE(g["x"].get<int>() + g["w"].get<int>(), 24) << p->value("title", "");
    EXPECT_GT(g["h"].get<int>(), 0);
  }
  EXPECT_GE(ids.size(), 20u);
}

TEST_F(Dashboard, HasADatasourceVariableAndTargetSelectors) {
  const json* ds = Variable("datasource");
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ((*ds)["type"], "datasource");
  EXPECT_EQ((*ds)["query"], "prometheus");
  for (const std::string name : {"job", "instance", "comm", "pid"}) {
    const json* v = Variable(name);
    ASSERT_NE(v, nullptr) << "variable " << name;
    EXPECT_EQ((*v)["type"], "query") << name;
    EXPECT_EQ((*v)["datasource"]["uid"], "${datasource}") << name;
    const std::string query = (*v)["definition"];
    EXPECT_NE(query.find("label_values("), std::string::npos) << name;
    EXPECT_NE(query.find(", " + name + ")"), std::string::npos) << name << ": " << query;
  }
  EXPECT_NE(std::string((*Variable("comm"))["definition"]).find("label_values(iotax_target_up"), std::string::npos);
  EXPECT_NE(std::string((*Variable("pid"))["definition"]).find("label_values(iotax_target_up"), std::string::npos);
}

TEST_F(Dashboard, EveryPanelAndQueryUsesTheDatasourceVariable) {
  for (const json* p : Panels(dashboard_)) {
    EXPECT_EQ((*p)["datasource"]["uid"], "${datasource}") << p->value("title", "");
    ASSERT_TRUE(p->contains("targets") && !(*p)["targets"].empty()) << p->value("title", "") << " has no query";
    for (const auto& t : (*p)["targets"]) {
      EXPECT_EQ(t["datasource"]["uid"], "${datasource}") << p->value("title", "");
      EXPECT_FALSE(t.value("expr", "").empty()) << p->value("title", "");
    }
  }
}

TEST_F(Dashboard, RatesUseTheRateIntervalAndTargetsTheSelectors) {
  const std::regex range_fn("(rate|irate|increase|delta|deriv|[a-z]+_over_time)\\(([^\\[]*)\\[([^\\]]*)\\]");
  for (const PanelQuery& q : PanelQueries(dashboard_)) {
    for (auto it = std::sregex_iterator(q.expr.begin(), q.expr.end(), range_fn); it != std::sregex_iterator(); ++it) {
      EXPECT_EQ((*it)[3].str(), "$__rate_interval") << q.panel << " " << q.ref << ": " << q.expr;
    }
    // Per-target series follow the pid/comm selectors; agent series the instance one.
    if (q.expr.find("pid=") == std::string::npos && q.expr.find("iotax_target_") != std::string::npos) {
      ADD_FAILURE() << q.panel << ": a per-target query without the pid selector: " << q.expr;
    }
    if (q.expr.find("pid=~\"$pid\"") != std::string::npos) {
      EXPECT_NE(q.expr.find("comm=~\"$comm\""), std::string::npos) << q.panel;
    }
    EXPECT_NE(q.expr.find("instance=~\"$instance\""), std::string::npos) << q.panel << " " << q.ref << ": " << q.expr;
  }
}

TEST_F(Dashboard, EveryMetricItNamesIsDocumentedOrRecorded) {
  const auto documented = DocumentedMetrics();
  ASSERT_FALSE(documented.empty());
  const auto recorded = RuleNames(ReadFile(SourcePath(kRecordingRules)), "record");
  ASSERT_FALSE(recorded.empty());
  const std::set<std::string> recorded_set(recorded.begin(), recorded.end());
  auto check = [&](const std::string& where, const std::set<std::string>& names) {
    EXPECT_FALSE(names.empty()) << where << " reads no metric";
    for (const std::string& n : names) {
      EXPECT_TRUE(IsDocumentedSeries(n, documented) || recorded_set.count(n) || IsPrometheusSeries(n))
          << where << " reads " << n << ", which iotaxd does not export (docs/metrics.md) and no rule records";
    }
  };
  for (const PanelQuery& q : PanelQueries(dashboard_)) check(q.panel + " " + q.ref, MetricNamesIn(q.expr));
  for (const auto& v : dashboard_["templating"]["list"]) {
    if (v["type"] == "query") check("variable " + v.value("name", ""), MetricNamesInLabelValues(v["definition"]));
  }
}

TEST_F(Dashboard, HasTheRowsTheIssueAsksFor) {
  std::vector<std::string> rows;
  for (const auto& p : dashboard_["panels"]) {
    if (p["type"] == "row") rows.push_back(p["title"]);
  }
  for (const std::string want : {"Verdict", "CPU", "Off-CPU", "Syscalls", "Scheduling", "IPC", "Agent health"}) {
    bool found = false;
    for (const auto& r : rows) found = found || r.rfind(want, 0) == 0;
    EXPECT_TRUE(found) << "no row starting with " << want;
  }
}

const json* PanelReading(const json& dashboard, const std::string& metric, const std::string& type) {
  for (const json* p : Panels(dashboard)) {
    if ((*p)["type"] != type) continue;
    for (const auto& t : (*p)["targets"]) {
      if (MetricNamesIn(t["expr"]).count(metric)) return p;
    }
  }
  return nullptr;
}

std::string MappedText(const json& panel, const std::string& value) {
  for (const auto& m : panel["fieldConfig"]["defaults"]["mappings"]) {
    if (m["type"] == "value" && m["options"].contains(value)) return m["options"][value]["text"];
  }
  return "";
}

TEST_F(Dashboard, VerdictLevelsAreNamed) {
  const json* verdict = PanelReading(dashboard_, "iotax_verdict_level", "stat");
  ASSERT_NE(verdict, nullptr);
  EXPECT_EQ(MappedText(*verdict, "0"), "Insufficient data");
  EXPECT_EQ(MappedText(*verdict, "1"), "Not worth it");
  EXPECT_EQ(MappedText(*verdict, "2"), "Maybe");
  EXPECT_EQ(MappedText(*verdict, "3"), "Likely worth it");
  const json* gauge = PanelReading(dashboard_, "iotax_blocking_overhead_ratio", "gauge");
  ASSERT_NE(gauge, nullptr) << "the overhead share is a gauge";
  EXPECT_EQ(gauge->at("fieldConfig")["defaults"]["unit"], "percentunit");
}

TEST_F(Dashboard, PmuPanelsSayNoPmuRatherThanShowingZeros) {
  const json* pmu = PanelReading(dashboard_, "iotax_pmu_up", "stat");
  ASSERT_NE(pmu, nullptr);
  EXPECT_NE(MappedText(*pmu, "0").find("No PMU"), std::string::npos);
  const auto pmu_only = PmuOnlyMetrics();
  ASSERT_GT(pmu_only.size(), 10u) << "the Tier 3 section of docs/metrics.md was not found";
  int pmu_panels = 0;
  for (const json* p : Panels(dashboard_)) {
    bool reads_pmu = false;
    for (const auto& t : (*p)["targets"]) {
      for (const auto& n : MetricNamesIn(t["expr"])) reads_pmu = reads_pmu || pmu_only.count(n) || n.find("cycles_lost") != std::string::npos;
    }
    if (!reads_pmu) continue;
    ++pmu_panels;
    const std::string no_value = p->at("fieldConfig")["defaults"].value("noValue", "");
    EXPECT_NE(no_value.find("No PMU"), std::string::npos) << p->value("title", "") << " needs noValue saying No PMU";
  }
  EXPECT_GE(pmu_panels, 4) << "IPC, the recovery curve, cycles lost, the regression";
}

TEST_F(Dashboard, LatencyHeatmapReadsTheHistogramBuckets) {
  const json* heatmap = PanelReading(dashboard_, "iotax_syscall_duration_seconds_bucket", "heatmap");
  ASSERT_NE(heatmap, nullptr);
  const auto& t = (*heatmap)["targets"][0];
  EXPECT_EQ(t["format"], "heatmap");
  EXPECT_EQ(t["legendFormat"], "{{le}}");
  EXPECT_EQ((*heatmap)["options"]["calculate"], false) << "the buckets are already a histogram";
  EXPECT_NE(PanelReading(dashboard_, "iotax_runqueue_wait_seconds_bucket", "timeseries"), nullptr)
      << "run-queue wait p99 from the histogram";
}

TEST_F(Dashboard, AgentHealthShowsLostEventsProbesCpuAndMemory) {
  for (const std::string m : {"iotax_bpf_dropped_total", "iotax_probe_up", "iotax_agent_cpu_seconds_total",
                              "iotax_agent_resident_memory_bytes", "scrape_duration_seconds"}) {
    bool found = false;
    for (const PanelQuery& q : PanelQueries(dashboard_)) found = found || MetricNamesIn(q.expr).count(m);
    EXPECT_TRUE(found) << m;
  }
}

}  // namespace
}  // namespace iotax::dashboards
