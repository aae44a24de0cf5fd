// The human form of a Report (what `iotax report` prints): the verdict and
// its reasons first, then where the CPU and the threads' time went, the
// syscall classes and the latency figures.
#pragma once

#include <string>

#include "report.h"

namespace iotax {

std::string FormatReportText(const Report& report);

// The first line of a service's report: what it is and how many processes
// were seen, joined and exited in the window, its threads and CPUs.
std::string ServiceHeader(const ServiceReport& service, int threads);

}  // namespace iotax
