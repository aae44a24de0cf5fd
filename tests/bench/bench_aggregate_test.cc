// Aggregation: medians and spreads of repeats, failed and flagged runs,
// saturation and offered rates, slowdown against the unloaded round trip.
#include "bench_aggregate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "fake_runs.h"
#include "saturation.h"

namespace iotax::bench {
namespace {

using testing::MakeRun;
using testing::MakeSetup;

TEST(BenchAggregate, MedianAndSpreadOfRepeats) {
  Spread odd = Summarize({3, 1, 2});
  EXPECT_EQ(odd.n, 3);
  EXPECT_DOUBLE_EQ(odd.median, 2);
  EXPECT_DOUBLE_EQ(odd.min, 1);
  EXPECT_DOUBLE_EQ(odd.max, 3);
  Spread even = Summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(even.median, 2.5);
  Spread with_nan = Summarize({NAN, 5});
  EXPECT_EQ(with_nan.n, 1);
  EXPECT_DOUBLE_EQ(with_nan.median, 5);
  Spread none = Summarize({});
  EXPECT_FALSE(none.has());
  EXPECT_TRUE(std::isnan(none.median));
  EXPECT_TRUE(Summarize({NAN}).ToJson()["median"].is_null());
}

TEST(BenchAggregate, PointSummaryTakesMediansAndCountsFailuresAndFlags) {
  const Point closed{Phase::kClosed, "blocking", MakeSetup(), 0, false};
  std::vector<RunRecord> runs = {MakeRun(closed, 0, 10000, 20, 100, 900), MakeRun(closed, 1, 12000, 16, 110, 1100),
                                 MakeRun(closed, 2, 11000, 18, 120, 1000)};
  runs[1].valid = false;
  runs[1].invalid_reasons = {"the client fell behind"};
  RunRecord failed = MakeRun(closed, 3, 0, 0);
  failed.ok = false;
  failed.error = "the server did not start";
  runs.push_back(failed);
  std::vector<RunSlot> order;
  for (int r = 0; r < 4; ++r) order.push_back(RunSlot{closed, r});

  const auto points = SummarizePoints(runs, order);
  ASSERT_EQ(points.size(), 1u);
  const PointSummary& p = points[0];
  EXPECT_EQ(p.runs_ok, 3);
  EXPECT_EQ(p.runs_failed, 1);
  EXPECT_EQ(p.runs_invalid, 1);
  EXPECT_DOUBLE_EQ(p.throughput.median, 11000);
  EXPECT_DOUBLE_EQ(p.throughput.min, 10000);
  EXPECT_DOUBLE_EQ(p.throughput.max, 12000);
  EXPECT_NEAR(p.server_cpu_us.median, 18, 1e-9);
  EXPECT_NEAR(p.server_cpu_us.min, 16, 1e-9);
  EXPECT_DOUBLE_EQ(p.p99_us.median, 1000);
  EXPECT_NEAR(p.client_cpu_us.median, 10, 1e-9);
  EXPECT_NEAR(p.server_switches.median, 1, 1e-9);
  EXPECT_FALSE(p.syscalls.has());  // no agent
  ASSERT_EQ(p.notes.size(), 2u);
  EXPECT_EQ(p.notes[0], "the client fell behind");
  EXPECT_EQ(p.notes[1], "the server did not start");
}

TEST(BenchAggregate, SaturationAndOfferedRates) {
  const iotax::bench::Setup s = MakeSetup();
  std::vector<RunRecord> runs;
  for (int r = 0; r < 3; ++r) {
    runs.push_back(MakeRun(Point{Phase::kClosed, "blocking", s, 0, false}, r, 20000 + 1000 * r, 15));
    runs.push_back(MakeRun(Point{Phase::kClosed, "uring", s, 0, false}, r, 60000 + 1000 * r, 8));
  }
  EXPECT_DOUBLE_EQ(*SaturationRps(runs, "blocking", s), 21000);
  EXPECT_DOUBLE_EQ(*SaturationRps(runs, "uring", s), 61000);
  EXPECT_FALSE(SaturationRps(runs, "epoll", s).has_value());

  // Open loop: a fraction of the point's own model's saturation.
  auto open = OfferedRate(Point{Phase::kOpen, "uring", s, 0.5, false}, runs);
  ASSERT_TRUE(open.ok());
  EXPECT_DOUBLE_EQ(*open, 30500);
  // The proof: a fraction of the BLOCKING server's saturation, for both servers.
  auto proof_uring = OfferedRate(Point{Phase::kProof, "uring", s, 0.5, true}, runs);
  ASSERT_TRUE(proof_uring.ok());
  EXPECT_DOUBLE_EQ(*proof_uring, 10500);
  EXPECT_DOUBLE_EQ(*OfferedRate(Point{Phase::kClosed, "uring", s, 0, false}, runs), 0);
  // A saturation that was never measured is an error that names it.
  auto missing = OfferedRate(Point{Phase::kOpen, "epoll", s, 0.5, false}, runs);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(std::string(missing.status().message()).find("no saturation of the epoll server"), std::string::npos);
  // Failed runs do not count.
  runs[0].ok = false;
  runs[2].ok = false;
  EXPECT_DOUBLE_EQ(*SaturationRps(runs, "blocking", s), 22000);
}

TEST(BenchAggregate, SlowdownDividesByTheBestUnloadedRoundTrip) {
  const iotax::bench::Setup s = MakeSetup(100);
  std::vector<RunRecord> runs;
  // Unloaded (1 connection): blocking p50 50 µs, uring 40 µs -> the denominator is 40.
  for (int r = 0; r < 3; ++r) {
    runs.push_back(MakeRun(Point{Phase::kUnloaded, "blocking", s.Unloaded(), 0, false}, r, 15000, 20, 50 + r, 80));
    runs.push_back(MakeRun(Point{Phase::kUnloaded, "uring", s.Unloaded(), 0, false}, r, 16000, 20, 40 - r, 70));
  }
  ASSERT_TRUE(UnloadedRttUs(runs, s).has_value());
  EXPECT_DOUBLE_EQ(*UnloadedRttUs(runs, s), 39);  // median of 40, 39, 38
  const Point open{Phase::kOpen, "blocking", s, 0.5, false};
  runs.push_back(MakeRun(open, 0, 10000, 20, 78, 390));
  const auto points = SummarizePoints(runs, {RunSlot{open, 0}});
  ASSERT_EQ(points.size(), 1u);
  EXPECT_DOUBLE_EQ(points[0].slowdown_p50.median, 2);
  EXPECT_DOUBLE_EQ(points[0].slowdown_p99.median, 10);
  EXPECT_DOUBLE_EQ(points[0].slowdown_p999.median, 20);
  // Another placement has no unloaded run: no slowdown, not a wrong one.
  EXPECT_FALSE(UnloadedRttUs(runs, MakeSetup(100, Placement::kShared)).has_value());
}

TEST(BenchAggregate, PointsFollowExecutionOrderAndSkipUnrunPoints) {
  const iotax::bench::Setup s = MakeSetup();
  const Point a{Phase::kClosed, "uring", s, 0, false}, b{Phase::kClosed, "blocking", s, 0, false};
  const Point c{Phase::kOpen, "blocking", s, 0.5, false};
  std::vector<RunRecord> runs = {MakeRun(b, 0, 1, 1), MakeRun(a, 0, 1, 1)};
  const auto points = SummarizePoints(runs, {RunSlot{a, 0}, RunSlot{b, 0}, RunSlot{c, 0}});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].point.Id(), a.Id());
  EXPECT_EQ(points[1].point.Id(), b.Id());
}

}  // namespace
}  // namespace iotax::bench
