// The parts of per-CPU counter handling that need no kernel: CPU lists,
// reading sysfs/procfs under a fake root, scaling and multiplexing, and the
// mapping of perf_event_open errors to actionable messages.
#include "perf_counters.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace iotax::pmu {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("iotax_perf_counters_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& text) {
    fs::path p = root_ / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  fs::path root_;
};

TEST(ParseCpuList, RangesAndSingles) {
  auto cpus = ParseCpuList("0-2,5,7-8\n");
  ASSERT_TRUE(cpus.ok());
  EXPECT_THAT(*cpus, ElementsAre(0, 1, 2, 5, 7, 8));
  EXPECT_THAT(*ParseCpuList("3"), ElementsAre(3));
}

TEST(ParseCpuList, RejectsGarbage) {
  EXPECT_FALSE(ParseCpuList("0-").ok());
  EXPECT_FALSE(ParseCpuList("a").ok());
  EXPECT_FALSE(ParseCpuList("3-1").ok());
  EXPECT_FALSE(ParseCpuList("0,,1").ok());
}

TEST_F(FakeRoot, OnlineCpusReadsSysfs) {
  Write("sys/devices/system/cpu/online", "0,2-3\n");
  auto cpus = OnlineCpus((root_ / "sys").string());
  ASSERT_TRUE(cpus.ok()) << cpus.status();
  EXPECT_THAT(*cpus, ElementsAre(0, 2, 3));
}

TEST_F(FakeRoot, OnlineCpusMissingFileSaysWhere) {
  auto cpus = OnlineCpus((root_ / "sys").string());
  ASSERT_FALSE(cpus.ok());
  EXPECT_THAT(std::string(cpus.status().message()), HasSubstr("devices/system/cpu/online"));
}

TEST_F(FakeRoot, ParanoidIsRead) {
  Write("proc/sys/kernel/perf_event_paranoid", "-1\n");
  EXPECT_EQ(ReadPerfEventParanoid((root_ / "proc").string()), -1);
  Write("proc/sys/kernel/perf_event_paranoid", "4\n");
  EXPECT_EQ(ReadPerfEventParanoid((root_ / "proc").string()), 4);
}

TEST_F(FakeRoot, ParanoidUnreadableIsNullopt) {
  EXPECT_EQ(ReadPerfEventParanoid((root_ / "proc").string()), std::nullopt);
}

TEST(CounterValue, ScalesByEnabledOverRunning) {
  CounterValue full{1000, 500, 500};
  EXPECT_DOUBLE_EQ(full.Scaled(), 1000.0);
  EXPECT_FALSE(full.Multiplexed());

  CounterValue half{1000, 800, 400};
  EXPECT_DOUBLE_EQ(half.Scaled(), 2000.0);
  EXPECT_TRUE(half.Multiplexed());

  CounterValue never{0, 800, 0};
  EXPECT_DOUBLE_EQ(never.Scaled(), 0.0);
  EXPECT_TRUE(never.Multiplexed());
}

TEST(CounterValue, SumKeepsMultiplexingVisible) {
  CounterValue total{100, 10, 10};
  total += CounterValue{300, 10, 5};
  EXPECT_EQ(total.raw, 400u);
  EXPECT_EQ(total.time_enabled_ns, 20u);
  EXPECT_EQ(total.time_running_ns, 15u);
  EXPECT_TRUE(total.Multiplexed());
}

EncodedEvent HardwareCycles() {
  EncodedEvent ev;
  ev.requested = "cycles";
  ev.software = false;
  return ev;
}

TEST(PerfOpenError, PermissionPointsAtParanoidAndCapPerfmon) {
  for (int err : {EACCES, EPERM}) {
    absl::Status s = PerfOpenError(err, HardwareCycles(), 1, 2);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
    const std::string msg(s.message());
    EXPECT_THAT(msg, HasSubstr("hardware event 'cycles' on CPU 1"));
    EXPECT_THAT(msg, HasSubstr("CAP_PERFMON"));
    EXPECT_THAT(msg, HasSubstr("perf_event_paranoid"));
    EXPECT_THAT(msg, HasSubstr("it is 2 here"));
  }
}

TEST(PerfOpenError, MissingCounterSaysNoHardwarePmu) {
  for (int err : {ENOENT, EOPNOTSUPP, ENODEV}) {
    absl::Status s = PerfOpenError(err, HardwareCycles(), 0, std::nullopt);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
    const std::string msg(s.message());
    EXPECT_THAT(msg, HasSubstr("no hardware PMU here (VM?)"));
    EXPECT_THAT(msg, HasSubstr("iotax doctor"));
    EXPECT_THAT(msg, HasSubstr("--pmu-events=cpu-clock,task-clock"));
  }
}

TEST(PerfOpenError, OtherErrorsSayWhatToDo) {
  EXPECT_THAT(std::string(PerfOpenError(EBUSY, HardwareCycles(), 0, 0).message()), HasSubstr("nmi_watchdog"));
  EXPECT_THAT(std::string(PerfOpenError(EMFILE, HardwareCycles(), 0, 0).message()), HasSubstr("ulimit -n"));
  EXPECT_THAT(std::string(PerfOpenError(EINVAL, HardwareCycles(), 0, 0).message()), HasSubstr("modifiers"));
}

}  // namespace
}  // namespace iotax::pmu
