// The verdict as Prometheus metrics (docs/metrics.md, "Verdict"): overhead
// and saving ratios with their 95% interval bounds, the level and the
// confidence, per target. Ratios are absent (not zero) when they cannot be
// computed; the level is then 0 (insufficient data).
#pragma once

#include <memory>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "report.h"

namespace iotax {

class VerdictSampler;

std::vector<prometheus::MetricFamily> BuildVerdictMetricFamilies(const Report& report);

// Exports the sampler's latest report at every scrape.
class VerdictCollector : public prometheus::Collectable {
 public:
  explicit VerdictCollector(const VerdictSampler* sampler) : sampler_(sampler) {}
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const VerdictSampler* sampler_;
};

}  // namespace iotax
