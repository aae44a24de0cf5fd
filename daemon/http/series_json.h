// /api/series: per-step time series of each target over the kept history,
// for the page's live charts: CPU split (user, kernel work in syscalls, the
// direct cost of blocking IO, io_uring workers), off-CPU time by reason,
// syscall rate by class, run-queue waits. Rates per second of wall time.
#pragma once

#include <vector>

#include "nlohmann/json.hpp"
#include "verdict_sampler.h"

namespace iotax {

nlohmann::json BuildSeriesJson(const std::vector<HistoryEntry>& history);

}  // namespace iotax
