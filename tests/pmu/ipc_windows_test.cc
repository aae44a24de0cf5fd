// Windows from cumulative readings, the t quantile, and the CPI regression
// on synthetic windows generated from known CPI0, cycles per syscall and
// cycles per switch (fixed seeds).
#include "ipc_windows.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace iotax::ipc {
namespace {

using ::testing::HasSubstr;

TEST(WindowBuilder, FirstReadingIsOnlyABaseline) {
  WindowBuilder b;
  EXPECT_TRUE(b.Add(100, {{7, 1000, 2000, 10, 1}}).empty());
  EXPECT_TRUE(b.History(7).empty());
}

TEST(WindowBuilder, WindowsAreDifferences) {
  WindowBuilder b;
  b.Add(100, {{7, 1000, 2000, 10, 1}, {8, 5, 5, 0, 0}});
  auto w = b.Add(200, {{7, 4000, 8000, 25, 4}, {8, 5, 5, 0, 0}});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].pid, 7);
  EXPECT_EQ(w[0].start_ns, 100u);
  EXPECT_EQ(w[0].end_ns, 200u);
  EXPECT_EQ(w[0].instructions, 3000u);
  EXPECT_EQ(w[0].cycles, 6000u);
  EXPECT_EQ(w[0].syscalls, 15u);
  EXPECT_EQ(w[0].switches, 3u);
  EXPECT_DOUBLE_EQ(w[0].Cpi(), 2.0);
  EXPECT_DOUBLE_EQ(w[0].SyscallsPerInstruction(), 0.005);
  EXPECT_EQ(w[1].instructions, 0u);
  EXPECT_EQ(b.History(7).size(), 1u);
}

TEST(WindowBuilder, CounterGoingBackRestartsTheBaseline) {
  WindowBuilder b;
  b.Add(100, {{7, 1000, 2000, 10, 1}});
  EXPECT_TRUE(b.Add(200, {{7, 10, 20, 1, 0}}).empty());
  auto w = b.Add(300, {{7, 110, 320, 2, 0}});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].instructions, 100u);
  EXPECT_EQ(w[0].cycles, 300u);
}

TEST(WindowBuilder, KeepsOnlyTheMostRecentWindows) {
  WindowBuilder b(3);
  for (uint64_t i = 0; i < 10; ++i) b.Add(i * 100, {{1, i * 10, i * 20, i, 0}});
  auto h = b.History(1);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.front().start_ns, 600u);
  EXPECT_EQ(h.back().end_ns, 900u);
  b.Forget(1);
  EXPECT_TRUE(b.History(1).empty());
}

TEST(StudentTQuantile, MatchesTables) {
  EXPECT_NEAR(StudentTQuantile(0.975, 1), 12.7062, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.975, 2), 4.3027, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.975, 5), 2.5706, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.975, 30), 2.0423, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.95, 10), 1.8125, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.975, 1e6), 1.9600, 1e-3);
  EXPECT_NEAR(StudentTQuantile(0.025, 5), -2.5706, 1e-3);
  EXPECT_DOUBLE_EQ(StudentTQuantile(0.5, 7), 0.0);
  EXPECT_TRUE(std::isnan(StudentTQuantile(1.0, 7)));
}

struct Truth {
  double cpi0 = 0.9;
  double per_syscall = 2500;  // cycles
  double per_switch = 9000;   // cycles
};

// Windows of 2-20 M user instructions with independent syscall and switch
// densities; cycles follow the model, plus Gaussian noise of `noise` (relative).
std::vector<IpcWindow> Synthetic(const Truth& t, int n, double noise, uint64_t seed, bool vary_switch = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ins(2e6, 2e7);
  std::uniform_real_distribution<double> sys_density(1e-5, 1.2e-4);
  std::uniform_real_distribution<double> sw_density(1e-6, 2e-5);
  std::normal_distribution<double> eps(0.0, 1.0);
  std::vector<IpcWindow> out;
  for (int i = 0; i < n; ++i) {
    IpcWindow w;
    w.pid = 1;
    w.start_ns = i * 100000000ull;
    w.end_ns = w.start_ns + 100000000ull;
    const double instructions = std::round(ins(rng));
    w.instructions = static_cast<uint64_t>(instructions);
    w.syscalls = static_cast<uint64_t>(std::round(instructions * sys_density(rng)));
    w.switches = static_cast<uint64_t>(std::round(instructions * (vary_switch ? sw_density(rng) : 5e-6)));
    const double cycles = t.cpi0 * instructions + t.per_syscall * w.syscalls + t.per_switch * w.switches;
    w.cycles = static_cast<uint64_t>(std::round(cycles * (1.0 + noise * eps(rng))));
    out.push_back(w);
  }
  return out;
}

TEST(FitCpi, RecoversKnownCostsWithin5Percent) {
  const Truth t;
  const CpiRegression r = FitCpi(Synthetic(t, 300, 0.01, 42));
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_EQ(r.windows, 300);
  EXPECT_EQ(r.dof, 297);
  ASSERT_TRUE(r.cycles_per_syscall.estimated);
  ASSERT_TRUE(r.cycles_per_switch.estimated);
  EXPECT_NEAR(r.base_cpi.value / t.cpi0, 1.0, 0.05);
  EXPECT_NEAR(r.cycles_per_syscall.value / t.per_syscall, 1.0, 0.05);
  EXPECT_NEAR(r.cycles_per_switch.value / t.per_switch, 1.0, 0.05);
  // The 95% intervals cover the truth and are not absurdly wide.
  for (auto [e, truth] : {std::pair{r.base_cpi, t.cpi0}, std::pair{r.cycles_per_syscall, t.per_syscall},
                          std::pair{r.cycles_per_switch, t.per_switch}}) {
    EXPECT_LE(e.ci_low, truth);
    EXPECT_GE(e.ci_high, truth);
    EXPECT_LT(e.ci_high - e.ci_low, 0.2 * truth);
    EXPECT_NEAR(e.ci_high - e.value, e.value - e.ci_low, 1e-9 * truth);
  }
  EXPECT_GT(r.r_squared, 0.5);
}

TEST(FitCpi, NoiselessDataIsExact) {
  const Truth t;
  const CpiRegression r = FitCpi(Synthetic(t, 50, 0.0, 7));
  ASSERT_TRUE(r.ok) << r.reason;
  // Only the rounding of cycles to integers remains.
  EXPECT_NEAR(r.cycles_per_syscall.value, t.per_syscall, 1.0);
  EXPECT_NEAR(r.cycles_per_switch.value, t.per_switch, 5.0);
  EXPECT_NEAR(r.base_cpi.value, t.cpi0, 1e-6);
  EXPECT_GT(r.r_squared, 0.999999);
}

TEST(FitCpi, IntervalsCoverTheTruthAboutNinetyFivePercentOfTheTime) {
  const Truth t;
  int covered_syscall = 0;
  int covered_switch = 0;
  constexpr int kRuns = 300;
  for (int run = 0; run < kRuns; ++run) {
    const CpiRegression r = FitCpi(Synthetic(t, 30, 0.02, 1000 + run));
    ASSERT_TRUE(r.ok) << r.reason;
    covered_syscall += r.cycles_per_syscall.ci_low <= t.per_syscall && t.per_syscall <= r.cycles_per_syscall.ci_high;
    covered_switch += r.cycles_per_switch.ci_low <= t.per_switch && t.per_switch <= r.cycles_per_switch.ci_high;
  }
  // Binomial(300, 0.95): 3 standard deviations is about +-3.8%.
  EXPECT_NEAR(covered_syscall / double(kRuns), 0.95, 0.04);
  EXPECT_NEAR(covered_switch / double(kRuns), 0.95, 0.04);
}

TEST(FitCpi, RefusesTooFewWindows) {
  const CpiRegression r = FitCpi(Synthetic(Truth{}, 5, 0.01, 1));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.windows, 5);
  EXPECT_THAT(r.reason, HasSubstr("only 5 usable windows"));
}

TEST(FitCpi, SkipsWindowsWithTooFewInstructions) {
  std::vector<IpcWindow> w = Synthetic(Truth{}, 20, 0.01, 3);
  for (int i = 0; i < 15; ++i) w[i].instructions = 10;
  const CpiRegression r = FitCpi(w);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("only 5 usable windows"));
}

TEST(FitCpi, RefusesWhenNothingVaries) {
  std::vector<IpcWindow> w(20);
  for (auto& x : w) x = IpcWindow{1, 0, 1, 1000000, 1200000, 100, 10};
  const CpiRegression r = FitCpi(w);
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.reason, HasSubstr("neither syscall nor switch density varied"));
}

TEST(FitCpi, ConstantSwitchDensityLeavesOnlyTheSyscallSlope) {
  const Truth t;
  // Switches at a fixed density: their cost folds into the intercept.
  std::vector<IpcWindow> w = Synthetic(t, 200, 0.005, 11, /*vary_switch=*/false);
  for (auto& x : w) {
    x.instructions = (x.instructions / 200000 + 1) * 200000;
    x.switches = x.instructions / 200000;  // exactly one switch per 200k instructions
    x.cycles = static_cast<uint64_t>(t.cpi0 * x.instructions + t.per_syscall * x.syscalls + t.per_switch * x.switches);
  }
  const CpiRegression r = FitCpi(w);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_TRUE(r.cycles_per_syscall.estimated);
  EXPECT_FALSE(r.cycles_per_switch.estimated);
  EXPECT_THAT(r.cycles_per_switch.note, HasSubstr("did not vary"));
  EXPECT_NEAR(r.cycles_per_syscall.value / t.per_syscall, 1.0, 0.05);
  EXPECT_NEAR(r.base_cpi.value, t.cpi0 + t.per_switch / 200000, 0.01);
}

TEST(FitCpi, CollinearDensitiesAreNotSeparated) {
  const Truth t;
  // Every syscall blocks: one switch per syscall.
  std::vector<IpcWindow> w = Synthetic(t, 100, 0.005, 5);
  for (auto& x : w) {
    x.switches = x.syscalls;
    x.cycles = static_cast<uint64_t>(t.cpi0 * x.instructions + (t.per_syscall + t.per_switch) * x.syscalls);
  }
  const CpiRegression r = FitCpi(w);
  ASSERT_TRUE(r.ok) << r.reason;
  EXPECT_FALSE(r.cycles_per_switch.estimated);
  EXPECT_THAT(r.cycles_per_switch.note, HasSubstr("moved together"));
  EXPECT_THAT(r.cycles_per_syscall.note, HasSubstr("includes the cost of the switches"));
  EXPECT_NEAR(r.cycles_per_syscall.value / (t.per_syscall + t.per_switch), 1.0, 0.05);
}

}  // namespace
}  // namespace iotax::ipc
