#include "iotaxd_options.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"

namespace iotax {
namespace {

RawDaemonFlags WithPid(std::string pid) {
  RawDaemonFlags raw;
  raw.pid = {std::move(pid)};
  return raw;
}

std::string ErrorOf(const RawDaemonFlags& raw) {
  auto o = ValidateDaemonFlags(raw);
  EXPECT_FALSE(o.ok());
  return o.ok() ? "" : std::string(o.status().message());
}

TEST(DaemonOptions, Defaults) {
  auto o = ValidateDaemonFlags(WithPid("1234"));
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->pids, (std::vector<int>{1234}));
  EXPECT_EQ(o->listen_host, "127.0.0.1");
  EXPECT_EQ(o->listen_port, 9464);
  EXPECT_EQ(o->interval, absl::Seconds(1));
  EXPECT_FALSE(o->check);
  EXPECT_FALSE(o->strict);
}

TEST(DaemonOptions, NeedsSomethingToTraceUnlessCheck) {
  EXPECT_TRUE(absl::StrContains(ErrorOf(RawDaemonFlags{}), "pass --pid=PID, --comm=NAME or --cgroup=PATH"));
  RawDaemonFlags check;
  check.check = true;
  EXPECT_TRUE(ValidateDaemonFlags(check).ok());
}

TEST(DaemonOptions, ACgroupIsEnoughAndMustBeACgroupDirectory) {
  char tmpl[] = "/tmp/iotax_cgroup_opt_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  RawDaemonFlags raw;
  raw.cgroup = dir;
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "not a cgroup v2 directory")) << ErrorOf(raw);
  { std::ofstream(dir + "/cgroup.procs") << "1\n"; }
  auto o = ValidateDaemonFlags(raw);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->cgroup, dir);
  std::filesystem::remove_all(dir);
}

TEST(DaemonOptions, BadPids) {
  EXPECT_EQ(ErrorOf(WithPid("abc")), "--pid=abc is not a process ID: pass a positive number such as --pid=1234");
  EXPECT_TRUE(absl::StrContains(ErrorOf(WithPid("0")), "--pid=0 is not a process ID"));
  EXPECT_TRUE(absl::StrContains(ErrorOf(WithPid("-5")), "--pid=-5"));
}

TEST(DaemonOptions, StacksFlags) {
  RawDaemonFlags raw = WithPid("1");
  auto o = ValidateDaemonFlags(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(o->stacks);
  raw.stacks = true;
  raw.kernel_stacks = true;
  raw.stack_hz = 499;
  o = ValidateDaemonFlags(raw);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_TRUE(o->stacks);
  EXPECT_TRUE(o->kernel_stacks);
  EXPECT_EQ(o->stack_hz, 499);
  raw.stack_hz = 0;
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "--stack-hz=0"));
  raw = WithPid("1");
  raw.kernel_stacks = true;
  EXPECT_EQ(ErrorOf(raw), "--kernel-stacks and --stack-hz need --stacks (stacks are off without it)");
}

TEST(DaemonOptions, SeveralPidsAreDeduplicated) {
  RawDaemonFlags raw;
  raw.pid = {"1", "2", "1"};
  auto o = ValidateDaemonFlags(raw);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->pids, (std::vector<int>{1, 2}));
}

TEST(DaemonOptions, CommLongerThanTheKernelKeepsIsRejectedWithTheFix) {
  RawDaemonFlags raw;
  raw.comm = {"a_very_long_process_name"};
  EXPECT_EQ(ErrorOf(raw),
            "--comm=a_very_long_process_name is longer than 15 characters, and the kernel keeps only the first 15: "
            "pass --comm=a_very_long_pro");
  raw.comm = {""};
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "--comm is empty"));
  raw.comm = {"nginx"};
  EXPECT_TRUE(ValidateDaemonFlags(raw).ok());
}

TEST(DaemonOptions, StrayArgumentSuggestsTheFlag) {
  RawDaemonFlags raw;
  raw.positional = {"1234"};
  EXPECT_EQ(ErrorOf(raw), "unexpected argument '1234': pass it as --pid=1234");
  raw.positional = {"nginx"};
  EXPECT_EQ(ErrorOf(raw), "unexpected argument 'nginx': pass it as --comm=nginx");
}

TEST(DaemonOptions, Interval) {
  RawDaemonFlags raw = WithPid("1");
  raw.interval = absl::ZeroDuration();
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "--interval=0 is out of range"));
  raw.interval = absl::Milliseconds(250);
  EXPECT_EQ(ValidateDaemonFlags(raw)->interval, absl::Milliseconds(250));
}

TEST(DaemonOptions, SampleShareAndPeriod) {
  RawDaemonFlags raw = WithPid("1");
  EXPECT_EQ(ValidateDaemonFlags(raw)->sample_fraction, 1.0);  // every event by default
  EXPECT_EQ(ValidateDaemonFlags(raw)->sample_period, absl::Seconds(10));
  raw.sample = "10%";
  EXPECT_DOUBLE_EQ(ValidateDaemonFlags(raw)->sample_fraction, 0.1);
  raw.sample = "25";
  EXPECT_DOUBLE_EQ(ValidateDaemonFlags(raw)->sample_fraction, 0.25);
  for (const char* bad : {"0%", "0.5%", "101%", "ten", "", "-5%"}) {
    raw.sample = bad;
    EXPECT_EQ(ErrorOf(raw), std::string("--sample=") + bad + " is not a share from 1% to 100%: pass e.g. --sample=10%");
  }
  raw.sample = "1%";
  raw.sample_period = absl::Milliseconds(500);  // 5 ms windows
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "makes windows shorter than 10ms"));
  raw.sample_period = absl::Seconds(1);
  EXPECT_EQ(ValidateDaemonFlags(raw)->sample_period, absl::Seconds(1));
  raw.sample_period = absl::Minutes(2);
  EXPECT_TRUE(absl::StrContains(ErrorOf(raw), "--sample-period=2m is out of range"));
}

TEST(ListenAddress, Valid) {
  EXPECT_EQ(*ParseListenAddress("127.0.0.1:9464"), std::make_pair(std::string("127.0.0.1"), 9464));
  EXPECT_EQ(*ParseListenAddress("0.0.0.0:0"), std::make_pair(std::string("0.0.0.0"), 0));
  EXPECT_EQ(*ParseListenAddress("[::1]:8080"), std::make_pair(std::string("::1"), 8080));
  EXPECT_EQ(*ParseListenAddress("localhost:1"), std::make_pair(std::string("127.0.0.1"), 1));
}

TEST(ListenAddress, InvalidSaysWhatToPass) {
  for (const char* bad : {"9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "127.0.0.1:x", ":9464", "::1:80",
                          "[::1]"}) {
    auto r = ParseListenAddress(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(absl::StrContains(r.status().message(), "--listen=")) << r.status();
    EXPECT_TRUE(absl::StrContains(r.status().message(), "pass --listen")) << r.status();
  }
  RawDaemonFlags raw = WithPid("1");
  raw.listen = "nope";
  EXPECT_FALSE(ValidateDaemonFlags(raw).ok());
}

TEST(NormalizeArgs, MergesRepeatedPidAndCommAndUnderscoresNames) {
  const std::vector<std::string> out = NormalizeArgs(
      {"iotaxd", "--pid", "1", "--follow-children", "--pid=2", "-comm", "web", "--listen", "127.0.0.1:0",
       "--bpf-stats=true", "--comm=db", "-h"});
  EXPECT_EQ(out, (std::vector<std::string>{"iotaxd", "--follow_children", "--listen", "127.0.0.1:0",
                                           "--bpf_stats=true", "--help", "--pid=1,2", "--comm=web,db"}));
}

TEST(NormalizeArgs, LeavesEverythingAfterDoubleDashAlone) {
  EXPECT_EQ(NormalizeArgs({"iotaxd", "--pid=1", "--", "--pid=2"}),
            (std::vector<std::string>{"iotaxd", "--pid=1", "--", "--pid=2"}));
}

TEST(DaemonUsage, ListsEveryFlagWithDashesAndNoAbseilInternals) {
  const std::string help = DaemonUsageText();
  for (const char* f : {"--pid", "--comm", "--follow-children", "--listen", "--check", "--strict", "--bpf-stats",
                        "--interval", "--sample", "--sample-period", "--help"}) {
    EXPECT_TRUE(absl::StrContains(help, f)) << f;
  }
  EXPECT_TRUE(absl::StrContains(help, "(default: 127.0.0.1:9464)"));
  EXPECT_FALSE(absl::StrContains(help, "follow_children"));
  EXPECT_FALSE(absl::StrContains(help, "flagfile"));
}

}  // namespace
}  // namespace iotax
