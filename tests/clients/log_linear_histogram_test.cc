#include "log_linear_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace iotax::client {
namespace {

// Nearest rank on the exact sorted values: the reference the histogram approximates.
uint64_t ExactPercentile(std::vector<uint64_t> values, double p) {
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size()) - 1e-9));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

TEST(LogLinearHistogram, EmptyReportsZeros) {
  LogLinearHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LogLinearHistogram, SmallValuesAreExact) {
  LogLinearHistogram h;
  for (uint64_t v = 1; v <= 63; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 63u);
  EXPECT_EQ(h.Percentile(50), 32u);   // rank ceil(31.5) = 32
  EXPECT_EQ(h.Percentile(100), 63u);
  EXPECT_EQ(h.Percentile(1), 1u);     // rank ceil(0.63) = 1
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.sum(), 63u * 64u / 2u);
}

TEST(LogLinearHistogram, CountsSumMinMaxAreExact) {
  LogLinearHistogram h;
  const std::vector<uint64_t> values = {1000, 123456789, 77, 5'000'000'000ULL, 64, 65};
  uint64_t sum = 0;
  for (uint64_t v : values) {
    h.Record(v);
    sum += v;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.sum(), sum);
  EXPECT_EQ(h.min(), 64u);
  EXPECT_EQ(h.max(), 5'000'000'000ULL);
  EXPECT_DOUBLE_EQ(h.mean(), static_cast<double>(sum) / values.size());
  EXPECT_EQ(h.Percentile(100), 5'000'000'000ULL);  // the max, not its bucket's upper bound
}

TEST(LogLinearHistogram, PercentileEdges) {
  LogLinearHistogram h;
  h.Record(1'000'000);
  for (double p : {0.001, 50.0, 99.9, 100.0}) EXPECT_EQ(h.Percentile(p), 1'000'000u) << p;

  // 1000 values 1..1000 (x1000 so they land in wide buckets): p99.9 is rank 999, not 1000.
  LogLinearHistogram g;
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 1000; ++v) values.push_back(v * 1000);
  for (uint64_t v : values) g.Record(v);
  const uint64_t p999 = g.Percentile(99.9);
  EXPECT_GE(p999, 999'000u);
  EXPECT_LT(p999, 1'000'000u);
  EXPECT_EQ(g.Percentile(100), 1'000'000u);
  // p50 = rank 500 exactly; the reported value is in 500000's bucket.
  EXPECT_EQ(LogLinearHistogram::BucketIndex(g.Percentile(50)), LogLinearHistogram::BucketIndex(500'000));
}

TEST(LogLinearHistogram, BucketsTileTheRangeWithBoundedWidth) {
  for (size_t i = 0; i + 1 < LogLinearHistogram::kBucketCount; ++i) {
    const uint64_t lo = LogLinearHistogram::BucketLowest(i);
    const uint64_t hi = LogLinearHistogram::BucketHighest(i);
    ASSERT_EQ(LogLinearHistogram::BucketIndex(lo), i);
    ASSERT_EQ(LogLinearHistogram::BucketIndex(hi), i);
    ASSERT_EQ(LogLinearHistogram::BucketLowest(i + 1), hi + 1) << "gap after bucket " << i;
    ASSERT_LE(static_cast<double>(hi - lo), static_cast<double>(lo) / 64.0) << "bucket " << i;
  }
  EXPECT_EQ(LogLinearHistogram::BucketIndex(UINT64_MAX), LogLinearHistogram::kBucketCount - 1);
  EXPECT_EQ(LogLinearHistogram::BucketHighest(LogLinearHistogram::kBucketCount - 1), UINT64_MAX);
}

TEST(LogLinearHistogram, PercentilesWithinRelativeErrorBound) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exponent(0.0, 12.0);  // 1 ns .. 1000 s, log-uniform
  std::vector<uint64_t> values;
  LogLinearHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const uint64_t v = static_cast<uint64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(v);
    h.Record(v);
  }
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const uint64_t exact = ExactPercentile(values, p);
    const uint64_t got = h.Percentile(p);
    EXPECT_GE(got, exact) << "p" << p << " must never under-report";
    EXPECT_LE(static_cast<double>(got), static_cast<double>(exact) * (1.0 + 1.0 / 64.0)) << "p" << p;
  }
}

TEST(LogLinearHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<uint64_t> dist(0, 50'000'000);
  LogLinearHistogram a, b, all;
  for (int i = 0; i < 10000; ++i) {
    const uint64_t v = dist(rng);
    (i % 3 == 0 ? a : b).Record(v);
    all.Record(v);
  }
  LogLinearHistogram empty;
  a.Merge(empty);
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.sum(), all.sum());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double p : {50.0, 90.0, 99.0, 99.9}) EXPECT_EQ(a.Percentile(p), all.Percentile(p)) << p;

  empty.Merge(all);  // into an empty one: min must come across
  EXPECT_EQ(empty.min(), all.min());
  a.Reset();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.Percentile(99), 0u);
}

}  // namespace
}  // namespace iotax::client
