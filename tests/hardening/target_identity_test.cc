// How TargetManager keeps a target's identity, on a fake /proc (no root): a
// PID is the same target only while its start time is the same, so a PID
// reused by a new process is reported as the old target's exit (and a --comm
// watch attaches the newcomer as a new target); an exec (same PID, same
// start time, new comm) is the same target under a new name.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "fake_proc.h"
#include "fake_tracer.h"
#include "target_manager.h"

namespace iotax {
namespace {

using testing::FakeProc;
using testing::FakeTracer;

class TargetIdentityTest : public ::testing::Test {
 protected:
  std::unique_ptr<TargetManager> Make(std::vector<int> pids, std::vector<std::string> comms = {}) {
    TargetManagerOptions o;
    o.pids = std::move(pids);
    o.comms = std::move(comms);
    o.proc_root = proc_.root();
    tracer_.proc_root = proc_.root();
    return std::make_unique<TargetManager>(&tracer_, o, [this](absl::string_view l) { log_.emplace_back(l); });
  }
  // A live process with a full /proc/PID/stat, start time included (field 22).
  void AddProcess(int pid, const std::string& comm, uint64_t start_time) {
    proc_.AddProcess(pid, comm);
    std::string stat = absl::StrCat(pid, " (", comm, ") S 1");
    for (int field = 5; field <= 21; ++field) absl::StrAppend(&stat, " 0");
    absl::StrAppend(&stat, " ", start_time, " 0 0\n");
    std::ofstream(absl::StrCat(proc_.root(), "/", pid, "/stat")) << stat;
  }
  int Lines(absl::string_view text) const {
    int n = 0;
    for (const auto& l : log_) n += absl::StrContains(l, text) ? 1 : 0;
    return n;
  }

  FakeProc proc_;
  FakeTracer tracer_;
  std::vector<std::string> log_;
};

TEST_F(TargetIdentityTest, ReusedPidIsTheOldTargetsExit) {
  AddProcess(10, "old", 1000);
  auto m = Make({10});
  ASSERT_TRUE(m->Start().ok());
  m->Poll();
  EXPECT_EQ(Lines("exited"), 0);
  // Between two polls the target dies and a new process gets PID 10.
  proc_.Remove(10);
  AddProcess(10, "new", 2000);
  m->Poll();
  EXPECT_EQ(Lines("target 10 (old) exited; its metrics stay readable, iotax_target_up is 0 (PID now reused by "
                  "another process, which is not traced)"),
            1);
  EXPECT_TRUE(m->LiveTargets().empty());
  EXPECT_EQ(m->View().snapshot.targets.at(0).up, false);
  m->Poll();
  EXPECT_EQ(Lines("target 10 (old) exited"), 1) << "said once";
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{10})) << "a --pid target is never re-attached to a newcomer";
}

TEST_F(TargetIdentityTest, ReusedPidWithTheWatchedNameIsAttachedAsANewTarget) {
  AddProcess(10, "worker", 1000);
  auto m = Make({}, {"worker"});
  ASSERT_TRUE(m->Start().ok());
  proc_.Remove(10);
  AddProcess(10, "worker", 2000);
  m->Poll();
  EXPECT_EQ(Lines("target 10 (worker) exited"), 1);
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{10, 10}));
  EXPECT_EQ(m->LiveTargets(), (std::vector<int>{10}));
}

TEST_F(TargetIdentityTest, ExecIsTheSameTargetUnderANewName) {
  AddProcess(10, "launcher", 1000);
  auto m = Make({10});
  ASSERT_TRUE(m->Start().ok());
  AddProcess(10, "server", 1000);  // same start time: exec, not a new process
  m->Poll();
  m->Poll();
  EXPECT_EQ(Lines("target 10 (launcher) now runs server (exec or rename): still traced, same PID"), 1);
  EXPECT_EQ(Lines("exited"), 0);
  EXPECT_EQ(m->LiveTargets(), (std::vector<int>{10}));
}

TEST_F(TargetIdentityTest, OneIdentityPerProcessSaysWhetherItStillRuns) {
  AddProcess(10, "app", 1000);
  proc_.AddThread(11, 10, "app");
  absl::StatusOr<ProcessIdentity> id = IdentifyProcess(11, proc_.root());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->requested_pid, 11);
  EXPECT_EQ(id->pid, 10);
  EXPECT_EQ(id->start_time, 1000u);
  EXPECT_EQ(id->comm, "app");
  EXPECT_EQ(CheckProcess(*id, proc_.root()), ProcessState::kRunning);
  proc_.Remove(10);
  AddProcess(10, "other", 2000);
  EXPECT_EQ(CheckProcess(*id, proc_.root()), ProcessState::kReused);
  proc_.MakeZombie(10, "other");
  EXPECT_EQ(CheckProcess(*id, proc_.root()), ProcessState::kExited);
  EXPECT_EQ(IdentifyProcess(10, proc_.root()).status().message(),
            "process 10 has already exited (it is a zombie): check the PID with `ps -p 10`");
  EXPECT_TRUE(absl::IsInvalidArgument(IdentifyProcess(0, proc_.root()).status()));
}

TEST_F(TargetIdentityTest, MorePidsThanSlotsSayHowToTraceThemAsOneService) {
  std::vector<int> pids;
  for (int pid = 100; pid < 100 + kMaxTargets + 1; ++pid) {
    AddProcess(pid, "prefork", 1000);
    pids.push_back(pid);
  }
  const absl::Status s = TargetManager::IdentifyPids(pids, proc_.root()).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_TRUE(absl::StrContains(s.message(), absl::StrCat("at most ", kMaxTargets, " can be traced as separate "
                                                                                    "targets")))
      << s;
  EXPECT_TRUE(absl::StrContains(s.message(), "use --comm NAME or --cgroup PATH to trace them as one service")) << s;
  pids.pop_back();
  EXPECT_TRUE(TargetManager::IdentifyPids(pids, proc_.root()).ok());
}

TEST_F(TargetIdentityTest, StartTakesTheIdentitiesItIsGiven) {
  AddProcess(10, "app", 1000);
  absl::StatusOr<std::vector<ProcessIdentity>> ids = TargetManager::IdentifyPids({10}, proc_.root());
  ASSERT_TRUE(ids.ok()) << ids.status();
  auto m = Make({10});
  // The process is gone by the time Start runs: the tracer, not Start, notices.
  proc_.Remove(10);
  ASSERT_TRUE(m->Start(*ids).ok());
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{10}));
  m->Poll();
  EXPECT_EQ(Lines("target 10 (app) exited"), 1);
}

}  // namespace
}  // namespace iotax
