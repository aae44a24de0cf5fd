// iotaxd's verdict side without a kernel: the sampler over synthetic
// snapshots, the verdict metrics (and their documentation), /api/report,
// /api/series and the page.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "http_server.h"
#include "nlohmann/json.hpp"
#include "series_json.h"
#include "synthetic_workload.h"
#include "verdict_metrics.h"
#include "verdict_sampler.h"
#include "web_page.h"
#include "web_routes.h"

namespace iotax {
namespace {

using nlohmann::json;
using testing::MakeSnapshots;
using testing::Workload;

// A sampler fed from a list of snapshots, one per SampleOnce, one second apart.
struct Fed {
  explicit Fed(std::vector<AgentSnapshot> snaps, absl::Duration window = absl::Seconds(5),
               absl::Duration history = absl::Seconds(20))
      : snapshots(std::move(snaps)) {
    VerdictSamplerOptions o;
    o.verdict_window = window;
    o.history = history;
    o.cpus_of = [](int) { return 1; };
    // A calibrated async cost of 0.3 µs per replaced call.
    Calibration c;
    c.machine_key = "test";
    CalibrationPoint p;
    p.blocked_io_calls_per_second = 20000;
    p.async_cost_per_op_seconds = 0.3e-6;
    c.points = {p};
    o.calibration = c;
    sampler = std::make_unique<VerdictSampler>([this] { return snapshots[std::min(next++, snapshots.size() - 1)]; }, o);
  }
  void Steps(int n) {
    for (int i = 0; i < n; ++i) sampler->SampleOnce(t0 + absl::Seconds(taken++));
  }
  std::vector<AgentSnapshot> snapshots;
  size_t next = 0;
  int taken = 0;
  absl::Time t0 = absl::FromUnixSeconds(1'700'000'000);
  std::unique_ptr<VerdictSampler> sampler;
};

TEST(VerdictSampler, TheVerdictCoversTheSlidingWindowOnly) {
  Workload w;
  Fed fed(MakeSnapshots(w, 12));
  fed.Steps(1);
  EXPECT_EQ(fed.sampler->LatestReport()->targets.size(), 1u);
  EXPECT_EQ(fed.sampler->LatestReport()->targets[0].verdict.level, VerdictLevel::kInsufficientData);
  fed.Steps(11);  // 12 snapshots, 11 seconds
  const auto report = fed.sampler->LatestReport();
  ASSERT_EQ(report->targets.size(), 1u);
  const Verdict& v = report->targets[0].verdict;
  EXPECT_NEAR(v.window_seconds, 5.0, 1e-9);
  EXPECT_EQ(v.subwindows, 5);
  EXPECT_EQ(v.level, VerdictLevel::kLikelyWorthIt);
  EXPECT_EQ(fed.sampler->History(absl::Seconds(3)).size(), 4u);
  EXPECT_EQ(fed.sampler->History().size(), 12u);
}

TEST(VerdictSampler, HistoryIsBounded) {
  Workload w;
  Fed fed(MakeSnapshots(w, 40), absl::Seconds(5), absl::Seconds(10));
  fed.Steps(40);
  EXPECT_LE(fed.sampler->History().size(), 12u);
  EXPECT_GE(fed.sampler->History().size(), 11u);
}

TEST(VerdictSampler, StartsAndStopsItsThread) {
  Workload w;
  Fed fed(MakeSnapshots(w, 3));
  fed.sampler->Start();
  fed.sampler->Start();  // idempotent
  fed.sampler->Stop();
  EXPECT_GE(fed.sampler->History().size(), 1u);
}

TEST(VerdictMetrics, RatiosLevelAndIntervalBounds) {
  Workload w;
  Fed fed(MakeSnapshots(w, 8));
  fed.Steps(8);
  std::map<std::string, double> values;
  for (const auto& f : BuildVerdictMetricFamilies(*fed.sampler->LatestReport())) {
    ASSERT_EQ(f.metric.size(), 1u) << f.name;
    EXPECT_EQ(f.metric[0].label[0].name, "pid");
    EXPECT_EQ(f.metric[0].label[1].value, "server");
    values[f.name] = f.metric[0].gauge.value;
  }
  EXPECT_EQ(values["iotax_verdict_level"], 3);
  EXPECT_NEAR(values["iotax_blocking_overhead_ratio"], testing::TruthOverheadShare(w), 1e-6);
  EXPECT_LE(values["iotax_blocking_overhead_ratio_lower"], values["iotax_blocking_overhead_ratio"]);
  EXPECT_GE(values["iotax_blocking_overhead_ratio_upper"], values["iotax_blocking_overhead_ratio"]);
  EXPECT_TRUE(values.count("iotax_async_saving_ratio"));
  EXPECT_TRUE(values.count("iotax_verdict_info"));
}

TEST(VerdictMetrics, RatiosAreAbsentWhenTheyCannotBeComputed) {
  Workload w;
  w.requests_per_second = 1;  // idle: insufficient data
  Fed fed(MakeSnapshots(w, 4));
  fed.Steps(4);
  std::set<std::string> names;
  for (const auto& f : BuildVerdictMetricFamilies(*fed.sampler->LatestReport())) names.insert(f.name);
  EXPECT_TRUE(names.count("iotax_verdict_level"));
  EXPECT_FALSE(names.count("iotax_blocking_overhead_ratio"));
  EXPECT_FALSE(names.count("iotax_async_saving_ratio"));
  EXPECT_FALSE(names.count("iotax_verdict_confidence"));
}

// docs/metrics.md "## Verdict" rows against what the exporter emits.
TEST(VerdictMetrics, DocumentedExactlyInMetricsMd) {
  std::ifstream in(std::string(IOTAX_SOURCE_DIR) + "/docs/metrics.md");
  ASSERT_TRUE(in.good());
  std::map<std::string, std::string> documented;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, "## ")) inside = absl::StartsWith(line, "## Verdict");
    if (!inside || !absl::StartsWith(line, "| `iotax_")) continue;
    std::vector<std::string> cells = absl::StrSplit(line, '|');
    std::string name(absl::StripAsciiWhitespace(cells[1]));
    documented[name.substr(1, name.size() - 2)] = std::string(absl::StripAsciiWhitespace(cells[2]));
  }
  Workload w;
  w.runqueue_wait_ns = 50'000;
  w.switch_run_ns = 300;  // bpf_stats on: the tracer's correction is exported
  w.user_paths = true;    // the indirect part from user time
  std::vector<AgentSnapshot> snaps = MakeSnapshots(w, 8);
  for (size_t i = 0; i < snaps.size(); ++i) {  // one blocked poll on one descriptor per request: judged
    const uint64_t n = 1000 * i;
    snaps[i].targets[0].stats.waits = WaitStats{.blocked_waits = n, .ready = n, .watched_waits = n, .watched = n};
  }
  Fed fed(std::move(snaps));
  fed.Steps(8);
  std::set<std::string> emitted;
  for (const auto& f : BuildVerdictMetricFamilies(*fed.sampler->LatestReport())) {
    emitted.insert(f.name);
    ASSERT_TRUE(documented.count(f.name)) << f.name << " is not in the Verdict section of docs/metrics.md";
    EXPECT_EQ(documented[f.name], "gauge") << f.name;
  }
  for (const auto& [name, type] : documented) EXPECT_TRUE(emitted.count(name)) << name << " documented, never emitted";
}

TEST(SeriesJson, OnePointPerStepWithTheChartsSeries) {
  Workload w;
  w.runqueue_wait_ns = 200'000;
  Fed fed(MakeSnapshots(w, 6));
  fed.Steps(7);
  const json s = BuildSeriesJson(fed.sampler->History());
  ASSERT_EQ(s["targets"].size(), 1u);
  const json& t = s["targets"][0];
  EXPECT_EQ(t["pid"], w.pid);
  ASSERT_EQ(t["t"].size(), 6u);
  EXPECT_DOUBLE_EQ(t["t"][0].get<double>(), 1'700'000'001.0);
  for (const char* k : {"user", "syscall", "blocking", "io_worker"}) EXPECT_EQ(t["cpu"][k].size(), 6u) << k;
  for (const char* k : {"io", "event_wait", "futex", "sleep", "other", "runqueue"}) EXPECT_EQ(t["offcpu"][k].size(), 6u) << k;
  EXPECT_TRUE(t["syscalls"].contains("net_read"));
  EXPECT_FALSE(t["syscalls"].contains("futex"));  // classes without calls are left out
  EXPECT_NEAR(t["syscalls"]["net_read"][2].get<double>(), w.requests_per_second, 1e-6);
  // The CPU split adds up to the CPU, and blocking is the direct cost.
  const double cpu = t["cpu"]["user"][3].get<double>() + t["cpu"]["syscall"][3].get<double>() +
                     t["cpu"]["blocking"][3].get<double>();
  EXPECT_NEAR(cpu, w.requests_per_second * testing::TruthCpuPerRequest(w), 1e-6);
  EXPECT_NEAR(t["cpu"]["blocking"][3].get<double>(), w.requests_per_second * 0.95 * 3e-6, 1e-6);
  EXPECT_NEAR(t["blocking_share"][3].get<double>(), testing::TruthOverheadShare(w), 1e-6);
  EXPECT_GT(t["runqueue"]["p99_seconds"][0].get<double>(), 131072e-9);
}

TEST(WebRoutes, ReportSeriesAndPage) {
  Workload w;
  Fed fed(MakeSnapshots(w, 6));
  fed.Steps(7);
  HttpServer server;
  AddVerdictRoutes(server, fed.sampler.get());
  HttpResponse r = server.Dispatch({"GET", "/api/report", ""});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StartsWith(r.content_type, "application/json"));
  const json report = json::parse(r.body);
  EXPECT_EQ(report["targets"][0]["verdict"]["level"], "likely_worth_it");
  r = server.Dispatch({"GET", "/api/series", "seconds=2"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["targets"][0]["t"].size(), 2u);
  r = server.Dispatch({"GET", "/api/series", "seconds=bogus"});
  EXPECT_EQ(json::parse(r.body)["targets"][0]["t"].size(), 6u);
  r = server.Dispatch({"GET", "/", ""});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(absl::StartsWith(r.content_type, "text/html"));
  EXPECT_EQ(r.body, std::string(WebPageHtml()));
}

TEST(WebPage, IsSelfContained) {
  const std::string page(WebPageHtml());
  EXPECT_TRUE(absl::StartsWith(page, "<!DOCTYPE html>"));
  EXPECT_TRUE(absl::StrContains(page, "/api/report"));
  EXPECT_TRUE(absl::StrContains(page, "/api/series"));
  EXPECT_TRUE(absl::StrContains(page, "id=\"verdict-summary\""));
  // No external network: nothing fetched from another origin.
  for (const char* bad : {"http://", "https://", "//cdn", "<script src", "<link rel=\"stylesheet\""}) {
    size_t at = page.find(bad);
    // The SVG namespace URI is an identifier, not a fetch.
    while (at != std::string::npos && page.compare(at, 26, "http://www.w3.org/2000/svg") == 0) at = page.find(bad, at + 1);
    EXPECT_EQ(at, std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace iotax
