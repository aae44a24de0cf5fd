#include "system_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "fake_proc.h"

namespace iotax {
namespace {

class SystemCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    paths_.btf = dir_.root() + "/vmlinux";
    paths_.bpf_stats_enabled = dir_.root() + "/bpf_stats_enabled";
  }
  void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

  testing::FakeProc dir_;  // just a temporary directory here
  SystemPaths paths_;
};

TEST_F(SystemCheckTest, AllPresent) {
  Write(paths_.btf, "btf");
  Write(paths_.bpf_stats_enabled, "1\n");
  const auto items = CheckPrerequisites(paths_, true);
  ASSERT_EQ(items.size(), 3u);
  for (const auto& i : items) EXPECT_TRUE(i.ok) << i.name;
  EXPECT_FALSE(FirstMissingPrerequisite(items).has_value());
}

TEST_F(SystemCheckTest, NoPrivilegesComesFirstWithTheFix) {
  Write(paths_.btf, "btf");
  const auto items = CheckPrerequisites(paths_, false);
  ASSERT_TRUE(FirstMissingPrerequisite(items).has_value());
  EXPECT_EQ(*FirstMissingPrerequisite(items),
            "needs root or CAP_BPF+CAP_PERFMON to load BPF programs: run iotaxd with sudo");
}

TEST_F(SystemCheckTest, NoBtf) {
  const auto items = CheckPrerequisites(paths_, true);
  auto missing = FirstMissingPrerequisite(items);
  ASSERT_TRUE(missing.has_value());
  EXPECT_TRUE(absl::StrContains(*missing, "kernel BTF is missing")) << *missing;
  EXPECT_TRUE(absl::StrContains(*missing, "CONFIG_DEBUG_INFO_BTF=y")) << *missing;
}

TEST_F(SystemCheckTest, BpfStatsOffIsInformationalOnly) {
  Write(paths_.btf, "btf");
  Write(paths_.bpf_stats_enabled, "0\n");
  const auto items = CheckPrerequisites(paths_, true);
  EXPECT_FALSE(items[2].ok);
  EXPECT_FALSE(items[2].required);
  EXPECT_TRUE(absl::StrContains(items[2].detail, "--bpf-stats"));
  EXPECT_FALSE(FirstMissingPrerequisite(items).has_value());
}

TEST_F(SystemCheckTest, ReportAndExitCode) {
  Write(paths_.btf, "btf");
  const auto items = CheckPrerequisites(paths_, true);
  ProbeStatus up{"sys_enter", true, "", 0, false, 0, 0};
  ProbeStatus down{"sched_wakeup_new", false, "attach failed: no such tracepoint", 0, false, 0, 0};

  EXPECT_EQ(CheckExitCode(items, absl::OkStatus(), {up}), 0);
  const std::string good = FormatCheckReport(items, absl::OkStatus(), {up});
  EXPECT_TRUE(absl::StrContains(good, "all 1 probes attached")) << good;

  EXPECT_EQ(CheckExitCode(items, absl::OkStatus(), {up, down}), 1);
  const std::string partial = FormatCheckReport(items, absl::OkStatus(), {up, down});
  EXPECT_TRUE(absl::StrContains(partial, "DOWN     attach failed: no such tracepoint")) << partial;
  EXPECT_TRUE(absl::StrContains(partial, "1 of 2 probes attached")) << partial;

  const absl::Status failed = absl::PermissionDeniedError("loading failed: run as root");
  EXPECT_EQ(CheckExitCode(items, failed, {}), 1);
  EXPECT_TRUE(absl::StrContains(FormatCheckReport(items, failed, {}), "FAILED   loading failed: run as root"));
  EXPECT_EQ(CheckExitCode(items, absl::OkStatus(), {}), 1) << "no probes at all is not a pass";
}

}  // namespace
}  // namespace iotax
