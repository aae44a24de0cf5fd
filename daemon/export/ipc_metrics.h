// Tier 3 (IPC) metric families from an IpcView. Pure: the same view always
// gives the same families. With the PMU down only iotax_pmu_up 0 and
// iotax_pmu_info{reason} are exported: no IPC series at all, never zeros.
// Every name is documented in docs/metrics.md.
#pragma once

#include <vector>

#include "ipc_analyzer.h"
#include "prometheus/metric_family.h"

namespace iotax::ipc {

std::vector<prometheus::MetricFamily> BuildIpcMetricFamilies(const IpcView& view);

// The `instructions` label of iotax_ipc_recovery: the power of two nearest
// to a point's distance from the kernel return.
uint64_t NearestPowerOfTwo(double instructions);

}  // namespace iotax::ipc
