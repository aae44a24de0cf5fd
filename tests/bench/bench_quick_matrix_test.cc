// The quick matrix end to end with iotaxd attached (root + BPF): started,
// interrupted with SIGINT once its first run is saved, resumed to the end;
// then every point is in results.json, results.csv and report.md, and the
// plots are rendered.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "bench_cli.h"
#include "require.h"

namespace {

using namespace iotax::bench::testing;
using iotax::bench::ChildProcess;

TEST(BenchQuickMatrix, InterruptedAfterTheFirstRunThenResumed) {
  IOTAX_REQUIRE_BPF();
  TempDir dir;
  const std::string out = dir.path() + "/quick";
  const std::string results_path = out + "/results.json";

  // Start, and interrupt as soon as the first run is saved.
  auto child = ChildProcess::Start({kBench, "--quick", "--out", out}, dir.path() + "/first.err");
  ASSERT_TRUE(child.ok()) << child.status();
  size_t saved = 0;
  for (int i = 0; i < 600 && saved == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const json j = ReadJson(results_path);
    if (j.is_object() && j.contains("runs")) saved = j["runs"].size();
  }
  ASSERT_GE(saved, 1u) << ReadFile(dir.path() + "/first.err");
  kill((*child)->pid(), SIGINT);
  const std::optional<int> code = (*child)->Wait(absl::Seconds(60));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 130) << ReadFile(dir.path() + "/first.err");
  const std::string first_err = ReadFile(dir.path() + "/first.err");
  EXPECT_NE(first_err.find("continue with: iotax-bench --resume"), std::string::npos) << first_err;
  const json partial = ReadJson(results_path);
  ASSERT_TRUE(partial.is_object());
  const size_t kept = partial["runs"].size();
  const std::set<std::string> ids = PointIds({"--quick"});
  ASSERT_EQ(ids.size(), 20u);
  EXPECT_GE(kept, 1u);
  EXPECT_LT(kept, 20u) << "SIGINT should stop the run early";
  EXPECT_FALSE(partial["complete"].get<bool>());
  const std::string first_key = partial["runs"][0]["key"];
  const std::string first_started = partial["runs"][0]["started_at"];

  // Resume: only the rest runs.
  const Outcome resumed = RunBench({"--resume", out}, dir.path() + "/second.err", absl::Seconds(110));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find(absl::StrCat(kept, " of 20 runs already done")), std::string::npos) << resumed.err;

  const json results = ReadJson(results_path);
  ASSERT_TRUE(results.is_object());
  EXPECT_TRUE(results["complete"].get<bool>());
  ASSERT_EQ(results["runs"].size(), 20u);
  std::set<std::string> points;
  int attached = 0;
  for (const json& r : results["runs"]) {
    EXPECT_TRUE(r["ok"].get<bool>()) << r["key"] << ": " << r["error"];
    points.insert(r["point_id"].get<std::string>());
    if (r["key"] == first_key) {
      EXPECT_EQ(r["started_at"], first_started) << "a finished run was redone";
    }
    if (r["agent_attached"].get<bool>()) {
      ++attached;
      ASSERT_TRUE(r["agent"].is_object()) << r.dump();
      EXPECT_FALSE(r["agent"]["level"].get<std::string>().empty());
      EXPECT_GT(r["agent"]["window_s"].get<double>(), 1.0);
      EXPECT_GT(r["per_request"]["syscalls"].get<double>(), 0.1);
      // The Prometheus export was read too.
      EXPECT_FALSE(r["agent"]["metric_verdict_level"].is_null());
    }
  }
  EXPECT_EQ(points, ids);
  EXPECT_EQ(attached, 4);

  // Every point in the CSV and the report; a proof row per placement; plots.
  const std::string csv = ReadFile(out + "/results.csv");
  const std::string md = ReadFile(out + "/report.md");
  for (const std::string& id : ids) EXPECT_NE(csv.find(id + ","), std::string::npos) << id;
  EXPECT_NE(md.find("## Prediction vs actual"), std::string::npos);
  EXPECT_NE(md.find("| 20 conns, 512 B, separate"), std::string::npos);
  EXPECT_NE(md.find("| 20 conns, 512 B, shared"), std::string::npos);
  EXPECT_NE(md.find("Median |error|"), std::string::npos);
  EXPECT_EQ(results["summary"]["proof"]["rows"].size(), 2u);
  const std::string svg = ReadFile(out + "/plots/proof.svg");
  EXPECT_NE(svg.find("<svg"), std::string::npos) << "gnuplot did not render plots/proof.svg";
  EXPECT_NE(ReadFile(out + "/plots/throughput_vs_conns_uring-client_c0_s512_w0_separate.svg").find("<svg"),
            std::string::npos);
}

}  // namespace
