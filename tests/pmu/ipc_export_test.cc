// Tier 3 in the daemon without a kernel: synthetic AgentSnapshots through
// the analyzer (windows, regression, curves), the metric families (and their
// absence when the PMU is down), and the sampler thread's cadence and its
// single log line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include "ipc_analyzer.h"
#include "ipc_metrics.h"
#include "ipc_sampler.h"

namespace iotax::ipc {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

PmuStatus Down() {
  PmuStatus s;
  s.up = false;
  s.reason = "vm_without_pmu";
  s.detail = "perf_event_open of hardware event 'instructions' on CPU 0 failed: no hardware PMU here (VM?)";
  s.instructions_event = "instructions";
  s.cycles_event = "cycles";
  return s;
}

PmuStatus Up() {
  PmuStatus s;
  s.up = true;
  s.instructions_event = "instructions";
  s.cycles_event = "cycles";
  return s;
}

const prometheus::MetricFamily* Find(const std::vector<prometheus::MetricFamily>& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string Label(const prometheus::ClientMetric& m, const std::string& name) {
  for (const auto& l : m.label) {
    if (l.name == name) return l.value;
  }
  return "<none>";
}

// A target whose cumulative counters grow window by window following
// C = cpi0 * I + a * S + b * W, and whose segments follow a known curve.
class SyntheticTarget {
 public:
  SyntheticTarget(int pid, uint64_t seed) : rng_(seed) { snap_.pid = pid; snap_.comm = "synthetic"; snap_.up = true; }

  void AdvanceWindow() {
    std::uniform_real_distribution<double> ins(2e6, 2e7), sd(1e-5, 1.2e-4), wd(1e-6, 2e-5);
    const double i = std::round(ins(rng_));
    const uint64_t s = static_cast<uint64_t>(std::round(i * sd(rng_)));
    const uint64_t w = static_cast<uint64_t>(std::round(i * wd(rng_)));
    snap_.pmu.user_instructions += static_cast<uint64_t>(i);
    snap_.pmu.user_cycles += static_cast<uint64_t>(std::round(0.9 * i + 2500.0 * s + 9000.0 * w));
    snap_.stats.syscalls[0] += s;  // read(2)
    snap_.stats.voluntary_switches += w;
    // Segments after non-blocking syscalls: ipc(x) = 2 (1 - 0.6 e^(-x/3000)).
    std::uniform_real_distribution<double> log_len(6, 22);
    for (int k = 0; k < 2000; ++k) {
      const double n = std::round(std::exp2(log_len(rng_)));
      const double c = (n + 3000 * std::log((1 - 0.6 * std::exp(-n / 3000)) / 0.4)) / 2.0;
      SegmentBucket& b = snap_.pmu.segments[static_cast<int>(SegmentLabel::kAfterSyscall)][SegmentBucketOf(
          static_cast<uint64_t>(n))];
      b.segments += 1;
      b.instructions += static_cast<uint64_t>(n);
      b.cycles += static_cast<uint64_t>(std::llround(c));
    }
  }
  const TargetSnapshot& snapshot() const { return snap_; }

 private:
  std::mt19937_64 rng_;
  TargetSnapshot snap_;
};

AgentSnapshot SnapshotAt(uint64_t ns, PmuStatus status, std::vector<TargetSnapshot> targets) {
  AgentSnapshot a;
  a.monotonic_ns = ns;
  a.pmu = std::move(status);
  a.targets = std::move(targets);
  return a;
}

TEST(IpcExport, PmuDownExportsOnlyUpZeroAndTheReason) {
  IpcAnalyzer analyzer;
  SyntheticTarget t(42, 1);
  for (int w = 0; w < 20; ++w) {
    t.AdvanceWindow();
    analyzer.Observe(SnapshotAt(w * 100'000'000ull, Down(), {t.snapshot()}));
  }
  const IpcView view = analyzer.View();
  EXPECT_TRUE(view.targets.empty());
  const auto fams = BuildIpcMetricFamilies(view);
  ASSERT_THAT(fams, SizeIs(2));
  const auto* up = Find(fams, "iotax_pmu_up");
  ASSERT_NE(up, nullptr);
  ASSERT_THAT(up->metric, SizeIs(1));
  EXPECT_EQ(up->metric[0].gauge.value, 0.0);
  const auto* info = Find(fams, "iotax_pmu_info");
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(Label(info->metric[0], "reason"), "vm_without_pmu");
  EXPECT_EQ(Label(info->metric[0], "instructions_event"), "instructions");
  for (const auto& f : fams) {
    EXPECT_THAT(f.name, ::testing::AnyOf("iotax_pmu_up", "iotax_pmu_info")) << "IPC series without a PMU";
  }
}

TEST(IpcExport, PmuUpRecoversCostsAndCurveFromSnapshots) {
  IpcAnalyzer analyzer;
  SyntheticTarget t(42, 7);
  analyzer.Observe(SnapshotAt(0, Up(), {t.snapshot()}));
  for (int w = 1; w <= 100; ++w) {
    t.AdvanceWindow();
    analyzer.Observe(SnapshotAt(w * 100'000'000ull, Up(), {t.snapshot()}));
  }
  const IpcView view = analyzer.View();
  ASSERT_THAT(view.targets, SizeIs(1));
  const TargetIpc& ti = view.targets[0];
  EXPECT_EQ(ti.pid, 42);
  ASSERT_TRUE(ti.regression.ok) << ti.regression.reason;
  EXPECT_EQ(ti.regression.windows, 100);
  EXPECT_NEAR(ti.regression.cycles_per_syscall.value / 2500.0, 1.0, 0.05);
  EXPECT_NEAR(ti.regression.cycles_per_switch.value / 9000.0, 1.0, 0.05);
  const RecoveryCurve& c = ti.curves[static_cast<int>(SegmentLabel::kAfterSyscall)];
  ASSERT_TRUE(c.steady_ok) << c.note;
  EXPECT_NEAR(c.steady_ipc / 2.0, 1.0, 0.05);
  EXPECT_NEAR(c.cycles_lost_per_return / (-3000 / 2.0 * std::log(0.4)), 1.0, 0.05);
  for (const MarginalPoint& p : c.marginal) {
    EXPECT_NEAR(p.ipc / (2.0 * (1 - 0.6 * std::exp(-p.instructions_since_return / 3000))), 1.0, 0.05);
  }
  EXPECT_FALSE(ti.curves[static_cast<int>(SegmentLabel::kAfterBlockedSyscall)].steady_ok);
  EXPECT_EQ(ti.all_returns.returns, c.returns);

  const auto fams = BuildIpcMetricFamilies(view);
  EXPECT_EQ(Find(fams, "iotax_pmu_up")->metric[0].gauge.value, 1.0);
  EXPECT_EQ(Label(Find(fams, "iotax_pmu_info")->metric[0], "reason"), "ok");
  const auto* ins = Find(fams, "iotax_user_instructions_total");
  ASSERT_NE(ins, nullptr);
  EXPECT_EQ(ins->metric[0].counter.value, static_cast<double>(t.snapshot().pmu.user_instructions));
  EXPECT_EQ(Label(ins->metric[0], "pid"), "42");
  EXPECT_EQ(Label(ins->metric[0], "comm"), "synthetic");
  const auto* per_syscall = Find(fams, "iotax_indirect_cycles_per_syscall");
  const auto* lower = Find(fams, "iotax_indirect_cycles_per_syscall_lower");
  const auto* upper = Find(fams, "iotax_indirect_cycles_per_syscall_upper");
  ASSERT_TRUE(per_syscall && lower && upper);
  EXPECT_LT(lower->metric[0].gauge.value, per_syscall->metric[0].gauge.value);
  EXPECT_GT(upper->metric[0].gauge.value, per_syscall->metric[0].gauge.value);

  // The curve: one series per (after, power of two), for the labels with data.
  const auto* rec = Find(fams, "iotax_ipc_recovery");
  ASSERT_NE(rec, nullptr);
  std::set<std::string> afters;
  for (const auto& m : rec->metric) {
    afters.insert(Label(m, "after"));
    const uint64_t at = std::stoull(Label(m, "instructions"));
    EXPECT_EQ(at & (at - 1), 0u) << "not a power of two: " << at;
    EXPECT_GT(m.gauge.value, 0.75);  // ipc(0) = 0.8
    EXPECT_LT(m.gauge.value, 2.05);  // ss = 2
  }
  EXPECT_EQ(afters, (std::set<std::string>{"syscall", "all"}));
  const auto* lost = Find(fams, "iotax_cycles_lost_per_return");
  ASSERT_NE(lost, nullptr);
  EXPECT_THAT(lost->metric, SizeIs(2));
  const auto* segs = Find(fams, "iotax_user_segments_total");
  ASSERT_NE(segs, nullptr);
  EXPECT_THAT(segs->metric, SizeIs(kNumSegmentLabels));
  EXPECT_NE(Find(fams, "iotax_user_ipc"), nullptr);
}

TEST(IpcExport, TooFewWindowsExportNoEstimateButTheWindowCount) {
  IpcAnalyzer analyzer;
  SyntheticTarget t(42, 3);
  for (int w = 0; w <= 3; ++w) {
    analyzer.Observe(SnapshotAt(w * 100'000'000ull, Up(), {t.snapshot()}));
    t.AdvanceWindow();
  }
  const auto fams = BuildIpcMetricFamilies(analyzer.View());
  EXPECT_EQ(Find(fams, "iotax_indirect_cycles_per_syscall"), nullptr);
  ASSERT_NE(Find(fams, "iotax_ipc_regression_windows"), nullptr);
  EXPECT_EQ(Find(fams, "iotax_ipc_regression_windows")->metric[0].gauge.value, 3.0);
}

TEST(IpcExport, ExitedTargetsDisappear) {
  IpcAnalyzer analyzer;
  SyntheticTarget a(1, 1), b(2, 2);
  analyzer.Observe(SnapshotAt(0, Up(), {a.snapshot(), b.snapshot()}));
  a.AdvanceWindow();
  b.AdvanceWindow();
  TargetSnapshot gone = b.snapshot();
  gone.up = false;
  analyzer.Observe(SnapshotAt(100'000'000, Up(), {a.snapshot(), gone}));
  const IpcView view = analyzer.View();
  ASSERT_THAT(view.targets, SizeIs(1));
  EXPECT_EQ(view.targets[0].pid, 1);
}

TEST(IpcExport, CounterTotalsAreScaledAndMultiplexingReported) {
  IpcAnalyzer analyzer;
  PmuStatus up = Up();
  up.instructions_counter = {1000, 800, 800};  // ran all the time
  up.cycles_counter = {2000, 800, 400};        // multiplexed half the time
  analyzer.Observe(SnapshotAt(0, up, {}));
  const auto fams = BuildIpcMetricFamilies(analyzer.View());
  const auto* ratio = Find(fams, "iotax_pmu_running_ratio");
  const auto* system = Find(fams, "iotax_pmu_system_user_events");
  ASSERT_TRUE(ratio && system);
  ASSERT_THAT(ratio->metric, SizeIs(2));
  EXPECT_EQ(Label(ratio->metric[0], "event"), "instructions");
  EXPECT_DOUBLE_EQ(ratio->metric[0].gauge.value, 1.0);
  EXPECT_DOUBLE_EQ(system->metric[0].gauge.value, 1000.0);
  EXPECT_EQ(Label(ratio->metric[1], "event"), "cycles");
  EXPECT_DOUBLE_EQ(ratio->metric[1].gauge.value, 0.5);
  EXPECT_DOUBLE_EQ(system->metric[1].gauge.value, 4000.0);
}

TEST(NearestPowerOfTwo, Rounds) {
  EXPECT_EQ(NearestPowerOfTwo(0.5), 1u);
  EXPECT_EQ(NearestPowerOfTwo(3.0), 4u);
  EXPECT_EQ(NearestPowerOfTwo(5.0), 4u);
  EXPECT_EQ(NearestPowerOfTwo(1400.0), 1024u);  // nearest on a log scale
  EXPECT_EQ(NearestPowerOfTwo(1500.0), 2048u);
  EXPECT_EQ(NearestPowerOfTwo(1400000.0), 1048576u);
}

TEST(IpcSampler, PmuDownLogsOnceAndRunsNoThread) {
  std::atomic<int> calls{0};
  std::vector<std::string> lines;
  IpcAnalyzerOptions opt;
  opt.window_ns = 10'000'000;
  IpcSampler sampler(
      [&] {
        ++calls;
        return SnapshotAt(0, Down(), {});
      },
      opt, [&](absl::string_view l) { lines.emplace_back(l); });
  sampler.Start();
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  sampler.Stop();
  EXPECT_EQ(calls.load(), 1);
  ASSERT_THAT(lines, SizeIs(1));
  EXPECT_THAT(lines[0], HasSubstr("vm_without_pmu"));
  EXPECT_THAT(lines[0], HasSubstr("no hardware PMU here"));
  EXPECT_FALSE(sampler.View().status.up);
}

TEST(IpcSampler, PmuUpSamplesEveryWindow) {
  std::atomic<int> calls{0};
  std::vector<std::string> lines;
  IpcAnalyzerOptions opt;
  opt.window_ns = 20'000'000;  // 20 ms
  IpcSampler sampler(
      [&] {
        const int n = ++calls;
        TargetSnapshot t;
        t.pid = 9;
        t.comm = "x";
        t.up = true;
        t.pmu.user_instructions = 1000000ull * n;
        t.pmu.user_cycles = 2000000ull * n;
        return SnapshotAt(20'000'000ull * n, Up(), {t});
      },
      opt, [&](absl::string_view l) { lines.emplace_back(l); });
  sampler.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  sampler.Stop();
  const int after_stop = calls.load();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_EQ(calls.load(), after_stop) << "sampled after Stop";
  // 300 ms / 20 ms = 15 windows, plus the first snapshot; allow a loaded machine.
  EXPECT_GE(after_stop, 8);
  EXPECT_LE(after_stop, 17);
  EXPECT_TRUE(lines.empty());
  const IpcView view = sampler.View();
  ASSERT_THAT(view.targets, SizeIs(1));
  ASSERT_TRUE(view.targets[0].has_last_window);
  EXPECT_EQ(view.targets[0].last_window.instructions, 1000000u);
  EXPECT_EQ(view.targets[0].last_window.cycles, 2000000u);
  IpcCollector collector(&sampler);
  const auto fams = collector.Collect();
  ASSERT_NE(Find(fams, "iotax_user_ipc"), nullptr);
  EXPECT_DOUBLE_EQ(Find(fams, "iotax_user_ipc")->metric[0].gauge.value, 0.5);
}

}  // namespace
}  // namespace iotax::ipc
