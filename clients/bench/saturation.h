// The reference figures later runs are scaled by, computed from finished
// runs (so a resumed bench gets the same ones):
//   saturation     median closed-loop throughput of a (server, setup)
//   offered rate   open loop: fraction x that server's saturation; proof:
//                  fraction x the BLOCKING server's saturation, so the blocking
//                  and io_uring servers carry the same offered load
//   unloaded RTT   the denominator of slowdown (Homa's definition: latency over
//                  the best round trip of the same message on an idle system):
//                  the lowest median p50 over the server models at 1 connection,
//                  same size, work, client and placement
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_matrix.h"
#include "run_record.h"

namespace iotax::bench {

// Median of the non-NaN values (mean of the middle two for an even count); NaN when none.
double Median(std::vector<double> values);

std::optional<double> SaturationRps(const std::vector<RunRecord>& runs, const std::string& server, const Setup& setup);

// 0 for closed-loop and unloaded points; an error when the saturation it
// depends on was not measured (every closed-loop run of it failed).
absl::StatusOr<double> OfferedRate(const Point& point, const std::vector<RunRecord>& runs);

std::optional<double> UnloadedRttUs(const std::vector<RunRecord>& runs, const Setup& setup);

}  // namespace iotax::bench
