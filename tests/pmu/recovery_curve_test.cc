// Reconstruction of the IPC recovery curve from log2 segment buckets, on
// synthetic segments whose cycles are the exact integral of 1/ipc(x) for a
// known ipc(x) = ss * (1 - d * exp(-x / tau)).
#include "recovery_curve.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace iotax::ipc {
namespace {

using ::testing::HasSubstr;

TEST(SegmentBucketOf, RoundsUpLikeTheNanosecondHistograms) {
  EXPECT_EQ(SegmentBucketOf(0), 0);
  EXPECT_EQ(SegmentBucketOf(1), 0);
  EXPECT_EQ(SegmentBucketOf(2), 1);
  EXPECT_EQ(SegmentBucketOf(3), 2);
  EXPECT_EQ(SegmentBucketOf(4), 2);
  EXPECT_EQ(SegmentBucketOf(5), 3);
  EXPECT_EQ(SegmentBucketOf(1024), 10);
  EXPECT_EQ(SegmentBucketOf(1025), 11);
  EXPECT_EQ(SegmentBucketOf(uint64_t{1} << 31), 31);
  EXPECT_EQ(SegmentBucketOf(~uint64_t{0}), kSegmentBuckets - 1);
}

struct Curve {
  double ss;   // steady-state IPC
  double d;    // depth of the drop at the return (ipc(0) = ss * (1 - d))
  double tau;  // recovery constant, instructions
  double Ipc(double x) const { return ss * (1.0 - d * std::exp(-x / tau)); }
  // Cycles of a segment of n instructions: integral of 1/ipc over [0, n].
  double Cycles(double n) const { return (n + tau * std::log((1.0 - d * std::exp(-n / tau)) / (1.0 - d))) / ss; }
  // Integral of (1/ipc(x) - 1/ss) over [0, inf).
  double CyclesLost() const { return -tau / ss * std::log(1.0 - d); }
};

struct Sample {
  SegmentHistogram hist{};
  double exact_excess = 0;  // sum over segments of Cycles(n) - n / ss
  uint64_t segments = 0;
};

// Segments with log-uniform lengths in [2^lo, 2^hi].
Sample Generate(const Curve& c, int n, double lo, double hi, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> log_len(lo, hi);
  Sample s;
  for (int i = 0; i < n; ++i) {
    const uint64_t len = static_cast<uint64_t>(std::llround(std::exp2(log_len(rng))));
    const double cycles = c.Cycles(static_cast<double>(len));
    SegmentBucket& b = s.hist[SegmentBucketOf(len)];
    b.segments += 1;
    b.instructions += len;
    b.cycles += static_cast<uint64_t>(std::llround(cycles));
    s.exact_excess += cycles - static_cast<double>(len) / c.ss;
    s.segments += 1;
  }
  return s;
}

void ExpectRecovered(const Curve& c, uint64_t seed) {
  // From 64 instructions up: shorter segments differ by a few cycles, where
  // integer cycle counts alone would blur the curve by more than 5%.
  const Sample s = Generate(c, 200000, 6, 22, seed);
  const RecoveryCurve r = ReconstructCurve(s.hist);
  ASSERT_TRUE(r.steady_ok) << r.note;
  EXPECT_TRUE(r.converged) << r.note;
  EXPECT_EQ(r.returns, s.segments);
  ASSERT_GE(r.marginal.size(), 15u);
  for (const MarginalPoint& p : r.marginal) {
    EXPECT_NEAR(p.ipc / c.Ipc(p.instructions_since_return), 1.0, 0.05)
        << "at " << p.instructions_since_return << " instructions";
  }
  // The bucket averages are averages of the true curve over their segments.
  for (const BucketPoint& b : r.buckets) {
    EXPECT_NEAR(b.ipc, b.mean_instructions / b.mean_cycles, 1e-9);
    EXPECT_LE(b.ipc, c.ss * 1.01);
    EXPECT_GE(b.ipc, c.Ipc(0) * 0.99);
  }
  EXPECT_NEAR(r.steady_ipc / c.ss, 1.0, 0.05);
  EXPECT_NEAR(r.cycles_lost_per_return / c.CyclesLost(), 1.0, 0.05);
  EXPECT_NEAR(r.realized_cycles_lost_per_return / (s.exact_excess / s.segments), 1.0, 0.05);
  // Short segments end before recovering: they lose less than the asymptote.
  EXPECT_LT(r.realized_cycles_lost_per_return, r.cycles_lost_per_return);
}

TEST(ReconstructCurve, RecoversAModerateDrop) { ExpectRecovered({2.0, 0.6, 3000}, 1); }

TEST(ReconstructCurve, RecoversADeepSlowDrop) { ExpectRecovered({1.5, 0.85, 20000}, 2); }

TEST(ReconstructCurve, RecoversAShallowFastDrop) { ExpectRecovered({3.0, 0.3, 500}, 3); }

TEST(ReconstructCurve, FlatCurveLosesNothing) {
  const Curve flat{1.25, 0.0, 1000};
  const Sample s = Generate(flat, 50000, 6, 20, 4);
  const RecoveryCurve r = ReconstructCurve(s.hist);
  ASSERT_TRUE(r.steady_ok) << r.note;
  EXPECT_NEAR(r.steady_ipc, 1.25, 1e-3);
  // Only the rounding of cycles to integers: well under a cycle per return.
  EXPECT_NEAR(r.cycles_lost_per_return, 0.0, 1.0);
  EXPECT_NEAR(r.realized_cycles_lost_per_return, 0.0, 1.0);
  for (const MarginalPoint& p : r.marginal) EXPECT_NEAR(p.ipc, 1.25, 0.05 * 1.25);
}

TEST(ReconstructCurve, SegmentsTooShortToSettleAreFlagged) {
  // Segments end long before recovery (tau = 1e5, at most 2^16 instructions).
  const Curve slow{2.0, 0.6, 1e5};
  const Sample s = Generate(slow, 100000, 6, 16, 5);
  const RecoveryCurve r = ReconstructCurve(s.hist);
  EXPECT_FALSE(r.converged);
  EXPECT_THAT(r.note, HasSubstr("IPC still changes"));
}

TEST(ReconstructCurve, TooLittleDataIsRefused) {
  SegmentHistogram h{};
  h[10] = {100, 100 * 1000, 100 * 800};
  const RecoveryCurve r = ReconstructCurve(h);
  EXPECT_FALSE(r.steady_ok);
  EXPECT_THAT(r.note, HasSubstr("need at least 2 buckets"));
  EXPECT_EQ(r.buckets.size(), 1u);
  EXPECT_TRUE(r.marginal.empty());
  EXPECT_EQ(r.returns, 100u);
}

TEST(ReconstructCurve, SparseBucketsAreIgnored) {
  SegmentHistogram h{};
  h[10] = {100, 100 * 1000, 100 * 800};
  h[12] = {100, 100 * 4000, 100 * 2600};
  h[20] = {3, 3 * 1000000, 3 * 100};  // below min_segments: noise
  const RecoveryCurve r = ReconstructCurve(h);
  ASSERT_TRUE(r.steady_ok) << r.note;
  EXPECT_EQ(r.buckets.size(), 2u);
  EXPECT_EQ(r.returns, 203u);
  // Two points: slope 1800/3000 cycles per instruction, intercept 800 - 0.6 * 1000.
  EXPECT_NEAR(r.steady_ipc, 3000.0 / 1800.0, 1e-9);
  EXPECT_NEAR(r.cycles_lost_per_return, 200.0, 1e-6);
}

TEST(ReconstructCurve, RareOutlierBucketsAreIgnored) {
  // A million short segments per bucket, and 60 stretched ones (interrupted):
  // 0.003% of all, below the 0.1% share, so not a point of the curve.
  SegmentHistogram h{};
  h[10] = {1000000, 1000000ull * 600, 1000000ull * 500};
  h[11] = {1000000, 1000000ull * 1500, 1000000ull * 1000};
  h[15] = {60, 60ull * 20000, 60ull * 40000};
  const RecoveryCurve r = ReconstructCurve(h);
  ASSERT_EQ(r.buckets.size(), 2u);
  EXPECT_EQ(r.buckets[0].bucket, 10);
  EXPECT_EQ(r.buckets[1].bucket, 11);
  ASSERT_EQ(r.marginal.size(), 1u);
  EXPECT_NEAR(r.marginal[0].ipc, 900.0 / 500.0, 1e-9);
}

}  // namespace
}  // namespace iotax::ipc
