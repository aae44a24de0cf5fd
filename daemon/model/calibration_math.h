// The arithmetic of one calibration point: the blocking and the io_uring
// reference servers measured under the same offered load (each as tracer
// sub-windows plus the client's request rate) give what the io_uring server
// pays per replaced blocking call beyond the blocking server's work outside
// blocking. Pure; used by `iotax calibrate`, tested on synthetic windows.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "async_cost.h"
#include "target_window.h"

namespace iotax {

struct ServerRun {
  std::vector<TargetWindow> windows;  // tracer sub-windows of the server
  double requests_per_second = 0;     // as the client measured them
};

// Fails (with what to change) when the blocking server did not block or a
// run served no requests.
absl::StatusOr<CalibrationPoint> ComputeCalibrationPoint(const ServerRun& blocking, const ServerRun& uring,
                                                         double offered_rate, const PmuStatus& pmu);

}  // namespace iotax
