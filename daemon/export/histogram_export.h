// Turns the kernel's log2 nanosecond histograms into Prometheus histograms in
// seconds. Only the conversion lives here: no metric names, no labels.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "prometheus/client_metric.h"
#include "snapshot.h"

namespace iotax {

// The fine bucket a value of `ns` nanoseconds falls in, exactly as the BPF
// side computes it: the smallest i with ns <= 2^i (0 for ns <= 1), capped at
// the overflow bucket. Used by tests and synthetic snapshots.
int Log2BucketIndex(uint64_t ns);

// The `le` bound of fine bucket i in nanoseconds (2^i). The overflow bucket
// (kHistBuckets - 1) has no finite bound.
uint64_t Log2BucketBoundNs(int index);

// Fine bucket indices exported as Prometheus bounds: every power of 4 from
// 2^10 ns (1.024 us) to 2^34 ns (17.18 s), then +Inf.
const std::vector<int>& DefaultExportBounds();

// Checks that `bound_indices` is strictly ascending and that each is a real
// fine bound (not the overflow bucket). Coarse bounds that are not fine
// bounds would break `le` semantics, so they are not representable at all.
absl::Status ValidateExportBounds(const std::vector<int>& bound_indices);

// Cumulative Prometheus buckets: for each bound index b, the count of values
// <= 2^b ns, i.e. the sum of fine buckets 0..b; then +Inf with the total.
// `sum_ns` becomes sample_sum in seconds; sample_count is the total of all
// fine buckets, so the +Inf bucket always equals _count.
// `bound_indices` must pass ValidateExportBounds.
prometheus::ClientMetric::Histogram ExportLog2Histogram(const Log2Histogram& fine, uint64_t sum_ns,
                                                        const std::vector<int>& bound_indices);

inline prometheus::ClientMetric::Histogram ExportLog2Histogram(const Log2Histogram& fine,
                                                               uint64_t sum_ns) {
  return ExportLog2Histogram(fine, sum_ns, DefaultExportBounds());
}

}  // namespace iotax
