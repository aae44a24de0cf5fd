// The human form of a Report (what `iotax report` prints): the verdict and
// its reasons first, then where the CPU and the threads' time went, the
// syscall classes and the latency figures.
#pragma once

#include <string>

#include "report.h"

namespace iotax {

std::string FormatReportText(const Report& report);

}  // namespace iotax
