// Tier 3 end to end in the kernel: the tracer reads two per-CPU counters at
// every boundary of a traced workload. With the software stand-ins
// (cpu-clock, task-clock: nanoseconds) the segment totals must match the
// thread's user CPU time from /proc, the windows its run time from
// schedstat, and the labels a workload with known blocking, non-blocking,
// thread-start and preemption events. With the default hardware events on
// a machine without a PMU: pmu_up 0, the reason, no IPC series.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <fstream>
#include <numeric>
#include <thread>

#include "ipc_analyzer.h"
#include "ipc_metrics.h"
#include "pmu_capability.h"
#include "pmu_child.h"
#include "require.h"
#include "tracer.h"

namespace iotax {
namespace {

using ::testing::HasSubstr;
using testing::PmuWorkload;
using namespace std::chrono_literals;

constexpr char kStandIns[] = "cpu-clock,task-clock";

const TargetSnapshot* Find(const AgentSnapshot& snap, int pid) {
  for (const TargetSnapshot& t : snap.targets) {
    if (t.pid == pid) return &t;
  }
  return nullptr;
}

uint64_t Segments(const PmuTargetStats& pmu, SegmentLabel label) {
  uint64_t n = 0;
  for (const SegmentBucket& b : pmu.segments[static_cast<int>(label)]) n += b.segments;
  return n;
}

// Run time of one thread in ns (user + kernel), from /proc/<pid>/task/<tid>/schedstat.
uint64_t ThreadRunNs(pid_t pid, pid_t tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/schedstat");
  uint64_t ns = 0;
  in >> ns;
  return ns;
}

// SCHED_FIFO for a workload thread whose user time the test compares with
// the tracer's: on a loaded machine (builds, other tests) a normal thread may
// hardly run in the test's window. Real-time throttling (95%) still leaves
// the CPU to others now and then; the spins are at most 1.5 s.
void RunAboveOtherWork(pid_t tid) {
  const sched_param fifo{.sched_priority = 1};
  ASSERT_EQ(sched_setscheduler(tid, SCHED_FIFO, &fifo), 0) << strerror(errno);
}

std::unique_ptr<Tracer> MakeTracer(const std::string& events) {
  TracerOptions options;
  options.strict = true;
  options.pmu_events = events;
  auto tracer = Tracer::Create(options);
  EXPECT_TRUE(tracer.ok()) << tracer.status();
  return tracer.ok() ? std::move(*tracer) : nullptr;
}

TEST(PmuTracer, StandInSegmentsMatchUserCpuTimeFromProc) {
  IOTAX_REQUIRE_BPF();
  auto workload = PmuWorkload::Start({"--spin-ms=1500"});
  ASSERT_TRUE(workload.ok()) << workload.status();
  ASSERT_NO_FATAL_FAILURE(RunAboveOtherWork(workload->main_tid()));
  const int pid = workload->pid();
  std::unique_ptr<Tracer> tracer = MakeTracer(kStandIns);
  ASSERT_NE(tracer, nullptr);
  ASSERT_TRUE(tracer->AddTarget(workload->pid()).ok());
  const AgentSnapshot first = tracer->Read();
  ASSERT_TRUE(first.pmu.up) << first.pmu.reason << ": " << first.pmu.detail;
  EXPECT_TRUE(first.pmu.software_standins);

  auto utime0 = testing::ThreadUserTicks(workload->pid(), workload->main_tid());
  ASSERT_TRUE(utime0.ok()) << utime0.status();
  ASSERT_TRUE(workload->Go().ok());
  ASSERT_TRUE(workload->WaitDone(30s).ok());
  const AgentSnapshot snap = tracer->Read();
  auto utime1 = testing::ThreadUserTicks(workload->pid(), workload->main_tid());
  ASSERT_TRUE(utime1.ok()) << utime1.status();
  ASSERT_TRUE(workload->Finish(10s).ok());

  const TargetSnapshot* t = Find(snap, pid);
  ASSERT_NE(t, nullptr);
  const double proc_user_ns = static_cast<double>(*utime1 - *utime0) * 1e9 / sysconf(_SC_CLK_TCK);
  const double ins = static_cast<double>(t->pmu.user_instructions);
  const double cyc = static_cast<double>(t->pmu.user_cycles);
  std::printf("user time: /proc %.1f ms, segments %.1f ms (cpu-clock) %.1f ms (task-clock), %lu segments\n",
              proc_user_ns / 1e6, ins / 1e6, cyc / 1e6,
              static_cast<unsigned long>(Segments(t->pmu, SegmentLabel::kAfterSyscall)));
  // 1.5 s of wall time; on a loaded machine less CPU, but /proc's 10 ms
  // ticks need a few hundred ms for a 10% comparison.
  ASSERT_GT(proc_user_ns, 3e8) << "the workload hardly ran (machine overloaded?)";
  EXPECT_NEAR(ins / proc_user_ns, 1.0, 0.10);
  EXPECT_NEAR(cyc / proc_user_ns, 1.0, 0.10);
  EXPECT_NEAR(ins / cyc, 1.0, 0.02) << "both stand-ins measure the same time";
  EXPECT_EQ(t->pmu.read_errors, 0u);
  EXPECT_EQ(t->pmu.segments_multiplexed, 0u);
}

TEST(PmuTracer, StandInWindowsMatchThreadRunTime) {
  IOTAX_REQUIRE_BPF();
  // Spins longer than the windows take (up to 30), even when each read is
  // slow (sanitizer builds).
  auto workload = PmuWorkload::Start({"--spin-ms=5000"});
  ASSERT_TRUE(workload.ok()) << workload.status();
  ASSERT_NO_FATAL_FAILURE(RunAboveOtherWork(workload->main_tid()));
  std::unique_ptr<Tracer> tracer = MakeTracer(kStandIns);
  ASSERT_NE(tracer, nullptr);
  ASSERT_TRUE(tracer->AddTarget(workload->pid()).ok());
  ASSERT_TRUE(workload->Go().ok());

  // 100 ms windows, each paired with the thread's run time from schedstat,
  // read just before and just after the tracer. The spinning thread runs
  // on another CPU during the tracer's read, so the run time at the read is
  // known to within half the gap between those two schedstat reads: it is
  // taken at the midpoint, and a window whose edges together are uncertain
  // by more than 3% of its run time (this thread delayed on a loaded
  // machine, or a slow read) is not compared. schedstat of a running
  // thread moves at ticks, so an edge that straddles one is that uncertain:
  // windows are taken until 10 pair, at most 30.
  struct Edge {
    uint64_t mid;
    uint64_t half_width;
    uint64_t read_ns;  // how long the tracer's read took (wall clock)
  };
  ipc::IpcAnalyzer analyzer;
  std::vector<double> ratios;
  const auto run_now = [&] { return ThreadRunNs(workload->pid(), workload->main_tid()); };
  const auto read_edge = [&](AgentSnapshot* snap) {
    const uint64_t before = run_now();
    const auto start = std::chrono::steady_clock::now();
    *snap = tracer->Read();
    const auto read_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start);
    const uint64_t after = run_now();
    return Edge{before + (after - before) / 2, (after - before) / 2, static_cast<uint64_t>(read_ns.count())};
  };
  AgentSnapshot snap;
  Edge edge0 = read_edge(&snap);
  analyzer.Observe(snap);
  int windows = 0;
  for (; windows < 30 && ratios.size() < 10; ++windows) {
    std::this_thread::sleep_for(100ms);
    const Edge edge1 = read_edge(&snap);
    analyzer.Observe(snap);
    const ipc::IpcView view = analyzer.View();
    ASSERT_EQ(view.targets.size(), 1u);
    ASSERT_TRUE(view.targets[0].has_last_window);
    const ipc::IpcWindow& win = view.targets[0].last_window;
    const uint64_t run = edge1.mid - edge0.mid;
    if (run > 20'000'000 && edge0.half_width + edge1.half_width <= run * 3 / 100) {
      ratios.push_back(static_cast<double>(win.instructions) / run);
    }
    // A read stamps the window and reads the open segments at different
    // moments within it (ms apart in sanitizer builds): the slack is both
    // reads' length, plus a millisecond.
    EXPECT_LE(win.instructions, win.end_ns - win.start_ns + edge0.read_ns + edge1.read_ns + 1'000'000)
        << "one thread ran more than the window (reads took " << edge0.read_ns << " and " << edge1.read_ns << " ns)";
    edge0 = edge1;
  }
  ASSERT_TRUE(workload->WaitDone(30s).ok());
  ASSERT_TRUE(workload->Finish(10s).ok());
  ASSERT_GE(ratios.size(), 5u) << "fewer than 5 of " << windows << " windows could be paired (machine overloaded?)";
  std::sort(ratios.begin(), ratios.end());
  const double median = ratios[ratios.size() / 2];
  std::printf("%zu of %d windows: window user ns / schedstat run ns: min %.3f median %.3f max %.3f\n",
              ratios.size(), windows, ratios.front(), median, ratios.back());
  // The thread is in user mode all but ~1 us per 200 us (its getppid()).
  EXPECT_NEAR(median, 1.0, 0.06);
  // A single window can be off by a segment or a throttled stretch on a
  // loaded machine (seen: 1.16 at load 20); the median above is the claim.
  for (double r : ratios) EXPECT_NEAR(r, 1.0, 0.25);
}

TEST(PmuTracer, StandInSegmentsLandInTheirBucketsWithFlatIpc) {
  IOTAX_REQUIRE_BPF();
  // Busy-waits of 1 us, 24 us and 380 us between syscalls. The stand-ins
  // count nanoseconds, and (unlike user-only hardware counters) also the
  // kernel's entry and exit paths around each segment. How long those are
  // depends on the machine (about 0.5 us on some VMs, over 1 us on others,
  // with page-table isolation), so the test measures it from the longest
  // segments, where it moves none out of their log2 bucket.
  constexpr int kPerLength = 300;
  auto workload = PmuWorkload::Start({"--segment-ns=1000,24000,380000", "--segments=" + std::to_string(kPerLength)});
  ASSERT_TRUE(workload.ok()) << workload.status();
  const int pid = workload->pid();
  // 380 us busy-waits must not be cut by a preemption: 0.12 s of spinning in all.
  ASSERT_NO_FATAL_FAILURE(RunAboveOtherWork(workload->main_tid()));
  std::unique_ptr<Tracer> tracer = MakeTracer(kStandIns);
  ASSERT_NE(tracer, nullptr);
  ASSERT_TRUE(tracer->AddTarget(workload->pid()).ok());
  ASSERT_TRUE(workload->Go().ok());
  ASSERT_TRUE(workload->WaitDone(30s).ok());
  const AgentSnapshot snap = tracer->Read();
  ASSERT_TRUE(workload->Finish(10s).ok());
  const TargetSnapshot* t = Find(snap, pid);
  ASSERT_NE(t, nullptr);

  const SegmentHistogram& h = t->pmu.segments[static_cast<int>(SegmentLabel::kAfterSyscall)];
  // Bucket b holds segments in (2^(b-1), 2^b] ns.
  auto bucket_of = [](double ns) { return static_cast<int>(std::ceil(std::log2(ns))); };
  const SegmentBucket& longest = h[bucket_of(380000.0)];
  ASSERT_GT(longest.segments, 0u) << "no 380 us segment in its bucket";
  const double kernel_path =
      std::max(0.0, static_cast<double>(longest.instructions) / longest.segments - 380000.0);
  std::printf("kernel entry and exit around a segment: %.0f ns\n", kernel_path);
  for (double length : {1000.0, 24000.0, 380000.0}) {
    const int first = bucket_of(length);
    const int last = std::min(bucket_of(length + 2 * kernel_path + 200), kSegmentBuckets - 1);
    uint64_t segments = 0, cycles = 0;
    double counted = 0;
    for (int b = first; b <= last; ++b) {
      segments += h[b].segments;
      counted += static_cast<double>(h[b].instructions);
      cycles += h[b].cycles;
    }
    std::printf("%.0f ns: %lu segments in buckets %d-%d, mean %.0f ns\n", length,
                static_cast<unsigned long>(segments), first, last, segments ? counted / segments : 0.0);
    // A tick or a preemption can split or stretch a few of them.
    EXPECT_GE(segments, kPerLength * 9 / 10) << length << " ns";
    EXPECT_LE(segments, kPerLength + 20) << length << " ns";
    ASSERT_GT(segments, 0u);
    // A segment split by a preemption may stay in the bucket, shorter.
    const double mean = counted / segments;
    EXPECT_GE(mean, length * 0.97) << length << " ns";
    EXPECT_LE(mean, length * 1.05 + 2 * kernel_path + 200) << length << " ns";
    // Both stand-ins count the same nanoseconds, up to what the second
    // counter read at each boundary adds (20-60 ns here) and a rare segment
    // cut by a tick (a few hundred ns on the 380 us ones): over all of a
    // length's buckets, the two agree per segment.
    const double apart_ns = std::abs(counted - static_cast<double>(cycles)) / segments;
    std::printf("%.0f ns: the stand-ins %.0f ns apart per segment\n", length, apart_ns);
    EXPECT_LT(apart_ns, 300.0 + 0.005 * length) << length << " ns";
  }
  // One bucket alone is biased where a bucket edge cuts a length's spread:
  // the bucket is chosen by the instructions stand-in, so the lower bucket
  // keeps the segments whose instruction count read low (seen: IPC 0.948, or
  // 100 ns apart, in bucket 11 with 1 us + 1.1 us of kernel path, right at
  // the 2048 ns edge), so a bucket is held to IPC 1 within 5% and 300 ns.
  const ipc::RecoveryCurve curve = ipc::ReconstructCurve(h);
  for (const ipc::BucketPoint& p : curve.buckets)
    EXPECT_LT(std::abs(p.mean_instructions - p.mean_cycles), 300.0 + 0.05 * p.mean_cycles) << "bucket " << p.bucket;
  ASSERT_TRUE(curve.steady_ok) << curve.note;
  EXPECT_NEAR(curve.steady_ipc, 1.0, 0.05);
  EXPECT_LT(std::abs(curve.cycles_lost_per_return), 500.0);
}

TEST(PmuTracer, LabelsOfAKnownWorkload) {
  IOTAX_REQUIRE_BPF();
  constexpr int kBlocking = 40;
  constexpr int kNonBlocking = 500;
  constexpr int kThreads = 5;
  auto workload = PmuWorkload::Start({"--blocking=" + std::to_string(kBlocking),
                                      "--nonblocking=" + std::to_string(kNonBlocking),
                                      "--threads=" + std::to_string(kThreads), "--preempt-ms=300", "--cpu=0"});
  ASSERT_TRUE(workload.ok()) << workload.status();
  const int pid = workload->pid();
  std::unique_ptr<Tracer> tracer = MakeTracer(kStandIns);
  ASSERT_NE(tracer, nullptr);
  ASSERT_TRUE(tracer->AddTarget(workload->pid()).ok());
  ASSERT_TRUE(workload->Go().ok());
  ASSERT_TRUE(workload->ServeBlockingReads(kBlocking, 1ms).ok());
  ASSERT_TRUE(workload->WaitDone(30s).ok());
  const AgentSnapshot snap = tracer->Read();
  ASSERT_TRUE(workload->Finish(10s).ok());
  const TargetSnapshot* t = Find(snap, pid);
  ASSERT_NE(t, nullptr);

  uint64_t calls = 0, blocked = 0;
  for (const ClassStats& c : t->stats.classes) {
    calls += c.calls;
    blocked += c.blocked_calls;
  }
  const uint64_t after_blocked = Segments(t->pmu, SegmentLabel::kAfterBlockedSyscall);
  const uint64_t after_syscall = Segments(t->pmu, SegmentLabel::kAfterSyscall);
  const uint64_t after_preemption = Segments(t->pmu, SegmentLabel::kAfterPreemption);
  const uint64_t thread_start = Segments(t->pmu, SegmentLabel::kThreadStart);
  const uint64_t other = Segments(t->pmu, SegmentLabel::kAfterOtherSwitch);
  std::printf("segments: blocked_syscall %lu, syscall %lu, preemption %lu, thread_start %lu, other %lu; "
              "calls %lu (blocked %lu), involuntary switches %lu, lost %lu\n",
              (unsigned long)after_blocked, (unsigned long)after_syscall, (unsigned long)after_preemption,
              (unsigned long)thread_start, (unsigned long)other, (unsigned long)calls, (unsigned long)blocked,
              (unsigned long)t->stats.involuntary_switches, (unsigned long)t->pmu.segments_lost);

  // Every read the test held back blocked; each call that blocked starts one
  // after-blocked segment (pthread_join may add a futex wait or two).
  EXPECT_GE(after_blocked, static_cast<uint64_t>(kBlocking));
  EXPECT_LE(after_blocked, static_cast<uint64_t>(kBlocking + 2 * kThreads + 4));
  EXPECT_EQ(after_blocked, blocked) << "tier 1 and tier 3 disagree on which calls blocked";
  // The getppid() calls and the ack writes did not block.
  EXPECT_GE(after_syscall, static_cast<uint64_t>(kNonBlocking + kBlocking));
  EXPECT_LE(after_syscall, calls - blocked);
  // Five short threads and the two spinners each start once.
  EXPECT_EQ(thread_start, static_cast<uint64_t>(kThreads + 2));
  // Two spinners on one CPU preempt each other; each preemption is followed
  // by exactly one segment labelled so (at the switch-in, or at the end of
  // the call it interrupted) unless the call then blocked.
  EXPECT_GE(t->stats.involuntary_switches, 10u);
  EXPECT_LE(after_preemption, t->stats.involuntary_switches);
  const uint64_t invol = t->stats.involuntary_switches;
  EXPECT_GE(after_preemption + std::max<uint64_t>(5, invol / 20), invol);
  // The "go" read began before the tracer saw the thread: label unknown.
  EXPECT_GE(other, 1u);
  EXPECT_EQ(t->pmu.read_errors, 0u);
}

TEST(PmuTracer, NoHardwarePmuMeansPmuDownWithReasonAndNoIpcSeries) {
  IOTAX_REQUIRE_BPF();
  const pmu::PmuCapability cap = pmu::ProbeCapability();
  auto workload = PmuWorkload::Start({"--nonblocking=200"});
  ASSERT_TRUE(workload.ok()) << workload.status();
  const int pid = workload->pid();
  TracerOptions options;  // default events: instructions,cycles
  options.strict = true;
  auto tracer = Tracer::Create(options);
  ASSERT_TRUE(tracer.ok()) << "a missing PMU must not stop the tracer: " << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(workload->pid()).ok());
  ASSERT_TRUE(workload->Go().ok());
  ASSERT_TRUE(workload->WaitDone(30s).ok());
  const AgentSnapshot snap = (*tracer)->Read();
  ASSERT_TRUE(workload->Finish(10s).ok());
  EXPECT_EQ(snap.pmu.instructions_event, "instructions");
  EXPECT_EQ(snap.pmu.cycles_event, "cycles");
  const pmu::KernelCounterAnswer kernel = pmu::AskKernelForCounters();
  if (kernel.Counts()) {
    EXPECT_TRUE(snap.pmu.up) << snap.pmu.detail;
    return;  // a machine with a PMU: nothing more to check here
  }
  ASSERT_TRUE(kernel.Absent()) << "root, so the kernel answers: " << kernel.Describe();
  EXPECT_FALSE(snap.pmu.up);
  EXPECT_EQ(snap.pmu.reason, cap.reason);
  EXPECT_THAT(snap.pmu.detail, HasSubstr("no hardware PMU here"));
  EXPECT_THAT(snap.pmu.detail, HasSubstr("--pmu-events=cpu-clock,task-clock"));
  // Everything else keeps working.
  const TargetSnapshot* t = Find(snap, pid);
  ASSERT_NE(t, nullptr);
  EXPECT_GE(t->stats.syscalls[SYS_getppid], 200u);
  EXPECT_EQ(t->pmu.user_instructions, 0u);
  EXPECT_EQ(t->pmu.read_errors, 0u) << "no counter reads may run without a PMU";

  ipc::IpcAnalyzer analyzer;
  analyzer.Observe(snap);
  const auto families = ipc::BuildIpcMetricFamilies(analyzer.View());
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "iotax_pmu_up");
  EXPECT_EQ(families[0].metric[0].gauge.value, 0.0);
  EXPECT_EQ(families[1].name, "iotax_pmu_info");
  bool reason_found = false;
  for (const auto& l : families[1].metric[0].label) reason_found |= l.name == "reason" && l.value == cap.reason;
  EXPECT_TRUE(reason_found);
}

TEST(PmuTracer, UnknownEventNameFailsWithTheLibpfmReason) {
  IOTAX_REQUIRE_BPF();
  TracerOptions options;
  options.pmu_events = "instructions,iotax_no_such_cycles";
  auto tracer = Tracer::Create(options);
  ASSERT_FALSE(tracer.ok());
  EXPECT_EQ(tracer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(tracer.status().message()), HasSubstr("'iotax_no_such_cycles'"));
  EXPECT_THAT(std::string(tracer.status().message()), HasSubstr("showevtinfo"));
}

TEST(PmuTracer, EmptyEventListTurnsTierThreeOff) {
  IOTAX_REQUIRE_BPF();
  std::unique_ptr<Tracer> tracer = MakeTracer("");
  ASSERT_NE(tracer, nullptr);
  const AgentSnapshot snap = tracer->Read();
  EXPECT_FALSE(snap.pmu.up);
  EXPECT_EQ(snap.pmu.reason, "disabled");
}

}  // namespace
}  // namespace iotax
