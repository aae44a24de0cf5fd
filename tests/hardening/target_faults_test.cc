// Faults of the target while iotaxd is attached: it exits, crashes, execs
// another program (from its main thread or another one), or dies and a new
// process gets its PID. iotaxd must say the target is gone (log and
// iotax_target_up 0), keep serving the others, follow an exec'd target
// under its new name, and never count a PID's new owner as the old target.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "harness.h"
#include "require.h"

namespace iotax::hardening {
namespace {

// Starts fault_target in `mode` and waits for its "ready" line.
std::unique_ptr<Process> StartTarget(const std::vector<std::string>& args, pid_t want_pid = 0) {
  std::vector<std::string> argv = {kFaultTarget};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = std::make_unique<Process>(argv, want_pid);
  if (!p->started()) return nullptr;
  auto line = p->ReadStdoutLine(20s);
  if (!line || !absl::StartsWith(*line, "ready")) return nullptr;
  return p;
}

double Value(const std::string& body, const std::string& series) { return Sample(body, series).value_or(-1); }

TEST(TargetFaults, ExitAndCrashAreReportedAndTheOtherTargetKeepsBeingServed) {
  IOTAX_REQUIRE_BPF();
  auto leaver = StartTarget({"exit", "--name=ft_exit"});
  auto crasher = StartTarget({"crash", "--name=ft_crash"});
  auto stayer = StartTarget({"busy", "--name=ft_stay"});
  ASSERT_TRUE(leaver && crasher && stayer);
  Process daemon(DaemonArgs({absl::StrCat("--pid=", leaver->pid(), ",", crasher->pid(), ",", stayer->pid())}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();

  const std::string up_exit = Series("iotax_target_up", leaver->pid(), "ft_exit");
  const std::string up_crash = Series("iotax_target_up", crasher->pid(), "ft_crash");
  const std::string up_stay = Series("iotax_target_up", stayer->pid(), "ft_stay");
  const std::string stay_sleeps = Series("iotax_syscalls_total", stayer->pid(), "ft_stay", ",class=\"sleep\"");
  const std::string crash_other = Series("iotax_syscalls_total", crasher->pid(), "ft_crash", ",class=\"other\"");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, stay_sleeps) > 0; }, 10s);
  ASSERT_EQ(Value(body, up_exit), 1) << body.substr(0, 2000);
  ASSERT_EQ(Value(body, up_crash), 1);

  // Both act on cue: exit(0) after 1000 getppid calls, and a null dereference after 1000.
  leaver->Kill(SIGUSR1);
  crasher->Kill(SIGUSR1);
  EXPECT_EQ(leaver->Wait(10s), 0);
  EXPECT_EQ(crasher->Wait(10s), 128 + SIGSEGV);

  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("target ", leaver->pid(), " (ft_exit) exited"), 10s))
      << daemon.Stderr();
  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("target ", crasher->pid(), " (ft_crash) exited"), 10s))
      << daemon.Stderr();
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, up_exit) == 0 && Value(b, up_crash) == 0; }, 10s);
  EXPECT_EQ(Value(body, up_exit), 0);
  EXPECT_EQ(Value(body, up_crash), 0);
  EXPECT_EQ(Value(body, Series("iotax_target_threads", crasher->pid(), "ft_crash")), 0);
  // What the crasher did before it died stays readable.
  EXPECT_GE(Value(body, crash_other), 1000) << "the 1000 getppid calls before the crash";
  EXPECT_GE(Value(body, Series("iotax_threads_exited_total", crasher->pid(), "ft_crash")), 1);

  // The third target is still served, and still counted.
  const double before = Value(body, stay_sleeps);
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, stay_sleeps) > before + 20; }, 10s);
  EXPECT_EQ(Value(body, up_stay), 1);
  EXPECT_GT(Value(body, stay_sleeps), before + 20);
  EXPECT_FALSE(daemon.Wait(0ms).has_value()) << "iotaxd must keep running";
}

TEST(TargetFaults, ExecIsFollowedUnderTheNewNameFromMainOrOtherThread) {
  IOTAX_REQUIRE_BPF();
  // Each has a second thread alive at the exec; one execs from that thread's sibling.
  auto from_main = StartTarget({"exec", "--name=ft_exec_main", "--image=" + kExecImage});
  auto from_thread = StartTarget({"exec", "--name=ft_exec_thr", "--image=" + kExecImage, "--from-thread"});
  ASSERT_TRUE(from_main && from_thread);
  Process daemon(DaemonArgs({absl::StrCat("--pid=", from_main->pid(), ",", from_thread->pid())}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  std::string body = ScrapeUntil(
      port,
      [&](const std::string& b) { return Value(b, Series("iotax_target_up", from_thread->pid(), "ft_exec_thr")) == 1; },
      10s);
  EXPECT_EQ(Value(body, Series("iotax_target_threads", from_main->pid(), "ft_exec_main")), 2);
  EXPECT_EQ(Value(body, Series("iotax_target_threads", from_thread->pid(), "ft_exec_thr")), 2);

  from_main->Kill(SIGUSR1);
  from_thread->Kill(SIGUSR1);
  // The new program is named after its image; the PID stays (de_thread gives
  // the leader's PID to the exec'ing thread).
  const std::string image = "fault_exec_img";
  for (Process* p : {from_main.get(), from_thread.get()}) {
    const std::string up = Series("iotax_target_up", p->pid(), image);
    const std::string sleeps = Series("iotax_syscalls_total", p->pid(), image, ",class=\"sleep\"");
    body = ScrapeUntil(
        port, [&](const std::string& b) { return Value(b, up) == 1 && Value(b, sleeps) > 20; }, 15s);
    EXPECT_EQ(Value(body, up), 1) << "pid " << p->pid() << "\n" << body.substr(0, 3000);
    EXPECT_GT(Value(body, sleeps), 20) << "the exec'd program's calls are counted";
    EXPECT_EQ(Value(body, Series("iotax_target_threads", p->pid(), image)), 1);
    // The second thread ended at the exec (and, from a thread, the old leader too).
    EXPECT_GE(Value(body, Series("iotax_threads_exited_total", p->pid(), image)), 1);
    EXPECT_FALSE(
        Sample(body, Series("iotax_target_up", p->pid(), p == from_main.get() ? "ft_exec_main" : "ft_exec_thr")))
        << "one series set per process: the old name is gone";
  }
  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("target ", from_main->pid(), " (ft_exec_main) now runs ", image), 10s))
      << daemon.Stderr();
  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("target ", from_thread->pid(), " (ft_exec_thr) now runs ", image), 10s))
      << daemon.Stderr();
  const std::string log = daemon.Stderr();
  EXPECT_FALSE(absl::StrContains(log, "(ft_exec_main) exited") || absl::StrContains(log, "(ft_exec_thr) exited") ||
               absl::StrContains(log, "(fault_exec_img) exited"))
      << "an exec is not an exit:\n"
      << log;
}

TEST(TargetFaults, ReusedPidIsNotTheOldTarget) {
  IOTAX_REQUIRE_BPF();
  auto old_target = StartTarget({"busy", "--name=ft_old"});
  ASSERT_TRUE(old_target);
  const pid_t pid = old_target->pid();
  // A slow poll, so the PID is reused before iotaxd's next look at /proc.
  std::vector<std::string> args = DaemonArgs({absl::StrCat("--pid=", pid)});
  args[2] = "--interval=3s";
  Process daemon(args);
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  const std::string old_sleeps = Series("iotax_syscalls_total", pid, "ft_old", ",class=\"sleep\"");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, old_sleeps) > 10; }, 10s);
  ASSERT_GT(Value(body, old_sleeps), 10);

  // The old process dies and is reaped; a new one is created with its PID
  // (clone3 with set_tid: exact, no race with the rest of the machine).
  old_target->Kill(SIGKILL);
  ASSERT_TRUE(old_target->Wait(5s).has_value());
  auto new_owner = StartTarget({"busy", "--name=ft_new"}, pid);
  ASSERT_TRUE(new_owner) << "clone3 with set_tid=" << pid << " failed: " << std::strerror(errno);
  ASSERT_EQ(new_owner->pid(), pid);

  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("target ", pid, " (ft_old) exited"), 15s)) << daemon.Stderr();
  EXPECT_TRUE(absl::StrContains(daemon.Stderr(), "PID now reused by another process, which is not traced"))
      << daemon.Stderr();
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, Series("iotax_target_up", pid, "ft_old")) == 0; }, 10s);
  EXPECT_EQ(Value(body, Series("iotax_target_up", pid, "ft_old")), 0);
  EXPECT_FALSE(absl::StrContains(body, "comm=\"ft_new\"")) << "the new process must not appear as the target";
  // The new owner makes ~500 sleeps a second; none of them land in the old series.
  const double after = Value(body, old_sleeps);
  std::this_thread::sleep_for(1500ms);
  body = Metrics(port);
  EXPECT_EQ(Value(body, old_sleeps), after) << "events of the PID's new owner were counted as the old target";
  EXPECT_FALSE(absl::StrContains(body, "comm=\"ft_new\""));
  EXPECT_FALSE(daemon.Wait(0ms).has_value());
}

}  // namespace
}  // namespace iotax::hardening
