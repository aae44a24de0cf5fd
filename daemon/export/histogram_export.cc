#include "histogram_export.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace iotax {

int Log2BucketIndex(uint64_t ns) {
  if (ns <= 1) return 0;
  // ceil(log2(ns)) = bit width of (ns - 1): 2 -> 1, 3 -> 2, 4 -> 2, 5 -> 3.
  const int index = 64 - __builtin_clzll(ns - 1);
  return index < kHistBuckets - 1 ? index : kHistBuckets - 1;
}

uint64_t Log2BucketBoundNs(int index) { return uint64_t{1} << index; }

const std::vector<int>& DefaultExportBounds() {
  static const std::vector<int> bounds = [] {
    std::vector<int> b;
    for (int i = 10; i <= 34; i += 2) b.push_back(i);
    return b;
  }();
  return bounds;
}

absl::Status ValidateExportBounds(const std::vector<int>& bound_indices) {
  int previous = -1;
  for (int b : bound_indices) {
    if (b < 0 || b >= kHistBuckets - 1) {
      return absl::InvalidArgumentError(absl::StrCat("histogram bound index ", b,
                                                     " is outside 0..", kHistBuckets - 2,
                                                     " (the last fine bucket is overflow)"));
    }
    if (b <= previous) {
      return absl::InvalidArgumentError(
          absl::StrCat("histogram bound indices must ascend strictly; ", b, " follows ", previous));
    }
    previous = b;
  }
  return absl::OkStatus();
}

prometheus::ClientMetric::Histogram ExportLog2Histogram(const Log2Histogram& fine, uint64_t sum_ns,
                                                        const std::vector<int>& bound_indices) {
  prometheus::ClientMetric::Histogram out;
  out.bucket.reserve(bound_indices.size() + 1);
  uint64_t cumulative = 0;
  int next_fine = 0;
  for (int b : bound_indices) {
    // Fine bucket i holds (2^(i-1), 2^i], so everything in buckets 0..b is <= 2^b.
    for (; next_fine <= b; ++next_fine) cumulative += fine[next_fine];
    out.bucket.push_back({cumulative, static_cast<double>(Log2BucketBoundNs(b)) / 1e9});
  }
  for (; next_fine < kHistBuckets; ++next_fine) cumulative += fine[next_fine];
  out.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  out.sample_count = cumulative;
  out.sample_sum = static_cast<double>(sum_ns) / 1e9;
  return out;
}

}  // namespace iotax
