// Stopping iotaxd: SIGTERM and SIGINT detach cleanly (exit 0, every BPF
// program, link and map it held is gone); SIGKILL leaves nothing loaded
// either (the kernel drops them with the last fd), and a restart attaches.
#include <gtest/gtest.h>

#include <memory>

#include "harness.h"
#include "require.h"

namespace iotax::hardening {
namespace {

double Value(const std::string& body, const std::string& series) { return Sample(body, series).value_or(-1); }

std::string Describe(const BpfObjects& o) {
  return absl::StrCat(o.progs.size(), " programs, ", o.links.size(), " links, ", o.maps.size(), " maps");
}

// Starts iotaxd on `pid`, waits until it counts the target, and returns the
// BPF objects it holds.
BpfObjects AttachAndHold(Process& daemon, int pid, const std::string& comm) {
  const int port = DaemonPort(daemon);
  if (port <= 0) {
    ADD_FAILURE() << "iotaxd did not start: " << daemon.Stderr();
    return {};
  }
  const std::string sleeps = Series("iotax_syscalls_total", pid, comm, ",class=\"sleep\"");
  const std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, sleeps) > 5; }, 10s);
  EXPECT_GT(Value(body, sleeps), 5) << "iotaxd does not count the target";
  BpfObjects held = BpfObjectsHeldBy(daemon.pid());
  // sys_enter, sys_exit, sched_switch, sched_wakeup, sched_wakeup_new, fork, exit.
  EXPECT_GE(held.links.size(), 7u) << Describe(held);
  EXPECT_GE(held.progs.size(), 7u) << Describe(held);
  EXPECT_FALSE(held.maps.empty());
  for (int id : held.progs) {
    EXPECT_TRUE(absl::StrContains(Shell(absl::StrCat("timeout 10 bpftool prog show id ", id)), " name iotax_"))
        << "prog " << id;
  }
  return held;
}

class StopSignal : public ::testing::TestWithParam<int> {};

TEST_P(StopSignal, DetachesEverything) {
  IOTAX_REQUIRE_BPF();
  const int sig = GetParam();
  Process target({kFaultTarget, "busy", "--name=ft_sig"});
  ASSERT_TRUE(target.ReadStdoutLine(20s).has_value());
  Process daemon(DaemonArgs({absl::StrCat("--pid=", target.pid())}));
  const BpfObjects held = AttachAndHold(daemon, target.pid(), "ft_sig");
  ASSERT_FALSE(held.empty());

  daemon.Kill(sig);
  const auto rc = daemon.Wait(20s);
  ASSERT_TRUE(rc.has_value()) << "iotaxd did not stop within 20 s of " << strsignal(sig);
  EXPECT_EQ(*rc, 0);
  EXPECT_TRUE(absl::StrContains(daemon.Stderr(), sig == SIGINT ? "stopping on SIGINT" : "stopping on SIGTERM"))
      << daemon.Stderr();
  const BpfObjects left = WaitUnloaded(held, 15s);
  EXPECT_TRUE(left.empty()) << "still loaded after iotaxd stopped: " << Describe(left);
  // The target never noticed.
  EXPECT_FALSE(target.Wait(0ms).has_value());
}

INSTANTIATE_TEST_SUITE_P(Signals, StopSignal, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(info.param == SIGTERM ? "Sigterm" : "Sigint");
                         });

TEST(DaemonSignals, SigkillLeavesNothingLoadedAndARestartAttaches) {
  IOTAX_REQUIRE_BPF();
  Process target({kFaultTarget, "busy", "--name=ft_kill"});
  ASSERT_TRUE(target.ReadStdoutLine(20s).has_value());
  BpfObjects held;
  {
    Process daemon(DaemonArgs({absl::StrCat("--pid=", target.pid())}));
    held = AttachAndHold(daemon, target.pid(), "ft_kill");
    ASSERT_FALSE(held.empty());
    daemon.Kill(SIGKILL);
    EXPECT_EQ(daemon.Wait(10s), 128 + SIGKILL);
  }
  // Nothing pins the objects (no bpffs pin, no other holder): the kernel
  // frees them when the killed process's fds close.
  const BpfObjects left = WaitUnloaded(held, 15s);
  EXPECT_TRUE(left.empty()) << "still loaded after SIGKILL: " << Describe(left);

  Process again(DaemonArgs({absl::StrCat("--pid=", target.pid())}));
  const BpfObjects held_again = AttachAndHold(again, target.pid(), "ft_kill");
  EXPECT_FALSE(held_again.empty());
  again.Kill(SIGTERM);
  EXPECT_EQ(again.Wait(20s), 0);
  EXPECT_FALSE(target.Wait(0ms).has_value());
}

}  // namespace
}  // namespace iotax::hardening
