#include "model_error.h"

#include <algorithm>

namespace iotax {

double ModelErrorMargin::NominalCoverage() const {
  return validation_rows > 0 ? static_cast<double>(validation_rows - 1) / (validation_rows + 1) : 0.0;
}

const ModelErrorMargin& ValidatedModelError() {
  // Recomputed from the CSV by tests/verdict/model_error_test.cc: change the
  // two together, and only from a new validation run, never from the run
  // that judges the verdict.
  static const ModelErrorMargin margin{
      .below = -0.3448,
      .above = 0.4941,
      .min_events_per_cpu_second = 1748.36,
      .validation_rows = 18,
      .source = "docs/experiments/model-error/validation.csv",
  };
  return margin;
}

ShareMargin ModelErrorShares(const ModelErrorMargin& margin, uint64_t events, double cpu_seconds) {
  if (events == 0 || cpu_seconds <= 0) return {};
  const double rate = static_cast<double>(events) / cpu_seconds;
  const double scale =
      margin.min_events_per_cpu_second > 0 ? std::min(1.0, rate / margin.min_events_per_cpu_second) : 1.0;
  return {margin.below * scale, margin.above * scale};
}

}  // namespace iotax
