#include "calibration_math.h"

#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "blocking_model.h"

namespace iotax {
namespace {

// Delete-one jackknife standard error of `f` over the sub-windows.
double JackknifeSe(const TargetWindow& total, const std::vector<TargetWindow>& parts,
                   const std::function<double(const TargetWindow&)>& f) {
  const size_t n = parts.size();
  if (n < 2) return 0;
  std::vector<double> values;
  double mean = 0;
  for (const TargetWindow& part : parts) {
    values.push_back(f(Without(total, part)));
    mean += values.back();
  }
  mean /= static_cast<double>(n);
  double var = 0;
  for (double v : values) var += (v - mean) * (v - mean);
  return std::sqrt(var * static_cast<double>(n - 1) / static_cast<double>(n));
}

}  // namespace

absl::StatusOr<CalibrationPoint> ComputeCalibrationPoint(const ServerRun& blocking, const ServerRun& uring,
                                                         double offered_rate, const PmuStatus& pmu) {
  if (blocking.windows.empty() || uring.windows.empty()) {
    return absl::FailedPreconditionError("a server run produced no measurement window");
  }
  if (blocking.requests_per_second <= 0 || uring.requests_per_second <= 0) {
    return absl::FailedPreconditionError("a server run served no requests: check that the client can connect");
  }
  const TargetWindow b_total = Combine(blocking.windows);
  const TargetWindow u_total = Combine(uring.windows);
  const BlockingBreakdown b = AnalyzeWindow(b_total, pmu, 0);
  const BlockingBreakdown u = AnalyzeWindow(u_total, pmu, 0);
  if (b.seconds <= 0 || u.seconds <= 0) return absl::FailedPreconditionError("empty measurement window");
  const uint64_t replaced = b.blocked_io_calls - b.uncalibrated_blocked_io_calls;
  if (replaced == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the blocking server never blocked in a call with a baseline at ", offered_rate,
        " requests/s (", b.blocked_io_calls, " blocked IO calls, none calibrated): pick a different rate"));
  }

  // Per second: the blocking server's CPU outside blocking, and the io_uring
  // server's CPU; per request through the client's rates.
  auto base_rate = [&pmu](const TargetWindow& w) {
    const BlockingBreakdown x = AnalyzeWindow(w, pmu, 0);
    const double overhead = x.direct_cpu_seconds + (x.indirect.available ? x.indirect.cpu_seconds : 0.0);
    return w.seconds > 0 ? (x.cpu_seconds - overhead) / w.seconds : 0.0;
  };
  auto cpu_rate = [&pmu](const TargetWindow& w) {
    return w.seconds > 0 ? AnalyzeWindow(w, pmu, 0).cpu_seconds / w.seconds : 0.0;
  };
  CalibrationPoint p;
  p.offered_rate = offered_rate;
  p.requests_per_second = blocking.requests_per_second;
  p.blocked_io_calls_per_second = static_cast<double>(replaced) / b.seconds;
  p.blocking_cpu_per_request = b.cpu_seconds / b.seconds / blocking.requests_per_second;
  p.uring_cpu_per_request = u.cpu_seconds / u.seconds / uring.requests_per_second;
  p.direct_per_request = b.direct_cpu_seconds / b.seconds / blocking.requests_per_second;
  p.indirect_per_request =
      (b.indirect.available ? b.indirect.cpu_seconds : 0.0) / b.seconds / blocking.requests_per_second;
  const double base_per_request = p.blocking_cpu_per_request - p.direct_per_request - p.indirect_per_request;
  const double requests_per_call = blocking.requests_per_second / p.blocked_io_calls_per_second;
  p.async_cost_per_op_seconds = (p.uring_cpu_per_request - base_per_request) * requests_per_call;
  const double se_uring = JackknifeSe(u_total, uring.windows, cpu_rate) / uring.requests_per_second;
  const double se_base = JackknifeSe(b_total, blocking.windows, base_rate) / blocking.requests_per_second;
  p.async_cost_per_op_se_seconds = std::sqrt(se_uring * se_uring + se_base * se_base) * requests_per_call;
  return p;
}

}  // namespace iotax
