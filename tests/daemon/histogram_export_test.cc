#include "histogram_export.h"

#include <gtest/gtest.h>

#include <cmath>

#include "iotax.h"  // iotax_log2_bucket, the kernel side's bucket function

namespace iotax {
namespace {

// Puts `ns` into a fine histogram the way the BPF side does.
void Record(Log2Histogram& h, uint64_t ns) { ++h[Log2BucketIndex(ns)]; }

// Cumulative count of the exported bucket whose bound is `seconds`.
uint64_t CountAtBound(const prometheus::ClientMetric::Histogram& h, double seconds) {
  for (const auto& b : h.bucket) {
    if (b.upper_bound == seconds) return b.cumulative_count;
  }
  ADD_FAILURE() << "no bucket with le=" << seconds;
  return 0;
}

TEST(Log2BucketIndex, RoundsUpSoTheBoundIsAtLeastTheValue) {
  EXPECT_EQ(Log2BucketIndex(0), 0);
  EXPECT_EQ(Log2BucketIndex(1), 0);
  EXPECT_EQ(Log2BucketIndex(2), 1);
  EXPECT_EQ(Log2BucketIndex(3), 2);
  EXPECT_EQ(Log2BucketIndex(4), 2);
  EXPECT_EQ(Log2BucketIndex(5), 3);
  EXPECT_EQ(Log2BucketIndex(4096), 12);
  EXPECT_EQ(Log2BucketIndex(4097), 13);
  EXPECT_EQ(Log2BucketIndex(uint64_t{1} << 38), 38);
  EXPECT_EQ(Log2BucketIndex((uint64_t{1} << 38) + 1), kHistBuckets - 1);
  EXPECT_EQ(Log2BucketIndex(UINT64_MAX), kHistBuckets - 1);
  for (uint64_t v : {1ull, 2ull, 3ull, 1000ull, 1024ull, 1025ull, 999'999'999ull}) {
    const int i = Log2BucketIndex(v);
    EXPECT_LE(v, Log2BucketBoundNs(i)) << v;
    if (i > 0) {
      EXPECT_GT(v, Log2BucketBoundNs(i - 1)) << v;
    }
  }
}

TEST(Log2BucketIndex, AgreesWithTheKernelSide) {
  for (int shift = 0; shift < 64; ++shift) {
    const uint64_t p = uint64_t{1} << shift;
    for (uint64_t v : {p - 1, p, p + 1, p + p / 2}) {
      EXPECT_EQ(Log2BucketIndex(v), static_cast<int>(iotax_log2_bucket(v))) << v;
    }
  }
}

TEST(HistogramExport, DefaultBoundsArePowersOfFourFromAboutOneMicrosecondToSeventeenSeconds) {
  const std::vector<int>& b = DefaultExportBounds();
  ASSERT_EQ(b.size(), 13u);
  EXPECT_EQ(b.front(), 10);
  EXPECT_EQ(b.back(), 34);
  EXPECT_TRUE(ValidateExportBounds(b).ok());
  const auto h = ExportLog2Histogram(Log2Histogram{}, 0);
  ASSERT_EQ(h.bucket.size(), 14u);
  EXPECT_DOUBLE_EQ(h.bucket.front().upper_bound, 1.024e-6);
  EXPECT_DOUBLE_EQ(h.bucket[12].upper_bound, 17.179869184);
  EXPECT_TRUE(std::isinf(h.bucket.back().upper_bound));
}

TEST(HistogramExport, ValueExactlyOnABoundLandsInThatBucket) {
  Log2Histogram fine{};
  Record(fine, 4096);  // exactly 2^12 ns = le 4.096e-6
  const auto h = ExportLog2Histogram(fine, 4096);
  EXPECT_EQ(CountAtBound(h, 1.024e-6), 0u);
  EXPECT_EQ(CountAtBound(h, 4096e-9), 1u);
  EXPECT_EQ(CountAtBound(h, 16384e-9), 1u);
}

TEST(HistogramExport, ValueJustAboveABoundLandsInTheNextCoarseBucket) {
  Log2Histogram fine{};
  Record(fine, 4097);  // fine bucket 13, which the coarse bound 2^14 covers
  const auto h = ExportLog2Histogram(fine, 4097);
  EXPECT_EQ(CountAtBound(h, 4096e-9), 0u);
  EXPECT_EQ(CountAtBound(h, 16384e-9), 1u);
}

TEST(HistogramExport, BucketsAreCumulativeAndInfEqualsCount) {
  Log2Histogram fine{};
  for (uint64_t v : {500ull, 1024ull, 1025ull, 5000ull, 70'000ull, 1'000'000'000ull}) Record(fine, v);
  const auto h = ExportLog2Histogram(fine, 123'456'789);
  EXPECT_EQ(CountAtBound(h, 1024e-9), 2u);            // 500, 1024
  EXPECT_EQ(CountAtBound(h, 4096e-9), 3u);            // + 1025
  EXPECT_EQ(CountAtBound(h, 16384e-9), 4u);           // + 5000
  EXPECT_EQ(CountAtBound(h, 262144e-9), 5u);          // + 70000 (bucket 17 <= 2^18)
  EXPECT_EQ(CountAtBound(h, 1073741824e-9), 6u);      // + 1 s (bucket 30)
  for (size_t i = 1; i < h.bucket.size(); ++i) EXPECT_GE(h.bucket[i].cumulative_count, h.bucket[i - 1].cumulative_count);
  EXPECT_EQ(h.bucket.back().cumulative_count, 6u);
  EXPECT_EQ(h.sample_count, 6u);
  EXPECT_DOUBLE_EQ(h.sample_sum, 0.123456789);
}

TEST(HistogramExport, OverflowAndValuesAboveTheLastBoundOnlyReachInf) {
  Log2Histogram fine{};
  Record(fine, 20'000'000'000ull);  // 20 s: above 2^34 ns, fine bucket 35
  Record(fine, UINT64_MAX);         // overflow bucket
  const auto h = ExportLog2Histogram(fine, 0);
  EXPECT_EQ(CountAtBound(h, 17.179869184), 0u);
  EXPECT_EQ(h.bucket.back().cumulative_count, 2u);
  EXPECT_EQ(h.sample_count, 2u);
}

TEST(HistogramExport, CoarseMergeWithCustomBounds) {
  Log2Histogram fine{};
  fine[3] = 1;   // (4, 8] ns
  fine[4] = 2;   // (8, 16]
  fine[5] = 4;   // (16, 32]
  fine[9] = 8;   // (256, 512]
  const auto h = ExportLog2Histogram(fine, 0, {4, 8});
  ASSERT_EQ(h.bucket.size(), 3u);
  EXPECT_DOUBLE_EQ(h.bucket[0].upper_bound, 16e-9);
  EXPECT_EQ(h.bucket[0].cumulative_count, 3u);
  EXPECT_DOUBLE_EQ(h.bucket[1].upper_bound, 256e-9);
  EXPECT_EQ(h.bucket[1].cumulative_count, 7u);
  EXPECT_EQ(h.bucket[2].cumulative_count, 15u);
}

TEST(HistogramExport, RejectsBoundsThatBreakLeSemantics) {
  EXPECT_FALSE(ValidateExportBounds({12, 10}).ok());              // not ascending
  EXPECT_FALSE(ValidateExportBounds({10, 10}).ok());              // duplicate
  EXPECT_FALSE(ValidateExportBounds({kHistBuckets - 1}).ok());    // overflow has no bound
  EXPECT_FALSE(ValidateExportBounds({-1}).ok());
  EXPECT_TRUE(ValidateExportBounds({0, 1, kHistBuckets - 2}).ok());
}

}  // namespace
}  // namespace iotax
