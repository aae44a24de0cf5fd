#include "log_linear_histogram.h"

#include <algorithm>
#include <cmath>

namespace iotax::client {

LogLinearHistogram::LogLinearHistogram() = default;

void LogLinearHistogram::Merge(const LogLinearHistogram& other) {
  if (other.count_ == 0) return;
  if (counts_.empty()) counts_.resize(kBucketCount);
  for (size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LogLinearHistogram::Reset() {
  counts_.clear();
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t LogLinearHistogram::BucketLowest(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const uint64_t sub = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

uint64_t LogLinearHistogram::BucketHighest(size_t index) {
  if (index < kSubBuckets) return index;
  const uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  return BucketLowest(index) + ((uint64_t{1} << shift) - 1);
}

uint64_t LogLinearHistogram::Percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  // Nearest rank, at least 1 so that percentile(0+) is the min's bucket.
  // The epsilon keeps e.g. 99.9% of 1000 at rank 999 despite rounding.
  const double exact = p / 100.0 * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(std::ceil(exact - 1e-9 * std::max(1.0, exact)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(BucketHighest(i), min_, max_);
  }
  return max_;
}

}  // namespace iotax::client
