// The tracer's own time (issue 14, part 2): the run time per sched_switch
// run from bpf_stats, and what tier 2 takes off the price of a block.
#include "tracer_cost.h"

#include <gtest/gtest.h>

#include "tier2_cost.h"

namespace iotax {
namespace {

ProbeStatus SwitchProbe(uint64_t runs, uint64_t events, uint64_t run_ns, bool valid = true) {
  ProbeStatus p;
  p.name = "sched_switch";
  p.up = true;
  p.run_stats_valid = valid;
  p.run_count = runs;
  p.events = events;
  p.run_time_ns = run_ns;
  return p;
}

TEST(TracerCost, RangeIsRunTimeOverAllRunsAndOverTargetRuns) {
  const TracerRuns start = SwitchRunsOf({SwitchProbe(1'000, 500, 200'000)});
  const TracerRuns end = SwitchRunsOf({SwitchProbe(3'000, 1'500, 600'000)});
  const SwitchRunCost c = SwitchRunCostOf(SubtractRuns(end, start));
  ASSERT_TRUE(c.known);
  EXPECT_DOUBLE_EQ(c.lo_seconds, 400'000 / 2'000.0 / 1e9);  // 200 ns a run, all runs
  EXPECT_DOUBLE_EQ(c.hi_seconds, 400'000 / 1'000.0 / 1e9);  // 400 ns a run that concerned a target
  EXPECT_DOUBLE_EQ(c.Mid(), 300e-9);
}

TEST(TracerCost, UnknownWithoutBpfStatsSaysWhy) {
  const SwitchRunCost c = SwitchRunCostOf(SwitchRunsOf({SwitchProbe(3'000, 1'500, 0, false)}));
  EXPECT_FALSE(c.known);
  EXPECT_NE(c.missing_reason.find("bpf_stats_enabled"), std::string::npos) << c.missing_reason;
  EXPECT_FALSE(SwitchRunCostOf(SwitchRunsOf({})).known) << "no sched_switch probe at all";
}

TEST(TracerCost, UnknownWhenNoRunConcernedATarget) {
  const SwitchRunCost c = SwitchRunCostOf(SwitchRunsOf({SwitchProbe(100, 0, 10'000)}));
  EXPECT_FALSE(c.known);
  EXPECT_FALSE(c.missing_reason.empty());
}

TEST(TracerCost, EventsReadAheadOfRunsNeverInvertTheRange) {
  const SwitchRunCost c = SwitchRunCostOf(SwitchRunsOf({SwitchProbe(100, 120, 30'000)}));
  ASSERT_TRUE(c.known);
  EXPECT_GE(c.hi_seconds, c.lo_seconds);
}

TEST(TracerCost, AddAndSubtractKeepKnownOnlyWhenBothAre) {
  TracerRuns a{true, 10, 5, 1000}, b{false, 1, 1, 100};
  EXPECT_FALSE(AddRuns(a, b).known);
  EXPECT_FALSE(SubtractRuns(a, b).known);
  const TracerRuns s = AddRuns(a, a);
  EXPECT_TRUE(s.known);
  EXPECT_EQ(s.switch_runs, 20u);
  EXPECT_EQ(SubtractRuns(b, a).switch_run_ns, 0u) << "a counter that went backwards gives 0";
}

// A class with switch paths: `blocked` calls, each `sleep` + `resume` ns and
// `ins` switch-ins; `nonblocked` calls of `nb` ns; equal bytes.
ClassStats Blocked(uint64_t blocked, uint64_t sleep, uint64_t resume, uint64_t ins, uint64_t nonblocked, uint64_t nb) {
  ClassStats s;
  s.calls = blocked + nonblocked;
  s.blocked_calls = blocked;
  s.blocked_oncpu_ns = blocked * (sleep + resume);
  s.oncpu_ns = s.blocked_oncpu_ns + nonblocked * nb;
  s.sleep_path_ns = blocked * sleep;
  s.resume_path_ns = blocked * resume;
  s.blocked_switch_ins = blocked * ins;
  s.blocked_bytes = blocked * 512;
  s.nonblocked_bytes = nonblocked * 512;
  return s;
}

SwitchRunCost Known(double ns) {
  SwitchRunCost c;
  c.known = true;
  c.lo_seconds = c.hi_seconds = ns / 1e9;
  return c;
}

TEST(Tier2TracerCorrection, SwitchPathsTakeOffTheOneRunThatOpensTheResumePath) {
  // Sleep 2 us, resume 3 us, own work 1 us: 4 us before the correction. Two
  // switch-ins per block were counted, but only the last one opens the
  // resume path the price keeps.
  const ClassStats s = Blocked(1'000, 2'000, 3'000, 2, 500, 1'000);
  const Tier2Cost before = ComputeTier2Cost(s);
  const Tier2Cost after = ComputeTier2Cost(s, Known(300));
  EXPECT_FALSE(before.tracer_known);
  EXPECT_NEAR(before.price_per_block_seconds, 4e-6, 1e-12);
  ASSERT_TRUE(after.tracer_known);
  EXPECT_DOUBLE_EQ(after.switch_ins_per_block, 2.0);
  EXPECT_DOUBLE_EQ(after.tracer_runs_per_block, 1.0);
  EXPECT_NEAR(after.tracer_seconds_per_block, 300e-9, 1e-15);
  EXPECT_NEAR(after.price_per_block_seconds, 3.7e-6, 1e-12);
  EXPECT_NEAR(after.direct_cost_seconds, 3.7e-6 * 1'000, 1e-9);
}

TEST(Tier2TracerCorrection, LowerBoundLeavesTheResumePathOutSoNothingIsTakenOff) {
  // Too few non-blocked calls: the price is the sleep path alone, which holds no switch-in.
  const Tier2Cost c = ComputeTier2Cost(Blocked(1'000, 2'000, 3'000, 1, 5, 1'000), Known(300));
  ASSERT_EQ(c.method, Tier2Method::kSwitchPaths);
  EXPECT_FALSE(c.own_work_measured);
  EXPECT_DOUBLE_EQ(c.tracer_runs_per_block, 0.0);
  EXPECT_NEAR(c.price_per_block_seconds, 2e-6, 1e-12);
}

TEST(Tier2TracerCorrection, BaselineTakesOffEveryCountedResume) {
  // No paths: blocked 10 us, non-blocked 4 us, 1.5 switch-ins per block.
  ClassStats s;
  s.calls = 1'000;
  s.blocked_calls = 400;
  s.blocked_oncpu_ns = 400 * 10'000;
  s.oncpu_ns = s.blocked_oncpu_ns + 600 * 4'000;
  s.blocked_switch_ins = 600;
  const Tier2Cost c = ComputeTier2Cost(s, Known(200));
  ASSERT_EQ(c.method, Tier2Method::kBaseline);
  EXPECT_DOUBLE_EQ(c.tracer_runs_per_block, 1.5);
  EXPECT_NEAR(c.price_per_block_seconds, 6e-6 - 300e-9, 1e-12);
}

TEST(Tier2TracerCorrection, NeverBelowZero) {
  const Tier2Cost c = ComputeTier2Cost(Blocked(1'000, 100, 1'100, 1, 500, 1'000), Known(5'000));
  EXPECT_EQ(c.price_per_block_seconds, 0.0);
  EXPECT_TRUE(c.clamped);
}

}  // namespace
}  // namespace iotax
