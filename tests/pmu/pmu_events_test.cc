// libpfm4 encoding of event names: the software stand-ins, generic hardware
// names (libpfm4's OS-generic "perf" PMU encodes them whether or not the CPU
// has a PMU; only opening them needs one), privilege levels, perf-style
// EVENT.UMASK names, and the error for a name nobody knows.
#include "pmu_events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace iotax::pmu {
namespace {

using ::testing::HasSubstr;

TEST(EncodeEvent, CpuClockIsASoftwareStandIn) {
  auto ev = EncodeEvent("cpu-clock", CountingMode::kUserOnly);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->requested, "cpu-clock");
  EXPECT_EQ(ev->attr.type, static_cast<uint32_t>(PERF_TYPE_SOFTWARE));
  EXPECT_EQ(ev->attr.config, static_cast<uint64_t>(PERF_COUNT_SW_CPU_CLOCK));
  EXPECT_EQ(ev->attr.size, sizeof(perf_event_attr));
  EXPECT_TRUE(ev->software);
  EXPECT_THAT(ev->canonical, HasSubstr("PERF_COUNT_SW_CPU_CLOCK"));
}

TEST(EncodeEvent, TaskClockIsASoftwareStandIn) {
  auto ev = EncodeEvent("task-clock", CountingMode::kUserOnly);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->attr.type, static_cast<uint32_t>(PERF_TYPE_SOFTWARE));
  EXPECT_EQ(ev->attr.config, static_cast<uint64_t>(PERF_COUNT_SW_TASK_CLOCK));
  EXPECT_TRUE(ev->software);
}

TEST(EncodeEvent, PmuQualifiedSoftwareNameEncodesTheSame) {
  auto plain = EncodeEvent("cpu-clock", CountingMode::kUserOnly);
  auto qualified = EncodeEvent("perf::cpu-clock", CountingMode::kUserOnly);
  ASSERT_TRUE(plain.ok() && qualified.ok());
  EXPECT_EQ(plain->attr.type, qualified->attr.type);
  EXPECT_EQ(plain->attr.config, qualified->attr.config);
}

TEST(EncodeEvent, GenericHardwareNamesMapToPerfHardwareEvents) {
  auto ins = EncodeEvent("instructions", CountingMode::kUserOnly);
  ASSERT_TRUE(ins.ok()) << ins.status();
  EXPECT_EQ(ins->attr.type, static_cast<uint32_t>(PERF_TYPE_HARDWARE));
  EXPECT_EQ(ins->attr.config, static_cast<uint64_t>(PERF_COUNT_HW_INSTRUCTIONS));
  EXPECT_FALSE(ins->software);

  auto cyc = EncodeEvent("cycles", CountingMode::kUserOnly);
  ASSERT_TRUE(cyc.ok()) << cyc.status();
  EXPECT_EQ(cyc->attr.type, static_cast<uint32_t>(PERF_TYPE_HARDWARE));
  EXPECT_EQ(cyc->attr.config, static_cast<uint64_t>(PERF_COUNT_HW_CPU_CYCLES));
  EXPECT_FALSE(cyc->software);
}

TEST(EncodeEvent, UserOnlyExcludesKernelAndHypervisor) {
  auto ev = EncodeEvent("instructions", CountingMode::kUserOnly);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->attr.exclude_user, 0u);
  EXPECT_EQ(ev->attr.exclude_kernel, 1u);
  EXPECT_EQ(ev->attr.exclude_hv, 1u);
  EXPECT_THAT(ev->canonical, HasSubstr(":u=1:k=0"));
}

TEST(EncodeEvent, KernelOnlyExcludesUser) {
  auto ev = EncodeEvent("cycles", CountingMode::kKernelOnly);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->attr.exclude_user, 1u);
  EXPECT_EQ(ev->attr.exclude_kernel, 0u);
  EXPECT_THAT(ev->canonical, HasSubstr(":u=0:k=1"));
}

TEST(EncodeEvent, UserAndKernelExcludesNeither) {
  auto ev = EncodeEvent("cpu-clock", CountingMode::kUserAndKernel);
  ASSERT_TRUE(ev.ok());
  EXPECT_EQ(ev->attr.exclude_user, 0u);
  EXPECT_EQ(ev->attr.exclude_kernel, 0u);
}

TEST(EncodeEvent, ExplicitModifierOverridesTheMode) {
  auto ev = EncodeEvent("cycles:k", CountingMode::kUserOnly);
  ASSERT_TRUE(ev.ok()) << ev.status();
  EXPECT_EQ(ev->attr.exclude_user, 1u);
  EXPECT_EQ(ev->attr.exclude_kernel, 0u);
}

TEST(EncodeEvent, PerfStyleDotUmaskIsAccepted) {
  // EVENT.UMASK (as perf and vendor manuals write INST_RETIRED.ANY) works
  // like EVENT:UMASK; shown on a generic cache event every Linux has.
  auto dot = EncodeEvent("PERF_COUNT_HW_CACHE_L1D.WRITE", CountingMode::kUserOnly);
  auto colon = EncodeEvent("PERF_COUNT_HW_CACHE_L1D:WRITE", CountingMode::kUserOnly);
  ASSERT_TRUE(dot.ok()) << dot.status();
  ASSERT_TRUE(colon.ok()) << colon.status();
  EXPECT_EQ(dot->attr.type, static_cast<uint32_t>(PERF_TYPE_HW_CACHE));
  EXPECT_EQ(dot->attr.config, colon->attr.config);
  auto read = EncodeEvent("PERF_COUNT_HW_CACHE_L1D.READ", CountingMode::kUserOnly);
  ASSERT_TRUE(read.ok());
  EXPECT_NE(read->attr.config, dot->attr.config);
}

TEST(EncodeEvent, UnknownNameIsAClearError) {
  auto ev = EncodeEvent("iotax_no_such_event", CountingMode::kUserOnly);
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(ev.status().message());
  EXPECT_THAT(msg, HasSubstr("'iotax_no_such_event'"));
  EXPECT_THAT(msg, HasSubstr("event not found"));
  EXPECT_THAT(msg, HasSubstr("showevtinfo"));
  EXPECT_THAT(msg, HasSubstr("iotax doctor"));
  EXPECT_THAT(msg, HasSubstr("--pmu-events=cpu-clock,task-clock"));
}

TEST(EncodeEvent, BadUnitMaskIsAClearError) {
  auto ev = EncodeEvent("PERF_COUNT_HW_CACHE_L1D:NO_SUCH_UMASK", CountingMode::kUserOnly);
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(ev.status().message()), HasSubstr("PERF_COUNT_HW_CACHE_L1D:NO_SUCH_UMASK"));
}

TEST(EncodeEvent, EmptyNameIsAnError) {
  auto ev = EncodeEvent("  ", CountingMode::kUserOnly);
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(EncodeEvent, VendorEventIsRawHardwareOrAClearError) {
  // INST_RETIRED is an Intel core event: libpfm4 knows it only when it
  // detected an Intel core PMU (not in this project's VMs).
  auto ev = EncodeEvent("INST_RETIRED.ANY_P", CountingMode::kUserOnly);
  if (ev.ok()) {
    EXPECT_EQ(ev->attr.type, static_cast<uint32_t>(PERF_TYPE_RAW));
    EXPECT_FALSE(ev->software);
  } else {
    EXPECT_EQ(ev.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(ev.status().message()), HasSubstr("'INST_RETIRED.ANY_P'"));
  }
}

TEST(DetectedPmus, IncludesTheGenericPerfPmu) {
  const std::vector<std::string> pmus = DetectedPmus();
  EXPECT_THAT(pmus, ::testing::Contains("perf"));
}

TEST(ParseEventPair, TwoNames) {
  auto p = ParseEventPair("instructions, cycles");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->instructions, "instructions");
  EXPECT_EQ(p->cycles, "cycles");
  auto s = ParseEventPair(kSoftwareStandInEvents);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->instructions, "cpu-clock");
  EXPECT_EQ(s->cycles, "task-clock");
}

TEST(ParseEventPair, RejectsOtherCounts) {
  for (const char* bad : {"", "cycles", "a,b,c", "a,", ",b"}) {
    auto p = ParseEventPair(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("exactly two events")) << bad;
  }
}

}  // namespace
}  // namespace iotax::pmu
