#include "target_manager.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "fake_proc.h"
#include "fake_tracer.h"

namespace iotax {
namespace {

using testing::FakeProc;
using testing::FakeTracer;

class TargetManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<TargetManager> Make(std::vector<int> pids, std::vector<std::string> comms = {},
                                      bool follow_children = false) {
    TargetManagerOptions o;
    o.pids = std::move(pids);
    o.comms = std::move(comms);
    o.follow_children = follow_children;
    o.proc_root = proc_.root();
    tracer_.proc_root = proc_.root();
    return std::make_unique<TargetManager>(&tracer_, o, [this](absl::string_view l) { log_.emplace_back(l); });
  }
  int LogLinesContaining(absl::string_view text) const {
    int n = 0;
    for (const auto& l : log_) n += absl::StrContains(l, text) ? 1 : 0;
    return n;
  }

  FakeProc proc_;
  FakeTracer tracer_;
  std::vector<std::string> log_;
};

TEST_F(TargetManagerTest, MissingPidIsAnErrorThatSaysWhatToDo) {
  proc_.AddProcess(10, "alive");
  auto m = Make({10, 1234});
  const absl::Status s = m->Start();
  EXPECT_TRUE(absl::IsNotFound(s));
  EXPECT_EQ(s.message(), "no process with PID 1234: check the PID with `ps -p 1234`");
  EXPECT_TRUE(tracer_.add_calls.empty()) << "nothing is attached when any PID is bad";
  EXPECT_EQ(TargetManager::ValidatePids({1234}, proc_.root()).message(), s.message());
}

TEST_F(TargetManagerTest, ZombieIsRejected) {
  proc_.AddProcess(11, "dead", 1, 1, 'Z');
  auto m = Make({11});
  const absl::Status s = m->Start();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::StrContains(s.message(), "already exited")) << s;
}

TEST_F(TargetManagerTest, AttachesPidsAndDeduplicates) {
  proc_.AddProcess(10, "a");
  proc_.AddProcess(20, "b");
  auto m = Make({10, 20, 10});
  ASSERT_TRUE(m->Start().ok());
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{10, 20}));
  EXPECT_EQ(m->LiveTargets(), (std::vector<int>{10, 20}));
  EXPECT_EQ(LogLinesContaining("tracing process 10 (a)"), 1);
}

TEST_F(TargetManagerTest, ThreadIdTracesItsWholeProcess) {
  proc_.AddProcess(10, "app", 1, 2);
  proc_.AddThread(11, 10, "app");
  auto m = Make({11});
  ASSERT_TRUE(m->Start().ok());
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{10}));
  EXPECT_EQ(LogLinesContaining("PID 11 is a thread of process 10"), 1);
}

TEST_F(TargetManagerTest, TracerRefusalNamesThePid) {
  proc_.AddProcess(10, "a");
  tracer_.add_errors[10] = absl::ResourceExhaustedError("all 64 target slots are in use: trace fewer processes");
  auto m = Make({10});
  const absl::Status s = m->Start();
  EXPECT_TRUE(absl::IsResourceExhausted(s));
  EXPECT_EQ(s.message(), "cannot trace PID 10 (a): all 64 target slots are in use: trace fewer processes");
}

TEST_F(TargetManagerTest, ExitIsDetectedOnceAndTheViewShowsTheTargetDown) {
  proc_.AddProcess(10, "a");
  proc_.AddProcess(20, "b");
  auto m = Make({10, 20});
  ASSERT_TRUE(m->Start().ok());
  tracer_.snapshot.targets[0].stats.wakeups = 77;
  m->Poll();
  EXPECT_EQ(LogLinesContaining("exited"), 0);

  proc_.MakeZombie(10, "a");
  m->Poll();
  m->Poll();
  EXPECT_EQ(LogLinesContaining("target 10 (a) exited; its metrics stay readable, iotax_target_up is 0"), 1);
  EXPECT_EQ(LogLinesContaining("all targets have exited"), 0);

  // The tracer (here the fake, over the fake /proc) says it is down.
  const DaemonView v = m->View();
  ASSERT_EQ(v.snapshot.targets.size(), 2u);
  EXPECT_FALSE(v.snapshot.targets[0].up);
  EXPECT_EQ(v.snapshot.targets[0].stats.wakeups, 77u) << "values stay readable";
  EXPECT_TRUE(v.snapshot.targets[1].up);
  EXPECT_EQ(m->LiveTargets(), (std::vector<int>{20}));

  proc_.Remove(20);
  m->Poll();
  EXPECT_EQ(LogLinesContaining("all targets have exited; metrics stay readable"), 1);
}

TEST_F(TargetManagerTest, CommWaitsForTheFirstProcessThenAttachesIt) {
  auto m = Make({}, {"worker"});
  ASSERT_TRUE(m->Start().ok());
  EXPECT_TRUE(tracer_.add_calls.empty());
  EXPECT_EQ(LogLinesContaining("waiting for a process named worker to appear"), 1);
  DaemonView v = m->View();
  ASSERT_EQ(v.comm_watches.size(), 1u);
  EXPECT_EQ(v.comm_watches[0].live_targets, 0);

  m->Poll();
  EXPECT_EQ(LogLinesContaining("waiting for"), 1) << "said once, not every poll";

  proc_.AddProcess(30, "worker");
  proc_.AddProcess(31, "other");
  m->Poll();
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{30}));
  v = m->View();
  EXPECT_EQ(v.comm_watches[0].live_targets, 1);
  EXPECT_EQ(v.comm_watches[0].processes_attached, 1u);
}

TEST_F(TargetManagerTest, CommPicksUpTheNextProcessAfterAnExit) {
  proc_.AddProcess(30, "worker");
  auto m = Make({}, {"worker"});
  ASSERT_TRUE(m->Start().ok());
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{30}));

  proc_.Remove(30);
  m->Poll();
  EXPECT_EQ(LogLinesContaining("target 30 (worker) exited"), 1);
  EXPECT_EQ(LogLinesContaining("waiting for the next process named worker"), 1);
  EXPECT_EQ(LogLinesContaining("all targets have exited"), 0) << "--comm keeps waiting instead";

  proc_.AddProcess(40, "worker");
  m->Poll();
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{30, 40}));
  const DaemonView v = m->View();
  EXPECT_EQ(v.comm_watches[0].live_targets, 1);
  EXPECT_EQ(v.comm_watches[0].processes_attached, 2u);
}

TEST_F(TargetManagerTest, CommAttachFailureIsCountedAndLoggedNotFatal) {
  proc_.AddProcess(30, "worker");
  proc_.AddProcess(31, "worker");
  tracer_.add_errors[31] = absl::ResourceExhaustedError("slots full");
  auto m = Make({}, {"worker"});
  ASSERT_TRUE(m->Start().ok());
  const DaemonView v = m->View();
  EXPECT_EQ(v.attach_failures, 1u);
  EXPECT_EQ(v.comm_watches[0].live_targets, 1);
  EXPECT_EQ(LogLinesContaining("cannot trace PID 31 (worker): slots full"), 1);
}

TEST_F(TargetManagerTest, FollowChildrenSkipsChildrenForkedAfterAttach) {
  proc_.AddProcess(50, "srv");
  proc_.AddProcess(51, "srv", 50);  // already running at start: attached on its own
  auto m = Make({}, {"srv"}, /*follow_children=*/true);
  ASSERT_TRUE(m->Start().ok());
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{50, 51}));

  proc_.AddProcess(60, "srv", 51);  // forked later by a traced process: the tracer follows it
  proc_.AddProcess(70, "srv", 1);   // an unrelated new one
  m->Poll();
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{50, 51, 70}));
}

TEST_F(TargetManagerTest, WithoutFollowChildrenEveryMatchIsItsOwnTarget) {
  proc_.AddProcess(50, "srv");
  auto m = Make({}, {"srv"});
  ASSERT_TRUE(m->Start().ok());
  proc_.AddProcess(60, "srv", 50);
  m->Poll();
  EXPECT_EQ(tracer_.add_calls, (std::vector<int>{50, 60}));
}

TEST_F(TargetManagerTest, ViewReadsTheTracerEveryTime) {
  proc_.AddProcess(10, "a");
  auto m = Make({10});
  ASSERT_TRUE(m->Start().ok());
  m->View();
  m->View();
  EXPECT_EQ(tracer_.reads, 2);
}

// ---- A service: every process of a comm in one slot ----

class ServiceManagerTest : public TargetManagerTest {
 protected:
  std::unique_ptr<TargetManager> MakeService(ServiceSelector selector) {
    TargetManagerOptions o;
    o.service = std::move(selector);
    o.proc_root = proc_.root();
    tracer_.proc_root = proc_.root();
    return std::make_unique<TargetManager>(&tracer_, o, [this](absl::string_view l) { log_.emplace_back(l); });
  }
  const ServiceFacts& Service() {
    for (const TargetSnapshot& t : tracer_.snapshot.targets) {
      if (t.service) return *t.service;
    }
    static const ServiceFacts none;
    ADD_FAILURE() << "no service target";
    return none;
  }
};

TEST_F(ServiceManagerTest, EveryProcessOfTheNameJoinsOneSlotAndNewOnesJoinAtThePoll) {
  proc_.AddProcess(10, "web");
  proc_.AddProcess(11, "web", 10);
  proc_.AddProcess(12, "other");
  auto m = MakeService({ServiceSelector::Kind::kComm, "web", {}});
  ASSERT_TRUE(m->Start().ok());
  EXPECT_TRUE(tracer_.add_calls.empty()) << "no per-process slot for a service";
  ASSERT_EQ(tracer_.snapshot.targets.size(), 1u);
  EXPECT_EQ(m->ServicePid(), tracer_.snapshot.targets[0].pid);
  EXPECT_EQ(Service().members, (std::vector<int>{10, 11}));
  EXPECT_EQ(LogLinesContaining("tracing comm web as one service: 2 processes"), 1);

  proc_.AddProcess(13, "web", 10);  // forked, or started
  proc_.Remove(11);                 // exited: not an error
  m->Poll();
  EXPECT_EQ(Service().members, (std::vector<int>{10, 13}));
  EXPECT_EQ(Service().processes_added, 3u);
  EXPECT_EQ(m->LiveTargets(), (std::vector<int>{10, 13}));  // what --stacks follows
  m->Poll();  // nothing new: nothing added twice
  EXPECT_EQ(Service().processes_added, 3u);
}

TEST_F(ServiceManagerTest, ZombiesAndKernelThreadsAreNotMembersAndNothingIsFatal) {
  proc_.AddProcess(20, "web");
  proc_.AddProcess(21, "web", 20, 1, 'Z');
  auto m = MakeService({ServiceSelector::Kind::kPids, "", {20, 21, 999}});
  ASSERT_TRUE(m->Start().ok()) << "a stale PID list is normal for a prefork server";
  EXPECT_EQ(Service().members, (std::vector<int>{20}));
}

TEST_F(ServiceManagerTest, AFullTargetsMapIsSaidOnceAndCountedNotFatal) {
  proc_.AddProcess(30, "web");
  proc_.AddProcess(31, "web");
  proc_.AddProcess(32, "web");
  tracer_.add_errors[31] = absl::ResourceExhaustedError("cannot trace PID 31 (web): the kernel's targets map is full");
  tracer_.add_errors[32] = tracer_.add_errors[31];
  auto m = MakeService({ServiceSelector::Kind::kComm, "web", {}});
  ASSERT_TRUE(m->Start().ok());
  m->Poll();
  EXPECT_EQ(LogLinesContaining("targets map is full"), 1);
  EXPECT_EQ(m->View().attach_failures, 4u);  // two refusals per pass, both passes
  EXPECT_EQ(Service().members, (std::vector<int>{30}));
}

TEST_F(ServiceManagerTest, AServiceWithNoProcessYetWaitsAndSaysSoOnce) {
  auto m = MakeService({ServiceSelector::Kind::kComm, "later", {}});
  ASSERT_TRUE(m->Start().ok());
  m->Poll();
  EXPECT_EQ(LogLinesContaining("no process of comm later runs now"), 1);
  proc_.AddProcess(40, "later");
  m->Poll();
  EXPECT_EQ(Service().members, (std::vector<int>{40}));
}

}  // namespace
}  // namespace iotax
