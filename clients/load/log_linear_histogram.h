// A log-linear latency histogram in the style of HdrHistogram: values below
// 64 have a bucket each; every power-of-two range [2^m, 2^(m+1)) above that is
// split into 64 equal sub-buckets. A bucket is therefore never wider than 1/64
// of its smallest value, so percentiles carry at most 1/64 (1.6%) relative
// error, whatever the scale (ns to minutes). Count, sum, min and max are exact.
//
// Percentile rule (nearest rank): percentile(p) is the smallest recorded value
// v such that at least ceil(p/100 * count) recorded values are <= v, reported
// as the highest value its bucket can hold, clamped to [min, max]. It never
// under-reports and over-reports by at most 1/64 of the true value;
// percentile(100) is the exact max.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace iotax::client {

class LogLinearHistogram {
 public:
  static constexpr int kSubBucketBits = 6;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBucketBits;  // 64
  // Buckets 0..63 are exact; then 64 per power of two from 2^6 to 2^63.
  static constexpr size_t kBucketCount = kSubBuckets + (64 - kSubBucketBits) * kSubBuckets;

  LogLinearHistogram();

  void Record(uint64_t value) {
    if (counts_.empty()) counts_.resize(kBucketCount);  // unused histograms cost nothing
    ++counts_[BucketIndex(value)];
    ++count_;
    sum_ += value;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void Merge(const LogLinearHistogram& other);
  void Reset();

  uint64_t count() const { return count_; }
  uint64_t sum() const { return sum_; }
  // 0 when empty.
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }

  // See the rule above; p in (0, 100]. 0 when empty.
  uint64_t Percentile(double p) const;

  // Bucket arithmetic, public for tests.
  static size_t BucketIndex(uint64_t value) {
    if (value < kSubBuckets) return static_cast<size_t>(value);
    const int magnitude = 63 - __builtin_clzll(value);  // >= kSubBucketBits
    const int shift = magnitude - kSubBucketBits;
    const uint64_t sub = (value >> shift) - kSubBuckets;  // 0..63
    return static_cast<size_t>(kSubBuckets + static_cast<uint64_t>(shift) * kSubBuckets + sub);
  }
  static uint64_t BucketLowest(size_t index);
  static uint64_t BucketHighest(size_t index);

 private:
  std::vector<uint64_t> counts_;  // empty until the first value
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace iotax::client
