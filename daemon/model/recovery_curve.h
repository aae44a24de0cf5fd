// The IPC recovery curve after a kernel return, reconstructed from log2
// buckets of user-mode segments (instructions from a kernel return to the
// next kernel entry), and the cycles lost per return relative to steady
// state. Pure; derivation in docs/methodology-ipc.md.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "snapshot.h"

namespace iotax::ipc {

// Segment buckets (SegmentBucket, SegmentHistogram, kSegmentBuckets) are
// defined with the snapshot: bucket k holds segments of n instructions with
// 2^(k-1) < n <= 2^k (bucket 0: n <= 1), the last also longer ones; the rule
// of the BPF side (ceil(log2 n), rounded up).
using ::iotax::kSegmentBuckets;
using ::iotax::SegmentBucket;
using ::iotax::SegmentHistogram;
int SegmentBucketOf(uint64_t instructions);

// Average IPC of the segments in one bucket.
struct BucketPoint {
  int bucket = 0;
  uint64_t segments = 0;
  double mean_instructions = 0;  // per segment
  double mean_cycles = 0;        // per segment
  double ipc = 0;                // instructions / cycles over the bucket
};

// The instantaneous IPC at a distance from the kernel return, from the
// difference of two adjacent populated buckets: the extra instructions that
// longer segments run, over the extra cycles they take.
struct MarginalPoint {
  double instructions_since_return = 0;  // midpoint of the two buckets' mean lengths
  double ipc = 0;
};

struct CurveOptions {
  uint64_t min_segments = 20;        // buckets with fewer segments are too noisy to use
  // ... and so are buckets with less than this share of all segments: a
  // handful of outliers (segments stretched by an interrupt storm or a
  // switch BPF did not see) must not pass for a point of the curve.
  double min_share = 0.001;
  int tail_buckets = 4;              // longest populated buckets used for steady state
  double convergence_tolerance = 0.05;  // tail marginal IPCs within this relative spread
};

struct RecoveryCurve {
  std::vector<BucketPoint> buckets;      // populated buckets, shortest first
  std::vector<MarginalPoint> marginal;   // between consecutive populated buckets
  uint64_t returns = 0;                  // all segments (kernel returns) in the histogram
  bool steady_ok = false;                // steady state and cycles lost were estimated
  bool converged = false;                // the tail's marginal IPC is flat within tolerance
  std::string note;                      // why not estimated, or a caveat
  int tail_buckets_used = 0;
  double steady_ipc = 0;                 // 1 / slope of cycles vs instructions over the tail
  // Asymptotic cycles lost per return: the intercept of mean cycles vs mean
  // instructions over the tail, i.e. the integral of (1/ipc(x) - 1/ss).
  double cycles_lost_per_return = 0;
  // What the observed segments actually lost relative to steady state
  // (short segments stop before recovering fully): sum(C - I/ss) / returns.
  double realized_cycles_lost_per_return = 0;
};

RecoveryCurve ReconstructCurve(const SegmentHistogram& histogram, const CurveOptions& options = {});

}  // namespace iotax::ipc
