#include "tier2_cost.h"

#include <gtest/gtest.h>

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

TEST(Tier2Cost, CalibratedClassUsesDifferenceOfMeansTimesBlockedCalls) {
  // 4 blocked calls with 70 us on CPU (17.5 us each), 6 non-blocked with 30 us (5 us each).
  const Tier2Cost c = ComputeTier2Cost(Stats(10, 4, 100'000, 70'000));
  EXPECT_EQ(c.status, Tier2Status::kCalibrated);
  EXPECT_TRUE(c.HasCost());
  EXPECT_EQ(c.blocked_calls, 4u);
  EXPECT_EQ(c.nonblocked_calls, 6u);
  EXPECT_DOUBLE_EQ(c.mean_blocked_oncpu_seconds, 17.5e-6);
  EXPECT_DOUBLE_EQ(c.mean_nonblocked_oncpu_seconds, 5e-6);
  EXPECT_NEAR(c.direct_cost_seconds, (17.5e-6 - 5e-6) * 4, 1e-15);
  EXPECT_FALSE(c.clamped);
}

TEST(Tier2Cost, BlockedCheaperThanNonBlockedIsClampedAtZero) {
  // Blocked calls 1 us each, non-blocked 10 us each.
  const Tier2Cost c = ComputeTier2Cost(Stats(3, 2, 12'000, 2'000));
  EXPECT_EQ(c.status, Tier2Status::kCalibrated);
  EXPECT_TRUE(c.clamped);
  EXPECT_EQ(c.direct_cost_seconds, 0.0);
}

TEST(Tier2Cost, EveryCallBlockedIsNotCalibratedAndHasNoCost) {
  const Tier2Cost c = ComputeTier2Cost(Stats(5, 5, 50'000, 50'000));
  EXPECT_EQ(c.status, Tier2Status::kNotCalibrated);
  EXPECT_FALSE(c.HasCost());
  EXPECT_DOUBLE_EQ(c.mean_blocked_oncpu_seconds, 10e-6);
  EXPECT_STREQ(Tier2StatusName(c.status), "not_calibrated");
}

TEST(Tier2Cost, NothingBlockedMeansCostIsExactlyZero) {
  const Tier2Cost c = ComputeTier2Cost(Stats(7, 0, 70'000, 0));
  EXPECT_EQ(c.status, Tier2Status::kNoBlocking);
  EXPECT_TRUE(c.HasCost());
  EXPECT_EQ(c.direct_cost_seconds, 0.0);
  EXPECT_DOUBLE_EQ(c.mean_nonblocked_oncpu_seconds, 10e-6);
}

TEST(Tier2Cost, NoCallsSaysSo) {
  const Tier2Cost c = ComputeTier2Cost(Stats(0, 0, 0, 0));
  EXPECT_EQ(c.status, Tier2Status::kNoCalls);
  EXPECT_FALSE(c.HasCost());
}

TEST(Tier2Cost, CountersReadMidUpdateDoNotWrapAround) {
  // blocked > calls and blocked on-CPU > on-CPU can happen while per-CPU
  // values are summed; the result must stay finite and non-negative.
  const Tier2Cost c = ComputeTier2Cost(Stats(4, 5, 1'000, 2'000));
  EXPECT_EQ(c.blocked_calls, 4u);
  EXPECT_EQ(c.nonblocked_calls, 0u);
  EXPECT_EQ(c.status, Tier2Status::kNotCalibrated);
}

TEST(Tier2Cost, ComputesEveryClassOfATarget) {
  TargetStats s;
  s.classes[static_cast<int>(SyscallClass::kNetRead)] = Stats(2, 1, 3'000, 2'000);
  s.classes[static_cast<int>(SyscallClass::kFutex)] = Stats(1, 1, 1'000, 1'000);
  const auto costs = ComputeTier2Costs(s);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kNetRead)].status, Tier2Status::kCalibrated);
  EXPECT_NEAR(costs[static_cast<int>(SyscallClass::kNetRead)].direct_cost_seconds, 1e-6, 1e-15);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kFutex)].status, Tier2Status::kNotCalibrated);
  EXPECT_EQ(costs[static_cast<int>(SyscallClass::kOther)].status, Tier2Status::kNoCalls);
}

}  // namespace
}  // namespace iotax
