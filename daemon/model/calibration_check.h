// Whether a stored calibration can be trusted. LoadCalibration applies it,
// so `iotax report`, iotaxd and `iotax doctor` never use a calibration that
// fails it, and `iotax calibrate` applies it before writing, so it never
// writes one they would reject. Pure.
#pragma once

#include "absl/status/status.h"
#include "async_cost.h"

namespace iotax {

// OK, or FailedPrecondition whose message is one clause naming the first
// problem found, e.g. "the row at 60000 requests/s offered was not clean
// (...)". Files without the machine's load (older iotax versions) are
// rejected: that version kept rows whose runs stayed unclean, and nothing
// in such a file tells those rows apart.
absl::Status CheckCalibration(const Calibration& calibration);

}  // namespace iotax
