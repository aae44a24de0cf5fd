#include "sample_scaler.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace iotax {
namespace {

// Both structs are nothing but uint64_t counters (arrays included), so the
// scaling can treat them as flat arrays of words; these guard that.
template <typename T>
constexpr size_t kWords = sizeof(T) / sizeof(uint64_t);
static_assert(std::is_trivially_copyable_v<TargetStats> && sizeof(TargetStats) % sizeof(uint64_t) == 0);
static_assert(std::is_trivially_copyable_v<PmuTargetStats> && sizeof(PmuTargetStats) % sizeof(uint64_t) == 0);
static_assert(sizeof(ClassStats) == (10 + kHistBuckets) * sizeof(uint64_t), "ClassStats has a non-counter field");
static_assert(sizeof(PathSegments) == 6 * sizeof(uint64_t), "PathSegments has a non-counter field");
static_assert(sizeof(SegmentBucket) == 3 * sizeof(uint64_t), "SegmentBucket has a non-counter field");

template <typename T>
std::array<uint64_t, kWords<T>> Words(const T& v) {
  std::array<uint64_t, kWords<T>> w;
  std::memcpy(w.data(), &v, sizeof(v));
  return w;
}

template <typename T>
T FromWords(const std::array<uint64_t, kWords<T>>& w) {
  T v{};
  std::memcpy(static_cast<void*>(&v), w.data(), sizeof(v));
  return v;
}

// sums += (now - last) * factor, word by word; returns the estimate (floors of
// the sums, so it only grows).
template <typename T>
T Scale(const T& now, const T& last, double factor, std::vector<double>& sums) {
  const auto n = Words(now);
  const auto l = Words(last);
  std::array<uint64_t, kWords<T>> out;
  sums.resize(n.size(), 0.0);
  for (size_t i = 0; i < n.size(); ++i) {
    if (n[i] > l[i]) sums[i] += static_cast<double>(n[i] - l[i]) * factor;
    out[i] = static_cast<uint64_t>(std::floor(sums[i]));
  }
  return FromWords<T>(out);
}

}  // namespace

void SampleScaler::AddWindow(const AgentSnapshot& observed, double factor) {
  if (!(factor >= 1.0) || !std::isfinite(factor)) factor = 1.0;
  const size_t n = observed.targets.size();
  if (totals_.size() < n) totals_.resize(n);
  stats_.resize(n);
  pmu_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const TargetSnapshot& t = observed.targets[i];
    Totals& tot = totals_[i];
    TargetStats est = Scale(t.stats, tot.last_stats, factor, tot.stats);
    // Counted by probes that stay attached between windows: exact as observed.
    est.threads_created = t.stats.threads_created;
    est.threads_exited = t.stats.threads_exited;
    est.children_followed = t.stats.children_followed;
    est.processes_exited = t.stats.processes_exited;
    stats_[i] = est;
    pmu_[i] = Scale(t.pmu, tot.last_pmu, factor, tot.pmu);
    tot.last_stats = t.stats;
    tot.last_pmu = t.pmu;
  }
}

double EdgeLossShare(const AgentSnapshot& before, const AgentSnapshot& after) {
  constexpr int kUnpaired = 2;  // "unpaired_syscall_exit" in kDropReasonNames
  static_assert(kDropReasonNames[kUnpaired] == "unpaired_syscall_exit");
  auto calls = [](const AgentSnapshot& s, size_t i) {
    uint64_t n = 0;
    if (i < s.targets.size()) {
      for (const ClassStats& c : s.targets[i].stats.classes) n += c.calls;
    }
    return n;
  };
  double completed = 0;
  for (size_t i = 0; i < after.targets.size(); ++i) {
    const uint64_t a = calls(after, i), b = calls(before, i);
    if (a > b) completed += static_cast<double>(a - b);
  }
  const double unpaired = after.dropped[kUnpaired] > before.dropped[kUnpaired]
                              ? static_cast<double>(after.dropped[kUnpaired] - before.dropped[kUnpaired])
                              : 0.0;
  return completed + unpaired > 0 ? unpaired / (completed + unpaired) : 0.0;
}

}  // namespace iotax
