// Opens real per-CPU counters: the software stand-ins must count time on
// every online CPU; the hardware events must open where the kernel has a CPU
// PMU and fail with the "no hardware PMU" error where it has none.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <filesystem>

#include "perf_counters.h"
#include "pmu_capability.h"
#include "require.h"

namespace iotax::pmu {
namespace {

using ::testing::HasSubstr;

uint64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

TEST(PerfCountersPrivileged, SoftwareStandInsCountTimeOnEveryCpu) {
  IOTAX_REQUIRE_BPF();
  auto events = ParseEventPair(kSoftwareStandInEvents);
  ASSERT_TRUE(events.ok());
  auto pair = OpenCounterPair(*events, CountingMode::kUserOnly);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto cpus = OnlineCpus();
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(pair->instructions.fds().size(), cpus->size());
  EXPECT_EQ(pair->cycles.fds().size(), cpus->size());

  auto before = pair->instructions.ReadTotal();
  const uint64_t t0 = MonotonicNs();
  ASSERT_TRUE(before.ok()) << before.status();
  usleep(200 * 1000);
  auto after = pair->instructions.ReadTotal();
  const uint64_t t1 = MonotonicNs();
  ASSERT_TRUE(after.ok()) << after.status();

  // cpu-clock counts wall time on each CPU it is open on (a software event:
  // the user-only flag does not apply to its counting).
  const double counted = after->Scaled() - before->Scaled();
  const double expected = static_cast<double>(t1 - t0) * static_cast<double>(cpus->size());
  EXPECT_NEAR(counted / expected, 1.0, 0.1) << "counted " << counted << " ns, expected ~" << expected;
  EXPECT_FALSE(after->Multiplexed()) << "software events are never multiplexed";
  auto one = pair->cycles.ReadCpu(cpus->front());
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_GT(one->time_enabled_ns, 0u);
}

TEST(PerfCountersPrivileged, HardwareEventsOpenOnlyWithAPmu) {
  IOTAX_REQUIRE_BPF();
  // The expectation comes from the kernel's own answer for this thread.
  const KernelCounterAnswer kernel = AskKernelForCounters();
  const PmuCapability cap = ProbeCapability();
  EXPECT_EQ(cap.hardware_pmu, kernel.Counts()) << kernel.Describe() << "\n" << cap.summary;
  auto pair = OpenCounterPair(EventPair{"instructions", "cycles"}, CountingMode::kUserOnly);
  if (kernel.Counts()) {
    EXPECT_TRUE(pair.ok()) << pair.status() << "\n" << cap.summary;
  } else if (kernel.Absent()) {
    ASSERT_FALSE(pair.ok());
    EXPECT_EQ(pair.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(std::string(pair.status().message()), HasSubstr("no hardware PMU here"));
    EXPECT_THAT(std::string(pair.status().message()), HasSubstr("'instructions'"));
  }
}

}  // namespace
}  // namespace iotax::pmu
