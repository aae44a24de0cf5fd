// The tracer's tier-3 plumbing without a kernel: summing the per-CPU BPF
// counters, and the set-up decisions that need no counter to be opened.
#include "pmu_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace iotax::pmu {
namespace {

using ::testing::HasSubstr;

TEST(SumPmuStats, AddsEveryCpu) {
  std::vector<iotax_pmu_stats> cpus(3);
  for (size_t c = 0; c < cpus.size(); ++c) {
    cpus[c] = {};
    cpus[c].user_instructions = 100 * (c + 1);
    cpus[c].user_cycles = 200 * (c + 1);
    cpus[c].segments_multiplexed = 1;
    cpus[c].segments_lost = 2;
    cpus[c].read_errors = 3;
    cpus[c].seg[IOTAX_SEG_AFTER_BLOCKED_SYSCALL][5] = {1, 20, 40};
    cpus[c].seg[IOTAX_SEG_AFTER_OTHER_SWITCH][IOTAX_SEG_BUCKETS - 1] = {c, 7 * c, 9 * c};
  }
  const PmuTargetStats s = SumPmuStats(cpus.data(), cpus.size());
  EXPECT_EQ(s.user_instructions, 600u);
  EXPECT_EQ(s.user_cycles, 1200u);
  EXPECT_EQ(s.segments_multiplexed, 3u);
  EXPECT_EQ(s.segments_lost, 6u);
  EXPECT_EQ(s.read_errors, 9u);
  const SegmentBucket& b = s.segments[static_cast<int>(SegmentLabel::kAfterBlockedSyscall)][5];
  EXPECT_EQ(b.segments, 3u);
  EXPECT_EQ(b.instructions, 60u);
  EXPECT_EQ(b.cycles, 120u);
  const SegmentBucket& last = s.segments[static_cast<int>(SegmentLabel::kAfterOtherSwitch)][kSegmentBuckets - 1];
  EXPECT_EQ(last.segments, 3u);
  EXPECT_EQ(last.instructions, 21u);
  EXPECT_EQ(last.cycles, 27u);
  EXPECT_EQ(s.segments[static_cast<int>(SegmentLabel::kAfterSyscall)][5].segments, 0u);
}

TEST(SetUpPmu, EmptyEventListIsDisabledNotAnError) {
  auto s = SetUpPmu("");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->status.up);
  EXPECT_EQ(s->status.reason, "disabled");
  EXPECT_FALSE(s->counters.has_value());
}

TEST(SetUpPmu, MalformedListOrUnknownEventIsAnError) {
  auto one = SetUpPmu("cycles");
  ASSERT_FALSE(one.ok());
  EXPECT_THAT(std::string(one.status().message()), HasSubstr("exactly two events"));
  auto unknown = SetUpPmu("cpu-clock,iotax_no_such_event");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unknown.status().message()), HasSubstr("'iotax_no_such_event'"));
}

}  // namespace
}  // namespace iotax::pmu
