// Sampled tracing's estimates: each window's increase scaled by its factor.
#include <gtest/gtest.h>

#include "sample_scaler.h"

namespace iotax {
namespace {

AgentSnapshot Observed(uint64_t calls, uint64_t user_ns, uint64_t created, uint64_t bucket3 = 0) {
  AgentSnapshot s;
  TargetSnapshot& t = s.targets.emplace_back();
  t.stats.classes[static_cast<int>(SyscallClass::kNetRead)].calls = calls;
  t.stats.user_ns = user_ns;
  t.stats.threads_created = created;
  t.stats.runq_wakeup_hist[3] = bucket3;
  t.stats.syscalls[45] = calls;
  t.pmu.user_instructions = calls * 100;
  t.pmu.segments[0][5].cycles = calls * 7;
  return s;
}

TEST(SampleScaler, EachWindowsIncreaseIsScaledByItsOwnFactor) {
  SampleScaler scaler;
  scaler.AddWindow(Observed(100, 1000, 2, 1), 10.0);   // 100 calls in a 10% window
  scaler.AddWindow(Observed(150, 1500, 3, 1), 8.0);    // +50 in a window of 12.5%
  ASSERT_EQ(scaler.stats().size(), 1u);
  const TargetStats& e = scaler.stats()[0];
  EXPECT_EQ(e.classes[static_cast<int>(SyscallClass::kNetRead)].calls, 100u * 10 + 50u * 8);
  EXPECT_EQ(e.syscalls[45], 1400u);
  EXPECT_EQ(e.user_ns, 1000u * 10 + 500u * 8);
  EXPECT_EQ(e.runq_wakeup_hist[3], 10u);  // second window added nothing
  EXPECT_EQ(scaler.pmu()[0].user_instructions, 140000u);
  EXPECT_EQ(scaler.pmu()[0].segments[0][5].cycles, 9800u);
}

TEST(SampleScaler, CountsOfAlwaysAttachedProbesAreNotScaled) {
  SampleScaler scaler;
  AgentSnapshot s = Observed(10, 10, 7);
  s.targets[0].stats.threads_exited = 4;
  s.targets[0].stats.children_followed = 1;
  scaler.AddWindow(s, 10.0);
  EXPECT_EQ(scaler.stats()[0].threads_created, 7u);
  EXPECT_EQ(scaler.stats()[0].threads_exited, 4u);
  EXPECT_EQ(scaler.stats()[0].children_followed, 1u);
}

TEST(SampleScaler, FractionsAccumulateAndEstimatesNeverShrink) {
  SampleScaler scaler;
  uint64_t previous = 0;
  for (uint64_t w = 1; w <= 30; ++w) {
    scaler.AddWindow(Observed(w, 0, 0), 2.5);  // +1 call per window: 2.5, 5, 7.5, ...
    const uint64_t now = scaler.stats()[0].classes[0].calls;
    EXPECT_GE(now, previous);
    previous = now;
  }
  EXPECT_EQ(previous, 75u);  // floors of the running sum, not a sum of floors (which would be 60)
}

TEST(SampleScaler, AFigureThatGoesBackIsNotSubtractedAndBadFactorsCountOnce) {
  SampleScaler scaler;
  scaler.AddWindow(Observed(100, 0, 0), 2.0);
  scaler.AddWindow(Observed(90, 0, 0), 2.0);   // cannot happen, must not underflow
  EXPECT_EQ(scaler.stats()[0].classes[0].calls, 200u);
  scaler.AddWindow(Observed(95, 0, 0), 0.0);   // traced longer than the period: counted as seen
  EXPECT_EQ(scaler.stats()[0].classes[0].calls, 205u);
}

TEST(SampleScaler, TargetsAddedLaterStartFromZero) {
  SampleScaler scaler;
  scaler.AddWindow(Observed(10, 0, 0), 10.0);
  AgentSnapshot two = Observed(20, 0, 0);
  two.targets.push_back(Observed(5, 0, 0).targets[0]);
  scaler.AddWindow(two, 10.0);
  ASSERT_EQ(scaler.stats().size(), 2u);
  EXPECT_EQ(scaler.stats()[0].classes[0].calls, 200u);
  EXPECT_EQ(scaler.stats()[1].classes[0].calls, 50u);
}

TEST(EdgeLossShare, UnpairedExitsAgainstCompletedCallsOfTheWindow) {
  AgentSnapshot before = Observed(100, 0, 0);
  before.dropped[2] = 7;
  AgentSnapshot after = Observed(130, 0, 0);  // 30 calls completed in the window
  after.dropped[2] = 17;                      // 10 exits of calls begun before it
  EXPECT_DOUBLE_EQ(EdgeLossShare(before, after), 10.0 / 40.0);
  EXPECT_DOUBLE_EQ(EdgeLossShare(after, after), 0.0);  // nothing happened
  EXPECT_DOUBLE_EQ(EdgeLossShare(AgentSnapshot{}, after), 17.0 / 147.0);  // the first window
}

}  // namespace
}  // namespace iotax
