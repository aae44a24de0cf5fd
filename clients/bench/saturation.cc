#include "saturation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::bench {

double Median(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::optional<double> SaturationRps(const std::vector<RunRecord>& runs, const std::string& server, const Setup& setup) {
  std::vector<double> tput;
  for (const RunRecord& r : runs) {
    if (r.ok && r.point.phase == Phase::kClosed && !r.point.agent && r.point.server == server &&
        r.point.setup == setup && r.throughput_rps > 0) {
      tput.push_back(r.throughput_rps);
    }
  }
  if (tput.empty()) return std::nullopt;
  return Median(tput);
}

absl::StatusOr<double> OfferedRate(const Point& point, const std::vector<RunRecord>& runs) {
  if (point.phase != Phase::kOpen && point.phase != Phase::kProof) return 0.0;
  const std::string basis = point.phase == Phase::kOpen ? point.server : "blocking";
  const std::optional<double> sat = SaturationRps(runs, basis, point.setup);
  if (!sat) {
    return absl::FailedPreconditionError(
        absl::StrCat("no saturation of the ", basis, " server at ", point.setup.Label(),
                     " (its closed-loop runs failed), so its open-loop rate is unknown"));
  }
  return point.fraction * *sat;
}

std::optional<double> UnloadedRttUs(const std::vector<RunRecord>& runs, const Setup& setup) {
  const Setup unloaded = setup.Unloaded();
  std::vector<std::string> servers;
  for (const RunRecord& r : runs) {
    if (r.point.phase == Phase::kUnloaded && r.point.setup == unloaded &&
        std::find(servers.begin(), servers.end(), r.point.server) == servers.end()) {
      servers.push_back(r.point.server);
    }
  }
  std::optional<double> best;
  for (const std::string& server : servers) {
    std::vector<double> p50;
    for (const RunRecord& r : runs) {
      if (r.ok && r.point.phase == Phase::kUnloaded && r.point.setup == unloaded && r.point.server == server &&
          r.p50_us > 0) {
        p50.push_back(r.p50_us);
      }
    }
    const double m = Median(p50);
    if (!std::isnan(m) && (!best || m < *best)) best = m;
  }
  return best;
}

}  // namespace iotax::bench
