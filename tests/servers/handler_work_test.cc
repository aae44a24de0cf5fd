#include "handler_work.h"

#include <gtest/gtest.h>

namespace iotax::echo {
namespace {

TEST(HandlerWork, DisabledWithoutTimeOrBytes) {
  HandlerWork work(0, 0);
  EXPECT_FALSE(work.enabled());
  work.Run();
  EXPECT_EQ(work.lines_touched(), 0u);
}

TEST(HandlerWork, SpinsRoughlyTheRequestedTime) {
  for (int64_t ns : {50'000, 500'000, 2'000'000}) {
    HandlerWork work(ns, 0);
    ASSERT_TRUE(work.enabled());
    // Best of several runs: a preemption (this machine is shared) can only
    // make a run longer, never shorter.
    int64_t best = INT64_MAX;
    for (int i = 0; i < 10; ++i) {
      const int64_t start = MonotonicNowNs();
      work.Run();
      best = std::min(best, MonotonicNowNs() - start);
    }
    EXPECT_GE(best, ns);
    EXPECT_LT(best, 2 * ns + 100'000) << "asked for " << ns << " ns";
  }
}

TEST(HandlerWork, WalksTheWorkingSetWhileSpinning) {
  HandlerWork work(300'000, 1 << 20);
  EXPECT_EQ(work.working_set_lines(), (1u << 20) / 64);
  const int64_t start = MonotonicNowNs();
  work.Run();
  const int64_t took = MonotonicNowNs() - start;
  EXPECT_GE(took, 300'000);
  EXPECT_LT(took, 100'000'000);  // generous: only a gross overrun is a bug
  EXPECT_GT(work.lines_touched(), 0u);
}

TEST(HandlerWork, WithoutTimeMakesOneFullPass) {
  HandlerWork work(0, 4096 + 1);  // rounds up to 65 lines
  ASSERT_TRUE(work.enabled());
  EXPECT_EQ(work.working_set_lines(), 65u);
  work.Run();
  EXPECT_EQ(work.lines_touched(), 65u);
  work.Run();
  EXPECT_EQ(work.lines_touched(), 130u);
}

}  // namespace
}  // namespace iotax::echo
