// The window arithmetic and the blocking model on synthetic snapshots whose
// costs are known exactly.
#include "blocking_model.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "process_facts.h"
#include "synthetic_workload.h"
#include "target_window.h"

namespace iotax {
namespace {

using testing::MakeSnapshots;
using testing::Pointers;
using testing::Workload;

TargetWindow WholeWindow(const std::vector<AgentSnapshot>& snaps, int pid) {
  return Combine(WindowsOf(Pointers(snaps), pid));
}

TEST(TargetWindow, SubWindowsAddUpToTheWhole) {
  Workload w;
  w.noise = 0.2;
  const auto snaps = MakeSnapshots(w, 6);
  const auto windows = WindowsOf(Pointers(snaps), w.pid);
  ASSERT_EQ(windows.size(), 6u);
  const TargetWindow whole = MakeWindow(snaps.front().targets[0], snaps.front().monotonic_ns,
                                        snaps.back().targets[0], snaps.back().monotonic_ns);
  const TargetWindow sum = Combine(windows);
  EXPECT_DOUBLE_EQ(sum.seconds, whole.seconds);
  EXPECT_EQ(sum.stats.user_ns, whole.stats.user_ns);
  EXPECT_EQ(sum.stats.classes[0].blocked_calls, whole.stats.classes[0].blocked_calls);
  const TargetWindow rest = Without(whole, windows[2]);
  EXPECT_EQ(rest.stats.classes[0].calls, whole.stats.classes[0].calls - windows[2].stats.classes[0].calls);
  EXPECT_NEAR(rest.seconds, 5.0, 1e-9);
}

TEST(TargetWindow, MajorFaultsAreKnownOnlyWhenEveryEndWasRead) {
  Workload w;
  auto snaps = MakeSnapshots(w, 3);
  for (size_t i = 0; i < snaps.size(); ++i) snaps[i].targets[0].major_faults = 1000 + 40 * i;
  const TargetWindow whole = WholeWindow(snaps, w.pid);
  EXPECT_TRUE(whole.major_faults_known);
  EXPECT_EQ(whole.major_faults, 120u);
  const auto windows = WindowsOf(Pointers(snaps), w.pid);
  EXPECT_EQ(Without(whole, windows[1]).major_faults, 80u);
  const BlockingBreakdown b = AnalyzeWindow(whole, snaps.back().pmu, 1);
  EXPECT_TRUE(b.major_faults_known);
  EXPECT_EQ(b.major_faults, 120u);
  snaps[1].targets[0].major_faults.reset();  // one read missed: the sum is not known
  const TargetWindow partial = WholeWindow(snaps, w.pid);
  EXPECT_FALSE(partial.major_faults_known);
  EXPECT_EQ(partial.major_faults, 0u);
}

TEST(TargetWindow, CountersThatGoBackwardsGiveZeroNotWraparound) {
  TargetStats a, b;
  a.user_ns = 100;
  b.user_ns = 250;
  EXPECT_EQ(SubtractStats(a, b).user_ns, 0u);
  EXPECT_EQ(SubtractStats(b, a).user_ns, 150u);
}

TEST(TargetWindow, ANewProcessBehindTheSamePidRestartsTheWindows) {
  Workload w;
  auto snaps = MakeSnapshots(w, 4);
  for (size_t i = 3; i < snaps.size(); ++i) snaps[i].targets[0].attached_at_ns += 1;  // re-attached
  EXPECT_EQ(WindowsOf(Pointers(snaps), w.pid).size(), 1u);
  EXPECT_TRUE(WindowsOf(Pointers(snaps), 999).empty());
}

TEST(BlockingModel, DirectCostIsTheExtraOnCpuTimeOfBlockedCalls) {
  Workload w;  // 20k req/s, 95% of reads block, each 3 µs extra
  const auto snaps = MakeSnapshots(w, 5);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  const double requests = w.requests_per_second * 5;
  EXPECT_NEAR(b.seconds, 5.0, 1e-9);
  EXPECT_NEAR(b.cpu_seconds, requests * testing::TruthCpuPerRequest(w), 1e-6);
  EXPECT_NEAR(b.direct_cpu_seconds, requests * w.blocked_fraction * w.read_blocked_extra, 1e-6);
  EXPECT_NEAR(b.DirectPerBlockedCall(), w.read_blocked_extra, 1e-10);
  EXPECT_EQ(b.blocked_io_calls, static_cast<uint64_t>(requests * w.blocked_fraction));
  EXPECT_EQ(b.uncalibrated_blocked_io_calls, 0u);
  EXPECT_EQ(b.DominantIoClass(), SyscallClass::kNetRead);
  EXPECT_EQ(b.latency.threads, 101);
  EXPECT_EQ(b.latency.cpus, 1);
}

TEST(BlockingModel, EveryCallBlockedWithoutSwitchPathsMeansUnpricedNotZeroCost) {
  Workload w;
  w.blocked_fraction = 1.0;
  w.switch_paths = false;
  const auto snaps = MakeSnapshots(w, 3);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  EXPECT_EQ(b.uncalibrated_blocked_io_calls, b.blocked_io_calls);
  EXPECT_GT(b.blocked_io_calls, 0u);
  EXPECT_EQ(b.direct_cpu_seconds, 0);
  EXPECT_EQ(b.classes[static_cast<int>(SyscallClass::kNetRead)].tier2.status, Tier2Status::kNotCalibrated);
}

TEST(BlockingModel, EveryCallBlockedIsPricedByItsSleepPathAlone) {
  // No call of the kind found data, so nothing measures the read's own work:
  // the whole resume path is taken off and the price is the sleep path, a
  // lower bound (half the extra here).
  Workload w;
  w.blocked_fraction = 1.0;
  const auto snaps = MakeSnapshots(w, 3);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  const Tier2Cost& t = b.classes[static_cast<int>(SyscallClass::kNetRead)].tier2;
  EXPECT_EQ(t.status, Tier2Status::kCalibrated);
  EXPECT_EQ(t.method, Tier2Method::kSwitchPaths);
  EXPECT_FALSE(t.own_work_measured);
  EXPECT_EQ(b.uncalibrated_blocked_io_calls, 0u);
  EXPECT_NEAR(b.DirectPerBlockedCall(), w.read_blocked_extra / 2, 1e-9);
}

TEST(BlockingModel, EventLoopWaitsAreNotThreadBlockingIo) {
  Workload w;
  w.event_loop = true;
  const auto snaps = MakeSnapshots(w, 3);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  EXPECT_EQ(b.blocked_io_calls, 0u);
  EXPECT_EQ(b.direct_cpu_seconds, 0);
  EXPECT_GT(b.event_wait_blocked_calls, 0u);
  EXPECT_TRUE(IsEventWaitClass(SyscallClass::kIoUring));
  EXPECT_TRUE(IsEventWaitClass(SyscallClass::kPoll));
  EXPECT_FALSE(IsIoClass(SyscallClass::kFutex));
  EXPECT_TRUE(IsIoClass(SyscallClass::kAcceptConnect));
}

// blocked waits, ready descriptors, waits with a watched count, descriptors watched.
using Waits = WaitStats;

TEST(JudgeWaits, PollOnOneSocketWakingForOneIsABlockingDesign) {
  const WaitJudgement j = JudgeWaits(Waits{1000, 1000, 1000, 1000}, std::nullopt);
  EXPECT_TRUE(j.blocking_design);
  EXPECT_DOUBLE_EQ(*j.ready_per_blocked_wait, 1.0);
  EXPECT_DOUBLE_EQ(*j.watched_per_wait, 1.0);
  EXPECT_TRUE(absl::StrContains(j.why, "a blocking design, costed like a blocked read")) << j.why;
  // Up to the bounds: 1.5 ready per block, 4 watched per wait.
  EXPECT_TRUE(JudgeWaits(Waits{100, 150, 100, 400}, std::nullopt).blocking_design);
}

TEST(JudgeWaits, ManyReadyPerWakeOrManyWatchedIsAnEventLoop) {
  const WaitJudgement busy = JudgeWaits(Waits{100, 151, 100, 100}, 1.0);
  EXPECT_FALSE(busy.blocking_design);
  EXPECT_TRUE(absl::StrContains(busy.why, "event loop")) << busy.why;
  const WaitJudgement wide = JudgeWaits(Waits{100, 100, 100, 401}, 1.0);
  EXPECT_FALSE(wide.blocking_design);
  EXPECT_TRUE(absl::StrContains(wide.why, "watch 4 descriptors") || absl::StrContains(wide.why, "event loop"))
      << wide.why;
}

TEST(JudgeWaits, EpollIsJudgedByTheSocketsAThreadServes) {
  // epoll_wait: no watched count. One socket per thread is one connection each.
  const WaitJudgement one = JudgeWaits(Waits{500, 500, 0, 0}, 1.0);
  EXPECT_FALSE(one.watched_per_wait.has_value());
  EXPECT_TRUE(one.blocking_design) << one.why;
  EXPECT_FALSE(JudgeWaits(Waits{500, 500, 0, 0}, 17.0).blocking_design);
  // Unknown: taken as an event loop, and said so.
  const WaitJudgement unknown = JudgeWaits(Waits{500, 500, 0, 0}, std::nullopt);
  EXPECT_FALSE(unknown.blocking_design);
  EXPECT_TRUE(absl::StrContains(unknown.why, "unknown")) << unknown.why;
  // A few poll waits among many epoll ones do not speak for all of them.
  EXPECT_FALSE(JudgeWaits(Waits{500, 500, 10, 10}, 17.0).blocking_design);
  EXPECT_FALSE(JudgeWaits(Waits{0, 0, 0, 0}, 1.0).blocking_design);
}

// A poll-per-connection server: every request one poll that blocks and a
// read that does not; each poll watched and returned the given counts.
TargetWindow PollPerConnectionWindow(uint64_t watched_per_wait, uint64_t ready_per_wait) {
  const uint64_t requests = 40000;
  TargetWindow w = testing::OneClassWindow(SyscallClass::kPoll, requests, 0, 4, 17);
  ClassStats& read = w.stats.classes[static_cast<int>(SyscallClass::kNetRead)];
  read.calls = requests;
  read.oncpu_ns = requests * 1500;
  w.stats.syscall_ns += read.oncpu_ns;
  w.stats.waits = Waits{requests, requests * ready_per_wait, requests, requests * watched_per_wait};
  return w;
}

TEST(BlockingModel, APollPerConnectionWaitIsCostedLikeABlockedRead) {
  const BlockingBreakdown b = AnalyzeWindow(PollPerConnectionWindow(1, 1), PmuStatus{}, 1);
  EXPECT_TRUE(b.waits.blocking_design) << b.waits.why;
  EXPECT_DOUBLE_EQ(*b.waits.sockets_per_thread, 1.0);
  EXPECT_TRUE(b.CountsAsIo(SyscallClass::kPoll));
  EXPECT_EQ(b.blocked_io_calls, 40000u);
  EXPECT_EQ(b.DominantIoClass(), SyscallClass::kPoll);
  // Priced by its switch paths as a read is: nothing measures its own work,
  // so the whole resume path comes off (a lower bound): the sleep path.
  EXPECT_NEAR(b.DirectPerBlockedCall(), 2e-6, 1e-12);
  EXPECT_NEAR(b.direct_cpu_seconds, 40000 * 2e-6, 1e-9);
  EXPECT_EQ(b.event_wait_blocked_calls, 0u);
}

TEST(BlockingModel, APollPerConnectionWaitsSleepIsIoWaitAndIoUringWaitsStayEventWaits) {
  TargetWindow w = PollPerConnectionWindow(1, 1);
  ClassStats& poll = w.stats.classes[static_cast<int>(SyscallClass::kPoll)];
  poll.wall_ns = poll.oncpu_ns + 3'000'000'000;  // 3 s asleep in poll
  w.stats.offcpu_ns[static_cast<int>(OffCpuReason::kEventWait)] = 3'500'000'000;  // + 0.5 s in io_uring_enter
  w.stats.offcpu_ns[static_cast<int>(OffCpuReason::kIo)] = 1'000'000'000;
  const BlockingBreakdown b = AnalyzeWindow(w, PmuStatus{}, 1);
  ASSERT_TRUE(b.waits.blocking_design);
  EXPECT_NEAR(b.offcpu_seconds[static_cast<int>(OffCpuReason::kIo)], 4.0, 1e-9);
  EXPECT_NEAR(b.offcpu_seconds[static_cast<int>(OffCpuReason::kEventWait)], 0.5, 1e-9);
  // An event loop's waits are what event_wait means: nothing moves.
  TargetWindow loop = PollPerConnectionWindow(64, 1);
  loop.stats.classes[static_cast<int>(SyscallClass::kPoll)].wall_ns = poll.wall_ns;
  loop.stats.offcpu_ns = w.stats.offcpu_ns;
  const BlockingBreakdown l = AnalyzeWindow(loop, PmuStatus{}, 1);
  EXPECT_NEAR(l.offcpu_seconds[static_cast<int>(OffCpuReason::kEventWait)], 3.5, 1e-9);
  EXPECT_NEAR(l.offcpu_seconds[static_cast<int>(OffCpuReason::kIo)], 1.0, 1e-9);
}

TEST(BlockingModel, AnEventLoopWaitStaysEventDriven) {
  for (const auto& [watched, ready] : {std::pair<uint64_t, uint64_t>{64, 1}, {1, 3}}) {
    const BlockingBreakdown b = AnalyzeWindow(PollPerConnectionWindow(watched, ready), PmuStatus{}, 1);
    EXPECT_FALSE(b.waits.blocking_design) << b.waits.why;
    EXPECT_FALSE(b.CountsAsIo(SyscallClass::kPoll));
    EXPECT_EQ(b.blocked_io_calls, 0u);
    EXPECT_EQ(b.direct_cpu_seconds, 0);
    EXPECT_EQ(b.event_wait_blocked_calls, 40000u);
  }
}

TEST(BlockingModel, APollPerConnectionWaitStartsTheIndirectPartsPath) {
  // Prefork's read after a blocked poll took 3 µs (user + the read) more
  // than after a poll that did not block: its blocks' refill.
  const auto with_paths = [](uint64_t watched) {
    TargetWindow w = PollPerConnectionWindow(watched, 1);
    PathSegments& blocked = w.stats.path_segments[static_cast<int>(SyscallClass::kPoll)]
                                                 [static_cast<int>(SyscallClass::kNetRead)][1];
    PathSegments& plain = w.stats.path_segments[static_cast<int>(SyscallClass::kPoll)]
                                               [static_cast<int>(SyscallClass::kNetRead)][0];
    blocked.segments = 30000;
    blocked.ns = 30000 * 4000;
    blocked.sq_16ns = 30000 * 250 * 250;
    plain.segments = 5000;
    plain.ns = 5000 * 1000;
    plain.sq_16ns = 5000 * 62 * 62;
    return w;
  };
  const BlockingBreakdown b = AnalyzeWindow(with_paths(1), PmuStatus{}, 1);
  ASSERT_TRUE(b.waits.blocking_design);
  ASSERT_TRUE(b.indirect.available) << b.indirect.missing_reason;
  EXPECT_EQ(b.indirect.path.before, SyscallClass::kPoll);
  EXPECT_NEAR(b.indirect.per_block_seconds, 3e-6, 1e-12);
  EXPECT_NEAR(b.indirect.cpu_seconds, 40000 * 3e-6, 1e-9);
  // An event loop's blocked waits are no blocked IO: the same paths are not its refill.
  const BlockingBreakdown loop = AnalyzeWindow(with_paths(64), PmuStatus{}, 1);
  ASSERT_FALSE(loop.waits.blocking_design);
  EXPECT_EQ(loop.indirect.cpu_seconds, 0);
  EXPECT_FALSE(loop.indirect.path.available);
}

TEST(BlockingModel, NoPmuSaysWhyTheIndirectPartIsMissing) {
  Workload w;
  const auto snaps = MakeSnapshots(w, 3);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  EXPECT_FALSE(b.indirect.available);
  EXPECT_NE(b.indirect.missing_reason.find("vm_without_pmu"), std::string::npos);
}

TEST(BlockingModel, IndirectCostIsTheExtraLossAfterBlockedCallsInSeconds) {
  Workload w;
  w.pmu = true;
  w.loss_after_blocked = 3000;  // cycles lost after a blocked call
  w.loss_after_syscall = 800;   // ... after one that did not block
  const auto snaps = MakeSnapshots(w, 4);
  const TargetWindow whole = WholeWindow(snaps, w.pid);
  const BlockingBreakdown b = AnalyzeWindow(whole, snaps.back().pmu, 1);
  ASSERT_TRUE(b.indirect.available) << b.indirect.missing_reason;
  EXPECT_NEAR(b.indirect.extra_cycles_per_blocked_return, 2200, 1.0);
  EXPECT_NEAR(b.indirect.cycles_per_second, w.cycles_per_second, w.cycles_per_second * 1e-6);
  uint64_t blocked_returns = 0;
  for (const auto& bucket : whole.pmu.segments[static_cast<int>(SegmentLabel::kAfterBlockedSyscall)]) {
    blocked_returns += bucket.segments;
  }
  EXPECT_EQ(b.indirect.blocked_returns, blocked_returns);
  EXPECT_NEAR(b.indirect.cpu_seconds, 2200.0 * static_cast<double>(blocked_returns) / w.cycles_per_second, 1e-5);
}

TEST(BlockingModel, PmuWithTooFewSegmentsIsNotAnEstimate) {
  Workload w;
  w.pmu = true;
  w.requests_per_second = 10;  // a handful of segments per bucket
  const auto snaps = MakeSnapshots(w, 1);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  EXPECT_FALSE(b.indirect.available);
  EXPECT_NE(b.indirect.missing_reason.find("too few"), std::string::npos) << b.indirect.missing_reason;
}

TEST(BlockingModel, RunQueueFigures) {
  Workload w;
  w.runqueue_wait_ns = 800'000;  // 0.8 ms each, bucket (524288, 1048576]
  const auto snaps = MakeSnapshots(w, 2);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  ASSERT_TRUE(b.latency.runqueue_wait_p99_seconds);
  EXPECT_GT(*b.latency.runqueue_wait_p99_seconds, 524288e-9);
  EXPECT_LE(*b.latency.runqueue_wait_p99_seconds, 1048576e-9);
  EXPECT_NEAR(*b.latency.wakeup_to_run_mean_seconds, 800e-6, 1e-9);
  EXPECT_NEAR(b.latency.mean_threads_waiting, w.requests_per_second * 800e-6, 1e-6);
}

TEST(BlockingModel, TheKernelsCpuIsTheDenominatorWhenItWasRead) {
  Workload w;
  w.untraced_per_request = 2e-6;  // interrupts and softirqs the tracer does not attribute
  const auto snaps = MakeSnapshots(w, 4);
  const BlockingBreakdown b = AnalyzeWindow(WholeWindow(snaps, w.pid), snaps.back().pmu, 1);
  const double requests = w.requests_per_second * 4;
  EXPECT_TRUE(b.kernel_cpu_known);
  EXPECT_NEAR(b.traced_cpu_seconds, requests * testing::TruthCpuPerRequest(w), 1e-6);
  EXPECT_NEAR(b.cpu_seconds, requests * (testing::TruthCpuPerRequest(w) + 2e-6), 1e-6);
  EXPECT_NEAR(b.untraced_cpu_seconds, requests * 2e-6, 1e-6);
  // One window without the kernel's figure: the tracer's is used throughout.
  auto partial = snaps;
  partial[2].targets[0].kernel_cpu_ns = 0;
  const BlockingBreakdown t = AnalyzeWindow(WholeWindow(partial, w.pid), partial.back().pmu, 1);
  EXPECT_FALSE(t.kernel_cpu_known);
  EXPECT_DOUBLE_EQ(t.cpu_seconds, t.traced_cpu_seconds);
  EXPECT_EQ(t.untraced_cpu_seconds, 0);
}

TEST(ProcessFacts, ReadsUtimePlusStimeOfAFakeProc) {
  char tmpl[] = "/tmp/iotax-proc-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  std::filesystem::create_directories(root + "/77");
  // comm with a space and a parenthesis; utime 150, stime 50 ticks.
  std::ofstream(root + "/77/stat") << "77 (a b) c) S 1 77 77 0 -1 4194304 100 0 7 0 150 50 0 0 20 0 3 0 1000 0 0\n";
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(ReadProcessCpuNs(77, root), 200 * (1'000'000'000ULL / hz));
  EXPECT_FALSE(ReadProcessCpuNs(78, root));
  // Without schedstat files the reader falls back to the ticks.
  ProcessCpuReader reader(root);
  AgentSnapshot snap;
  TargetSnapshot alive, gone;
  alive.pid = 77;
  alive.up = true;
  gone.pid = 78;
  gone.up = false;
  snap.targets = {alive, gone};
  reader.AddTo(snap);
  EXPECT_EQ(snap.targets[0].kernel_cpu_ns, 200 * (1'000'000'000ULL / hz));
  EXPECT_EQ(snap.targets[1].kernel_cpu_ns, 0u);
  // majflt, field 12, read with the CPU; a process that is gone reads nothing.
  EXPECT_EQ(ReadMajorFaults(77, root), 7u);
  EXPECT_EQ(snap.targets[0].major_faults, 7u);
  EXPECT_EQ(snap.targets[1].major_faults, std::nullopt);
  std::filesystem::remove_all(root);
}

TEST(ProcessFacts, SchedstatSumsThreadsAndKeepsThoseThatExited) {
  char tmpl[] = "/tmp/iotax-proc-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  auto thread = [&](int tid, uint64_t ns) {
    std::filesystem::create_directories(root + "/90/task/" + std::to_string(tid));
    std::ofstream(root + "/90/task/" + std::to_string(tid) + "/schedstat") << ns << " 5000 12\n";
  };
  thread(90, 1'000'000);
  thread(91, 2'500'000);
  ProcessCpuReader reader(root);
  EXPECT_EQ(reader.Read(90), 3'500'000u);
  thread(91, 4'000'000);
  EXPECT_EQ(reader.Read(90), 5'000'000u);
  std::filesystem::remove_all(root + "/90/task/91");  // the thread exits
  thread(92, 10);                                      // and another starts
  thread(90, 1'200'000);
  EXPECT_EQ(reader.Read(90), 1'200'000u + 4'000'000u + 10u);
  EXPECT_FALSE(reader.Read(91));  // no such process
  std::filesystem::remove_all(root);
}

TEST(Log2Quantile, InterpolatesInsideTheBucket) {
  Log2Histogram h{};
  EXPECT_FALSE(Log2Quantile(h, 0.99));
  h[10] = 100;  // (512, 1024] ns
  EXPECT_NEAR(*Log2Quantile(h, 0.5), 768e-9, 1e-12);
  EXPECT_NEAR(*Log2Quantile(h, 1.0), 1024e-9, 1e-12);
  h[20] = 1;  // one outlier beyond the 99th percentile
  EXPECT_LE(*Log2Quantile(h, 0.99), 1024e-9);
}

}  // namespace
}  // namespace iotax
