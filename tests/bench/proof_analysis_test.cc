// The prediction-vs-actual arithmetic: actual saving from paired repeats,
// predicted saving from the agent's share, the error, the overall median and
// worst, and the split of a miss into the cost model's parts.
#include "proof_analysis.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bench_config.h"
#include "fake_runs.h"

namespace iotax::bench {
namespace {

using testing::MakeEstimate;
using testing::MakeRun;
using testing::MakeSetup;

BenchConfig ProofConfig(const std::string& conns = "100") {
  auto c = ParseBenchConfig("servers = blocking, uring\nconns = " + conns +
                                "\nloads = closed\nplacements = separate\nproof_load = 0.5\nrepeats = 3\n",
                            "t.conf");
  EXPECT_TRUE(c.ok()) << c.status();
  return *c;
}

// Proof runs of one setup: blocking at `b_cpu` µs/req, uring at `u_cpu`, an
// attached blocking run whose agent predicts `share` of its CPU, and an
// attached uring run.
void AddProofRuns(std::vector<RunRecord>* runs, const Setup& s, const std::vector<double>& b_cpu,
                  const std::vector<double>& u_cpu, double share) {
  for (int r = 0; r < static_cast<int>(b_cpu.size()); ++r) {
    runs->push_back(MakeRun(Point{Phase::kProof, "blocking", s, 0.5, false}, r, 10000, b_cpu[r]));
    runs->push_back(MakeRun(Point{Phase::kProof, "uring", s, 0.5, false}, r, 10000, u_cpu[r]));
    RunRecord ba = MakeRun(Point{Phase::kProof, "blocking", s, 0.5, true}, r, 10000, 20);
    // 20 µs/req: user 2, syscalls 16, untraced 2; direct 5, async 1 -> share 4/20.
    ba.agent = MakeEstimate(10000, 20, 2, 16, 2, 5, 1, 2);
    ba.agent->saving_share = share;
    runs->push_back(ba);
    RunRecord ua = MakeRun(Point{Phase::kProof, "uring", s, 0.5, true}, r, 10000, 14);
    ua.agent = MakeEstimate(10000, 14, 1, 11, 2, 0, 0, 1);
    runs->push_back(ua);
  }
}

TEST(ProofAnalysis, PairedDifferenceMatchesRepeats) {
  const iotax::bench::Setup s = MakeSetup();
  std::vector<RunRecord> b, u;
  for (int r = 0; r < 3; ++r) {
    b.push_back(MakeRun(Point{Phase::kProof, "blocking", s, 0.5, false}, r, 1000, 20 + r));
    u.push_back(MakeRun(Point{Phase::kProof, "uring", s, 0.5, false}, 2 - r, 1000, 10 + 2 * r));
  }
  // Pairs by repeat: r0: 20 − 14 = 6, r1: 21 − 12 = 9, r2: 22 − 10 = 12.
  Spread d = PairedDifference(b, u);
  EXPECT_EQ(d.n, 3);
  EXPECT_NEAR(d.median, 9, 1e-9);
  EXPECT_NEAR(d.min, 6, 1e-9);
  EXPECT_NEAR(d.max, 12, 1e-9);
}

TEST(ProofAnalysis, PredictedActualAndError) {
  const BenchConfig c = ProofConfig();
  std::vector<RunRecord> runs;
  // Actual: 20 − 15 = 5 µs/req each repeat. Predicted: 0.2 x 20 µs = 4 µs.
  AddProofRuns(&runs, MakeSetup(), {20, 20, 20}, {15, 15, 15}, 0.2);
  const ProofSummary p = AnalyzeProof(runs, c);
  ASSERT_EQ(p.rows.size(), 1u);
  const ProofRow& row = p.rows[0];
  EXPECT_NEAR(row.actual_us.median, 5, 1e-9);
  EXPECT_NEAR(row.predicted_us.median, 4, 1e-9);
  ASSERT_TRUE(row.error_us.has_value());
  EXPECT_NEAR(*row.error_us, -1, 1e-9);
  ASSERT_TRUE(row.relative_error.has_value());
  EXPECT_NEAR(*row.relative_error, -0.2, 1e-9);
  EXPECT_FALSE(row.poor);  // 1 µs of 5 is 20%, inside the 25% line
  ASSERT_TRUE(row.agent_cpu_overhead_us.has_value());
  EXPECT_NEAR(*row.agent_cpu_overhead_us, 0, 1e-9);  // attached blocking runs also used 20 µs/req
  EXPECT_NEAR(*p.median_abs_error_us, 1, 1e-9);
  EXPECT_NEAR(*p.worst_abs_error_us, 1, 1e-9);
  // The components per request come from the attached runs.
  ASSERT_TRUE(row.parts.has_value());
  EXPECT_NEAR(row.parts->user_b, 2, 1e-9);
  EXPECT_NEAR(row.parts->syscall_u, 11, 1e-9);
  EXPECT_NEAR(row.parts->direct, 5, 1e-9);
  EXPECT_NEAR(row.parts->async_cost, 1, 1e-9);
  EXPECT_NEAR(row.parts->syscalls_b, 2, 1e-9);
  EXPECT_NEAR(row.parts->attached_difference, 6, 1e-9);  // 20 − 14
}

TEST(ProofAnalysis, MedianAndWorstErrorOverSetups) {
  const BenchConfig c = ProofConfig("10, 100, 400");
  std::vector<RunRecord> runs;
  AddProofRuns(&runs, MakeSetup(10), {20, 20, 20}, {16, 16, 16}, 0.2);   // predicted 4, actual 4: error 0
  AddProofRuns(&runs, MakeSetup(100), {20, 20, 20}, {14, 14, 14}, 0.2);  // actual 6: error −2
  AddProofRuns(&runs, MakeSetup(400), {20, 20, 20}, {19, 19, 19}, 0.2);  // actual 1: error +3
  const ProofSummary p = AnalyzeProof(runs, c);
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_NEAR(*p.rows[0].error_us, 0, 1e-9);
  EXPECT_NEAR(*p.rows[1].error_us, -2, 1e-9);
  EXPECT_NEAR(*p.rows[2].error_us, 3, 1e-9);
  EXPECT_NEAR(*p.median_abs_error_us, 2, 1e-9);
  EXPECT_NEAR(*p.worst_abs_error_us, 3, 1e-9);
  EXPECT_EQ(p.worst_setup, MakeSetup(400).Label());
  EXPECT_NEAR(*p.worst_abs_relative_error, 3.0, 1e-9);  // 3 µs over an actual of 1 µs
  EXPECT_TRUE(p.rows[2].poor);
  EXPECT_FALSE(p.rows[0].poor);
}

TEST(ProofAnalysis, RelativeErrorNeedsAMeasurableActualSaving) {
  const BenchConfig c = ProofConfig();
  std::vector<RunRecord> runs;
  AddProofRuns(&runs, MakeSetup(), {20, 20, 20}, {19.8, 19.8, 19.8}, 0.0);
  const ProofSummary p = AnalyzeProof(runs, c);
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_TRUE(p.rows[0].error_us.has_value());
  EXPECT_FALSE(p.rows[0].relative_error.has_value());
}

TEST(ProofAnalysis, PoorMeansMoreThanHalfAMicrosecondAndAQuarter) {
  EXPECT_FALSE(IsPoor(4.4, 4.0));  // 0.4 µs
  EXPECT_FALSE(IsPoor(12, 10));    // 20%
  EXPECT_TRUE(IsPoor(13, 10));     // 30%
  EXPECT_TRUE(IsPoor(0.0, 0.8));   // 0.8 µs, 100%
  EXPECT_FALSE(IsPoor(0.4, 0.0));
}

TEST(ProofAnalysis, TheMissSplitsIntoTheModelsParts) {
  ProofParts p;
  p.actual = 6;  // the agent accounts 2 + 4 − 1 = 5: noise +1
  p.user_b = 3;
  p.user_u = 1;  // user: +2 (no PMU: the indirect part is missing)
  p.syscall_b = 12;
  p.syscall_u = 8;  // Δ 4, model explains 5 − 2 = 3: +1
  p.untraced_b = 1;
  p.untraced_u = 2;  // −1
  p.direct = 5;
  p.async_cost = 2;
  const std::vector<MissPart> parts = SplitMiss(p);
  ASSERT_EQ(parts.size(), 4u);
  double sum = 0;
  for (const MissPart& m : parts) sum += m.us;
  // The parts add up to the miss: actual − (direct − async).
  EXPECT_NEAR(sum, 6 - 3, 1e-9);
  // Largest in the direction of the (positive) miss first.
  EXPECT_EQ(parts[0].name, "user");
  EXPECT_NEAR(parts[0].us, 2, 1e-9);
  EXPECT_NE(parts[0].text.find("PMU"), std::string::npos);
  EXPECT_EQ(parts.back().name, "untraced");
}

TEST(ProofAnalysis, PoorRowsSayWhichPartMisses) {
  const BenchConfig c = ProofConfig();
  std::vector<RunRecord> runs;
  // Actual 10 µs, predicted 4 µs. Attached: blocking user 2 vs uring 1,
  // syscalls 16 vs 11, untraced 2 vs 2: the attached difference is 6, so 4
  // of the 6 µs miss is "the truth moved".
  AddProofRuns(&runs, MakeSetup(), {24, 24, 24}, {14, 14, 14}, 0.2);
  const ProofSummary p = AnalyzeProof(runs, c);
  ASSERT_EQ(p.rows.size(), 1u);
  const ProofRow& row = p.rows[0];
  EXPECT_TRUE(row.poor);
  ASSERT_FALSE(row.why.empty());
  EXPECT_NE(row.why[0].find("the truth moved"), std::string::npos) << row.why[0];
}

TEST(ProofAnalysis, NoProofRowsWithoutProofRuns) {
  auto c = ParseBenchConfig("servers = epoll\nproof_load = none\nagent = off\n", "t");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(AnalyzeProof({}, *c).rows.empty());
  EXPECT_FALSE(AnalyzeProof({}, *c).median_abs_error_us.has_value());
}

}  // namespace
}  // namespace iotax::bench

namespace iotax::bench {
namespace {

TEST(ProofAnalysis, AnEventLoopThatSleepsPerRequestIsNamed) {
  ProofParts p;
  p.actual = 0;
  p.syscall_b = 16;
  p.syscall_u = 16;  // no difference in syscalls...
  p.direct = 4;
  p.async_cost = 1.5;  // ...but the model expects 2.5 µs
  p.switches_b = 1.0;
  p.switches_u = 0.8;  // the event loop sleeps for most requests
  const std::vector<MissPart> parts = SplitMiss(p);
  ASSERT_EQ(parts[0].name, "syscalls");  // the miss is negative: the syscall part pushes down most
  EXPECT_NEAR(parts[0].us, -2.5, 1e-9);
  EXPECT_NE(parts[0].text.find("its event loop sleeps and is woken for almost every request"), std::string::npos)
      << parts[0].text;
  p.switches_u = 0.1;  // a busy event loop: no such sentence
  for (const MissPart& m : SplitMiss(p)) EXPECT_EQ(m.text.find("event loop sleeps"), std::string::npos);
}

}  // namespace
}  // namespace iotax::bench
