#include "tier2_cost.h"

#include <gtest/gtest.h>

#include <string>

namespace iotax {
namespace {

ClassStats Stats(uint64_t calls, uint64_t blocked, uint64_t oncpu, uint64_t blocked_oncpu) {
  ClassStats s;
  s.calls = calls;
  s.blocked_calls = blocked;
  s.oncpu_ns = oncpu;
  s.blocked_oncpu_ns = blocked_oncpu;
  return s;
}

// A class with switch paths and bytes: `blocked` calls with `sleep` and
// `resume` ns each (and nothing between), `nonblocked` calls of `nb_ns` each;
// bytes per call as given.
ClassStats WithPaths(uint64_t blocked, uint64_t sleep, uint64_t resume, uint64_t nonblocked, uint64_t nb_ns,
                     uint64_t blocked_bytes_each, uint64_t nonblocked_bytes_each) {
  ClassStats s = Stats(blocked + nonblocked, blocked, blocked * (sleep + resume) + nonblocked * nb_ns,
                       blocked * (sleep + resume));
  s.sleep_path_ns = blocked * sleep;
  s.resume_path_ns = blocked * resume;
  s.blocked_bytes = blocked * blocked_bytes_each;
  s.nonblocked_bytes = nonblocked * nonblocked_bytes_each;
  return s;
}

// ---- baseline (no switch paths recorded) ----

TEST(Tier2Cost, SoundBaselineWithoutPathsUsesDifferenceOfMeansTimesBlockedCalls) {
  // 400 blocked calls at 17.5 us each, 600 non-blocked at 5 us each.
  const Tier2Cost c = ComputeTier2Cost(Stats(1000, 400, 400 * 17'500 + 600 * 5'000, 400 * 17'500));
  EXPECT_EQ(c.status, Tier2Status::kCalibrated);
  EXPECT_EQ(c.method, Tier2Method::kBaseline);
  EXPECT_TRUE(c.baseline_sound);
  EXPECT_TRUE(c.HasCost());
  EXPECT_EQ(c.blocked_calls, 400u);
  EXPECT_EQ(c.nonblocked_calls, 600u);
  EXPECT_DOUBLE_EQ(c.mean_blocked_oncpu_seconds, 17.5e-6);
  EXPECT_DOUBLE_EQ(c.mean_nonblocked_oncpu_seconds, 5e-6);
  EXPECT_NEAR(c.price_per_block_seconds, 12.5e-6, 1e-15);
  EXPECT_NEAR(c.direct_cost_seconds, 12.5e-6 * 400, 1e-12);
  EXPECT_FALSE(c.clamped);
  EXPECT_STREQ(Tier2MethodName(c.method), "baseline");
}

TEST(Tier2Cost, SoundBaselineWithBlockedCallsCheaperIsClampedAtZero) {
  // 200 blocked at 1 us, 200 non-blocked at 10 us.
  const Tier2Cost c = ComputeTier2Cost(Stats(400, 200, 200 * 1'000 + 200 * 10'000, 200 * 1'000));
  EXPECT_EQ(c.method, Tier2Method::kBaseline);
  EXPECT_TRUE(c.clamped);
  EXPECT_EQ(c.direct_cost_seconds, 0.0);
  EXPECT_NEAR(c.baseline_price_seconds, -9e-6, 1e-15);  // the signed figure is kept
}

TEST(Tier2Cost, TooFewNonBlockedCallsAreNoBaseline) {
  // 6 non-blocked calls: under the 100 a baseline needs, and no paths.
  const Tier2Cost c = ComputeTier2Cost(Stats(10, 4, 100'000, 70'000));
  EXPECT_FALSE(c.baseline_sound);
  EXPECT_EQ(std::string(c.baseline_unsound_reason), "fewer than 100 non-blocked calls");
  EXPECT_EQ(c.status, Tier2Status::kNotCalibrated);
  EXPECT_EQ(c.method, Tier2Method::kNone);
  EXPECT_FALSE(c.HasCost());
  EXPECT_NEAR(c.baseline_price_seconds, 17.5e-6 - 5e-6, 1e-15);  // still shown as the cross-check
}

TEST(Tier2Cost, NonBlockedUnderFivePercentOfBlockedAreNoBaseline) {
  // 150 non-blocked calls against 4,000 blocked ones (3.75%).
  const Tier2Cost c = ComputeTier2Cost(Stats(4150, 4000, 4000 * 9'000 + 150 * 2'000, 4000 * 9'000));
  EXPECT_FALSE(c.baseline_sound);
  EXPECT_EQ(std::string(c.baseline_unsound_reason), "non-blocked calls are under 5% of the blocked ones");
  EXPECT_EQ(c.status, Tier2Status::kNotCalibrated);
}

TEST(Tier2Cost, BaselineOfOtherSizesIsNotSound) {
  // Enough calls, but non-blocked reads moved 4 KiB against 512 B.
  ClassStats s = Stats(1000, 500, 500 * 6'000 + 500 * 3'000, 500 * 6'000);
  s.blocked_bytes = 500 * 512;
  s.nonblocked_bytes = 500 * 4096;
  const Tier2Cost c = ComputeTier2Cost(s);
  EXPECT_FALSE(c.baseline_sound);
  EXPECT_EQ(std::string(c.baseline_unsound_reason), "non-blocked calls moved more than 2x more or fewer bytes");
  // Sizes within 2x are fine.
  s.nonblocked_bytes = 500 * 1000;
  EXPECT_TRUE(ComputeTier2Cost(s).baseline_sound);
  // Non-blocked calls that moved nothing (end of stream) are no baseline for ones that did.
  s.nonblocked_bytes = 0;
  EXPECT_FALSE(ComputeTier2Cost(s).baseline_sound);
}

// ---- switch_paths ----

TEST(Tier2Cost, SwitchPathsPriceIsSleepPlusResumeLessOwnWork) {
  // Sleep path 2 us, resume path 3 us; 300 non-blocked calls of 1 us moving
  // the same 512 B: own work 1 us, price 4 us.
  const Tier2Cost c = ComputeTier2Cost(WithPaths(1000, 2'000, 3'000, 300, 1'000, 512, 512));
  EXPECT_EQ(c.status, Tier2Status::kCalibrated);
  EXPECT_EQ(c.method, Tier2Method::kSwitchPaths);
  EXPECT_STREQ(Tier2MethodName(c.method), "switch_paths");
  EXPECT_DOUBLE_EQ(c.mean_sleep_path_seconds, 2e-6);
  EXPECT_DOUBLE_EQ(c.mean_resume_path_seconds, 3e-6);
  EXPECT_TRUE(c.own_work_measured);
  EXPECT_NEAR(c.own_work_seconds, 1e-6, 1e-15);
  EXPECT_NEAR(c.price_per_block_seconds, 4e-6, 1e-15);
  EXPECT_NEAR(c.direct_cost_seconds, 4e-6 * 1000, 1e-12);
  EXPECT_TRUE(c.baseline_sound);
  EXPECT_NEAR(c.baseline_price_seconds, 4e-6, 1e-15);  // agrees here
}

TEST(Tier2Cost, SwitchPathsSurviveOddNonBlockedCalls) {
  // Saturation: 50 non-blocked calls at 6 us each, dearer than a whole
  // blocked call (2 + 3 us). The baseline would clamp to 0; the own work is
  // capped at the resume path, so the price is at least the sleep path.
  const Tier2Cost c = ComputeTier2Cost(WithPaths(10'000, 2'000, 3'000, 50, 6'000, 512, 512));
  EXPECT_FALSE(c.baseline_sound);
  EXPECT_LT(c.baseline_price_seconds, 0);
  EXPECT_EQ(c.method, Tier2Method::kSwitchPaths);
  EXPECT_NEAR(c.own_work_seconds, 3e-6, 1e-15);
  EXPECT_NEAR(c.price_per_block_seconds, 2e-6, 1e-15);
  EXPECT_FALSE(c.clamped);
}

TEST(Tier2Cost, OwnWorkIsScaledToTheBytesABlockedCallMoved) {
  // Non-blocked calls moved 1 KiB in 2 us; blocked ones 512 B: own work 1 us.
  const Tier2Cost c = ComputeTier2Cost(WithPaths(1000, 2'000, 3'000, 400, 2'000, 512, 1024));
  EXPECT_NEAR(c.mean_blocked_bytes, 512, 1e-9);
  EXPECT_NEAR(c.mean_nonblocked_bytes, 1024, 1e-9);
  EXPECT_NEAR(c.own_work_seconds, 1e-6, 1e-15);
  EXPECT_NEAR(c.price_per_block_seconds, 4e-6, 1e-15);
}

TEST(Tier2Cost, WithoutEnoughNonBlockedCallsThePriceIsTheSleepPath) {
  // Every call blocked: nothing measures the call's own work, so the whole
  // resume path is taken off (a lower bound), not left in.
  const Tier2Cost c = ComputeTier2Cost(WithPaths(500, 2'500, 3'000, 0, 0, 512, 0));
  EXPECT_EQ(c.status, Tier2Status::kCalibrated);
  EXPECT_EQ(c.method, Tier2Method::kSwitchPaths);
  EXPECT_FALSE(c.own_work_measured);
  EXPECT_NEAR(c.price_per_block_seconds, 2.5e-6, 1e-15);
  // Fewer than kMinOwnWorkCalls non-blocked calls: the same rule.
  const Tier2Cost few = ComputeTier2Cost(WithPaths(500, 2'500, 3'000, kMinOwnWorkCalls - 1, 100, 512, 512));
  EXPECT_FALSE(few.own_work_measured);
  EXPECT_NEAR(few.price_per_block_seconds, 2.5e-6, 1e-15);
}

TEST(Tier2Cost, OwnWorkNeedsTheBaselinesShareOfNonBlockedCalls) {
  // 10,000 blocked calls (sleep 2 us, resume 3 us). 400 cheap non-blocked
  // ones (4%) are too rare a sample to stand for the own work, whatever they
  // cost: the whole resume path comes off, as with none.
  const Tier2Cost rare = ComputeTier2Cost(WithPaths(10'000, 2'000, 3'000, 400, 300, 512, 512));
  EXPECT_FALSE(rare.own_work_measured);
  EXPECT_NEAR(rare.own_work_seconds, 3e-6, 1e-15);
  EXPECT_NEAR(rare.price_per_block_seconds, 2e-6, 1e-15);
  // 600 of them (6%): measured, 0.3 us off the resume path.
  const Tier2Cost fair = ComputeTier2Cost(WithPaths(10'000, 2'000, 3'000, 600, 300, 512, 512));
  EXPECT_TRUE(fair.own_work_measured);
  EXPECT_NEAR(fair.own_work_seconds, 0.3e-6, 1e-15);
  EXPECT_NEAR(fair.price_per_block_seconds, 4.7e-6, 1e-15);
}

TEST(Tier2Cost, PathsLargerThanTheBlockedCallsOnCpuAreClamped) {
  // Counters read mid-update: the paths can momentarily exceed the calls'
  // on-CPU time; they are taken as parts of it.
  ClassStats s = WithPaths(100, 2'000, 3'000, 0, 0, 0, 0);
  s.sleep_path_ns = 10 * s.blocked_oncpu_ns;
  s.resume_path_ns = 10 * s.blocked_oncpu_ns;
  const Tier2Cost c = ComputeTier2Cost(s);
  EXPECT_LE(c.mean_sleep_path_seconds + c.mean_resume_path_seconds, c.mean_blocked_oncpu_seconds + 1e-15);
  EXPECT_LE(c.price_per_block_seconds, c.mean_blocked_oncpu_seconds + 1e-15);
}

TEST(Tier2Cost, ClassWithoutBytesIsNotScaled) {
  // accept/futex-like: no bytes on either side; own work is the plain mean.
  const Tier2Cost c = ComputeTier2Cost(WithPaths(1000, 2'000, 3'000, 300, 1'500, 0, 0));
  EXPECT_NEAR(c.own_work_seconds, 1.5e-6, 1e-15);
  EXPECT_TRUE(c.baseline_sound);
}

// ---- no data ----

TEST(Tier2Cost, NothingBlockedMeansCostIsExactlyZero) {
  const Tier2Cost c = ComputeTier2Cost(Stats(7, 0, 70'000, 0));
  EXPECT_EQ(c.status, Tier2Status::kNoBlocking);
  EXPECT_EQ(c.method, Tier2Method::kNone);
  EXPECT_TRUE(c.HasCost());
  EXPECT_EQ(c.direct_cost_seconds, 0.0);
  EXPECT_DOUBLE_EQ(c.mean_nonblocked_oncpu_seconds, 10e-6);
}

TEST(Tier2Cost, NoCallsSaysSo) {
  const Tier2Cost c = ComputeTier2Cost(Stats(0, 0, 0, 0));
  EXPECT_EQ(c.status, Tier2Status::kNoCalls);
  EXPECT_FALSE(c.HasCost());
  EXPECT_STREQ(Tier2StatusName(c.status), "no_calls");
}

TEST(Tier2Cost, CountersReadMidUpdateDoNotWrapAround) {
  // blocked > calls and blocked on-CPU > on-CPU can happen while per-CPU
  // values are summed; the result must stay finite and non-negative.
  const Tier2Cost c = ComputeTier2Cost(Stats(4, 5, 1'000, 2'000));
  EXPECT_EQ(c.blocked_calls, 4u);
  EXPECT_EQ(c.nonblocked_calls, 0u);
  EXPECT_EQ(c.status, Tier2Status::kNotCalibrated);
  EXPECT_STREQ(Tier2StatusName(c.status), "not_calibrated");
}

TEST(Tier2Cost, ComputesEveryClassOfATarget) {
  TargetStats s;
  s.classes[static_cast<int>(SyscallClass::kNetRead)] = WithPaths(10, 1'000, 2'000, 30, 500, 512, 512);
  s.classes[static_cast<int>(SyscallClass::kFutex)] = Stats(1, 1, 1'000, 1'000);
  const auto costs = ComputeTier2Costs(s);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kNetRead)].status, Tier2Status::kCalibrated);
  EXPECT_NEAR(costs[static_cast<int>(SyscallClass::kNetRead)].direct_cost_seconds, 10 * 2.5e-6, 1e-15);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kFutex)].status, Tier2Status::kNotCalibrated);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kOther)].status, Tier2Status::kNoCalls);
}

}  // namespace
}  // namespace iotax
