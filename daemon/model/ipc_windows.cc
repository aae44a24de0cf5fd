#include "ipc_windows.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace iotax::ipc {
namespace {

// Continued fraction of the regularised incomplete beta function (modified
// Lentz), valid for x < (a + 1) / (a + b + 2).
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

// I_x(a, b), the regularised incomplete beta function.
double RegularizedIncompleteBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

// P(T <= t) for Student's t with `dof` degrees of freedom.
double StudentTCdf(double t, double dof) {
  const double tail = 0.5 * RegularizedIncompleteBeta(dof / 2.0, 0.5, dof / (dof + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

struct Stats {
  double mean = 0;
  double sd = 0;
};

Stats MeanSd(const std::vector<double>& v) {
  Stats s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  double ss = 0;
  for (double x : v) ss += (x - s.mean) * (x - s.mean);
  s.sd = v.size() > 1 ? std::sqrt(ss / static_cast<double>(v.size() - 1)) : 0.0;
  return s;
}

bool Constant(const Stats& s, double min_relative_spread) {
  return s.sd == 0.0 || s.sd < min_relative_spread * std::fabs(s.mean);
}

Estimate MakeEstimate(double value, double se, double t) {
  Estimate e;
  e.estimated = true;
  e.value = value;
  e.std_error = se;
  e.ci_low = value - t * se;
  e.ci_high = value + t * se;
  return e;
}

}  // namespace

double StudentTQuantile(double p, double dof) {
  if (!(p > 0.0 && p < 1.0) || !(dof > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  if (p == 0.5) return 0.0;
  if (p < 0.5) return -StudentTQuantile(1.0 - p, dof);
  double lo = 0.0;
  double hi = 1.0;
  while (StudentTCdf(hi, dof) < p && hi < 1e12) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (StudentTCdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::vector<IpcWindow> WindowBuilder::Add(uint64_t now_ns, const std::vector<PmuTotals>& totals) {
  std::vector<IpcWindow> closed;
  for (const PmuTotals& t : totals) {
    auto [it, fresh] = targets_.try_emplace(t.pid);
    PerTarget& pt = it->second;
    const PmuTotals& last = pt.last;
    const bool went_back = t.instructions < last.instructions || t.cycles < last.cycles ||
                           t.syscalls < last.syscalls || t.switches < last.switches;
    if (!fresh && !went_back && now_ns > pt.last_ns) {
      IpcWindow w;
      w.pid = t.pid;
      w.start_ns = pt.last_ns;
      w.end_ns = now_ns;
      w.instructions = t.instructions - last.instructions;
      w.cycles = t.cycles - last.cycles;
      w.syscalls = t.syscalls - last.syscalls;
      w.switches = t.switches - last.switches;
      pt.windows.push_back(w);
      while (pt.windows.size() > max_windows_) pt.windows.pop_front();
      closed.push_back(w);
    }
    if (fresh || went_back || now_ns > pt.last_ns) {
      pt.last = t;
      pt.last_ns = now_ns;
    }
  }
  return closed;
}

std::vector<IpcWindow> WindowBuilder::History(int pid) const {
  auto it = targets_.find(pid);
  if (it == targets_.end()) return {};
  return {it->second.windows.begin(), it->second.windows.end()};
}

void WindowBuilder::Forget(int pid) { targets_.erase(pid); }

std::vector<int> WindowBuilder::Pids() const {
  std::vector<int> pids;
  for (const auto& [pid, unused] : targets_) pids.push_back(pid);
  return pids;
}

CpiRegression FitCpi(const std::vector<IpcWindow>& windows, const RegressionOptions& options) {
  CpiRegression r;
  std::vector<double> y;
  std::vector<double> x_syscall;
  std::vector<double> x_switch;
  for (const IpcWindow& w : windows) {
    if (w.instructions < options.min_instructions || w.instructions == 0) continue;
    y.push_back(w.Cpi());
    x_syscall.push_back(w.SyscallsPerInstruction());
    x_switch.push_back(w.SwitchesPerInstruction());
  }
  const int n = static_cast<int>(y.size());
  r.windows = n;
  if (n < std::max(options.min_windows, 4)) {
    r.reason = absl::StrCat("only ", n, " usable windows (need at least ", std::max(options.min_windows, 4),
                            ", each with at least ", options.min_instructions,
                            " user instructions): wait for more windows");
    return r;
  }

  // Which densities vary enough to carry a slope.
  const Stats sy = MeanSd(y);
  const Stats s1 = MeanSd(x_syscall);
  const Stats s2 = MeanSd(x_switch);
  bool use_syscall = !Constant(s1, options.min_relative_spread);
  bool use_switch = !Constant(s2, options.min_relative_spread);
  if (!use_syscall) r.cycles_per_syscall.note = "syscall density did not vary across windows";
  if (!use_switch) r.cycles_per_switch.note = "switch density did not vary across windows";

  // Centred sums of squares and cross products.
  double s11 = 0, s22 = 0, s12 = 0, s1y = 0, s2y = 0, syy = 0;
  for (int i = 0; i < n; ++i) {
    const double d1 = x_syscall[i] - s1.mean;
    const double d2 = x_switch[i] - s2.mean;
    const double dy = y[i] - sy.mean;
    s11 += d1 * d1;
    s22 += d2 * d2;
    s12 += d1 * d2;
    s1y += d1 * dy;
    s2y += d2 * dy;
    syy += dy * dy;
  }
  if (use_syscall && use_switch) {
    const double corr = s12 / std::sqrt(s11 * s22);
    if (std::fabs(corr) > options.max_abs_correlation) {
      use_switch = false;
      r.cycles_per_switch.note = absl::StrFormat(
          "switch density moved together with syscall density (correlation %.4f): the two cannot be told apart, "
          "so the per-syscall estimate includes the cost of the switches that come with syscalls",
          corr);
      r.cycles_per_syscall.note = "includes the cost of the switches that accompany syscalls";
    }
  }
  if (!use_syscall && !use_switch) {
    r.reason = "neither syscall nor switch density varied across windows: the indirect cost needs windows with "
               "different syscall or switch rates";
    return r;
  }

  // Slopes from the centred normal equations; inverse kept for the errors.
  const int k = (use_syscall ? 1 : 0) + (use_switch ? 1 : 0);
  double inv11 = 0, inv22 = 0, inv12 = 0;  // (X'X)^-1 of the centred regressors in use
  double b1 = 0, b2 = 0;
  if (k == 2) {
    const double det = s11 * s22 - s12 * s12;
    inv11 = s22 / det;
    inv22 = s11 / det;
    inv12 = -s12 / det;
    b1 = inv11 * s1y + inv12 * s2y;
    b2 = inv12 * s1y + inv22 * s2y;
  } else if (use_syscall) {
    inv11 = 1.0 / s11;
    b1 = s1y / s11;
  } else {
    inv22 = 1.0 / s22;
    b2 = s2y / s22;
  }
  const double m1 = use_syscall ? s1.mean : 0.0;
  const double m2 = use_switch ? s2.mean : 0.0;
  const double intercept = sy.mean - b1 * m1 - b2 * m2;

  double rss = 0;
  for (int i = 0; i < n; ++i) {
    const double fit = intercept + b1 * (use_syscall ? x_syscall[i] : 0.0) + b2 * (use_switch ? x_switch[i] : 0.0);
    rss += (y[i] - fit) * (y[i] - fit);
  }
  r.dof = n - k - 1;
  const double sigma2 = rss / r.dof;
  const double t = StudentTQuantile(0.5 + options.confidence / 2.0, r.dof);
  const double var_intercept = sigma2 * (1.0 / n + m1 * m1 * inv11 + m2 * m2 * inv22 + 2.0 * m1 * m2 * inv12);

  r.ok = true;
  r.base_cpi = MakeEstimate(intercept, std::sqrt(var_intercept), t);
  if (use_syscall) {
    std::string note = r.cycles_per_syscall.note;
    r.cycles_per_syscall = MakeEstimate(b1, std::sqrt(sigma2 * inv11), t);
    r.cycles_per_syscall.note = note;
  }
  if (use_switch) r.cycles_per_switch = MakeEstimate(b2, std::sqrt(sigma2 * inv22), t);
  r.r_squared = syy > 0 ? 1.0 - rss / syy : 0.0;
  return r;
}

}  // namespace iotax::ipc
