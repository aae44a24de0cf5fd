#include "recovery_curve.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::ipc {

int SegmentBucketOf(uint64_t instructions) {
  if (instructions <= 1) return 0;
  // ceil(log2 n) = bit width of n - 1.
  const int k = static_cast<int>(std::bit_width(instructions - 1));
  return std::min(k, kSegmentBuckets - 1);
}

RecoveryCurve ReconstructCurve(const SegmentHistogram& histogram, const CurveOptions& options) {
  RecoveryCurve curve;
  uint64_t total_instructions = 0;
  uint64_t total_cycles = 0;
  for (const SegmentBucket& b : histogram) {
    curve.returns += b.segments;
    total_instructions += b.instructions;
    total_cycles += b.cycles;
  }
  const double min_count = std::max({static_cast<double>(options.min_segments), 1.0,
                                     options.min_share * static_cast<double>(curve.returns)});
  for (int k = 0; k < kSegmentBuckets; ++k) {
    const SegmentBucket& b = histogram[k];
    if (static_cast<double>(b.segments) < min_count || b.cycles == 0) continue;
    BucketPoint p;
    p.bucket = k;
    p.segments = b.segments;
    p.mean_instructions = static_cast<double>(b.instructions) / static_cast<double>(b.segments);
    p.mean_cycles = static_cast<double>(b.cycles) / static_cast<double>(b.segments);
    p.ipc = static_cast<double>(b.instructions) / static_cast<double>(b.cycles);
    curve.buckets.push_back(p);
  }
  for (size_t i = 1; i < curve.buckets.size(); ++i) {
    const BucketPoint& a = curve.buckets[i - 1];
    const BucketPoint& b = curve.buckets[i];
    const double dc = b.mean_cycles - a.mean_cycles;
    if (dc <= 0) continue;  // noise: longer segments cannot take fewer cycles
    curve.marginal.push_back({0.5 * (a.mean_instructions + b.mean_instructions),
                              (b.mean_instructions - a.mean_instructions) / dc});
  }

  // Steady state from the longest populated buckets: there the mean cycles of
  // a segment of n instructions are n / ss + L, a line in n.
  const int m = std::min<int>(std::max(options.tail_buckets, 2), static_cast<int>(curve.buckets.size()));
  if (m < 2) {
    curve.note = absl::StrCat("need at least 2 buckets with ", static_cast<uint64_t>(min_count),
                              " or more segments to find steady-state IPC; have ", curve.buckets.size(),
                              ": segments of one length only tell the average IPC, not its recovery");
    return curve;
  }
  const auto tail_begin = curve.buckets.end() - m;
  double sw = 0, swx = 0, swy = 0, swxx = 0, swxy = 0;
  for (auto it = tail_begin; it != curve.buckets.end(); ++it) {
    const double w = static_cast<double>(it->segments);
    sw += w;
    swx += w * it->mean_instructions;
    swy += w * it->mean_cycles;
    swxx += w * it->mean_instructions * it->mean_instructions;
    swxy += w * it->mean_instructions * it->mean_cycles;
  }
  const double denom = sw * swxx - swx * swx;
  const double slope = denom > 0 ? (sw * swxy - swx * swy) / denom : 0.0;  // steady-state CPI
  if (!(slope > 0)) {
    curve.note = "cycles did not grow with segment length over the longest buckets: no steady state";
    return curve;
  }
  const double intercept = (swy - slope * swx) / sw;
  curve.steady_ok = true;
  curve.tail_buckets_used = m;
  curve.steady_ipc = 1.0 / slope;
  curve.cycles_lost_per_return = intercept;
  if (curve.returns > 0) {
    curve.realized_cycles_lost_per_return =
        (static_cast<double>(total_cycles) - slope * static_cast<double>(total_instructions)) /
        static_cast<double>(curve.returns);
  }

  // Converged when the marginal IPC inside the tail is flat.
  double lo = 0, hi = 0;
  int seen = 0;
  for (const MarginalPoint& p : curve.marginal) {
    if (p.instructions_since_return < tail_begin->mean_instructions) continue;
    lo = seen == 0 ? p.ipc : std::min(lo, p.ipc);
    hi = seen == 0 ? p.ipc : std::max(hi, p.ipc);
    ++seen;
  }
  curve.converged = seen >= 1 && hi <= lo * (1.0 + options.convergence_tolerance);
  if (!curve.converged) {
    curve.note = seen == 0 ? "too few long segments to check that IPC has settled"
                           : absl::StrFormat("IPC still changes over the longest buckets (%.3g to %.3g): steady "
                                             "state IPC and cycles lost may be underestimated",
                                             lo, hi);
  }
  return curve;
}

}  // namespace iotax::ipc
