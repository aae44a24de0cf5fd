// The tracer's CPU figures against the kernel's own per-thread run time
// (se.sum_exec_runtime, /proc/PID/task/TID/schedstat), over windows between
// two reads, for workloads that stress each way they can part:
//   - a thread that never leaves the CPU or enters the kernel (its current
//     stretch must be in every read: the task iterator);
//   - a ping-pong with sleeps, so threads are woken on an idle CPU (the
//     scheduler charges the woken thread from its wakeup, before the
//     sched_switch tracepoint; that time must land in the blocked calls);
//   - a reader blocking on a socket, woken from the other CPU;
//   - a process with 1,000 threads (what one read costs).
// Every read is also checked to never report less than the one before.
#include <sys/utsname.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cpu_workload_client.h"
#include "require.h"
#include "tracer.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

// The kernel's run time of all threads of `pid` now, in ns.
uint64_t KernelRunNs(int pid) { return testing::ReadKernelThreadSums(pid).run_ns; }

uint64_t Traced(const TargetStats& s) { return s.user_ns + s.syscall_ns + s.io_worker_ns + s.sched_ns; }

struct Reading {
  TargetStats stats;
  uint64_t kernel_ns = 0;
};

struct Window {
  uint64_t at_attach_traced_ns = 0;  // a read right after attach (cumulative since attach)
  uint64_t at_attach_kernel_ns = 0;  // schedstat from just before attach to that read
  TargetStats start, end;
  uint64_t kernel_ns = 0;  // schedstat delta
  uint64_t traced_ns = 0;  // tracer delta
  int non_monotonic = 0;   // reads that reported less than the one before, any mode
  uint64_t d(uint64_t TargetStats::*field) const { return end.*field - start.*field; }
};

// Attaches to `pid`, lets it settle, then reads every 20 ms for `length`,
// returning the window between the first and the last read.
absl::StatusOr<Window> MeasureWindow(int pid, std::chrono::milliseconds length) {
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
  if (!tracer.ok()) return tracer.status();
  auto read = [&]() {
    Reading r;
    const AgentSnapshot snap = (*tracer)->Read();
    r.kernel_ns = KernelRunNs(pid);
    if (!snap.targets.empty()) r.stats = snap.targets[0].stats;
    return r;
  };
  Window w;
  const uint64_t kernel_at_attach = KernelRunNs(pid);
  if (absl::Status s = (*tracer)->AddTarget(pid); !s.ok()) return s;
  const Reading at_attach = read();
  w.at_attach_traced_ns = Traced(at_attach.stats);
  w.at_attach_kernel_ns = at_attach.kernel_ns - kernel_at_attach;
  std::this_thread::sleep_for(300ms);
  const Reading first = read();
  Reading last = first;
  const auto deadline = std::chrono::steady_clock::now() + length;
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    const Reading r = read();
    for (uint64_t TargetStats::*f :
         {&TargetStats::user_ns, &TargetStats::syscall_ns, &TargetStats::io_worker_ns, &TargetStats::sched_ns}) {
      if (r.stats.*f < last.stats.*f) ++w.non_monotonic;
    }
    last = r;
  }
  w.start = first.stats;
  w.end = last.stats;
  w.kernel_ns = last.kernel_ns - first.kernel_ns;
  w.traced_ns = Traced(last.stats) - Traced(first.stats);
  return w;
}

void Print(const char* name, const Window& w) {
  const double k = static_cast<double>(w.kernel_ns);
  std::printf("%s: kernel %.1f ms, traced %.1f ms (%+.2f%%): user %.1f syscall %.1f io_worker %.1f sched %.1f; "
              "resumed-call extra %.1f ms, overcount %.1f ms\n",
              name, k / 1e6, w.traced_ns / 1e6, k > 0 ? 100.0 * (w.traced_ns - k) / k : 0.0,
              w.d(&TargetStats::user_ns) / 1e6, w.d(&TargetStats::syscall_ns) / 1e6,
              w.d(&TargetStats::io_worker_ns) / 1e6, w.d(&TargetStats::sched_ns) / 1e6,
              w.d(&TargetStats::resumed_extra_ns) / 1e6, w.d(&TargetStats::overcount_ns) / 1e6);
}

// The kernel's tick, from its own config (CONFIG_HZ in /boot/config-RELEASE
// or /proc/config.gz); 10 ms (HZ=100, the slowest common tick) when neither
// says, so the bound errs wide rather than encoding one kernel.
double KernelTickNs() {
  utsname u{};
  uname(&u);
  for (const std::string& cmd : {absl::StrCat("cat /boot/config-", u.release, " 2>/dev/null"),
                                  std::string("zcat /proc/config.gz 2>/dev/null")}) {
    FILE* p = popen(cmd.c_str(), "r");
    if (p == nullptr) continue;
    char line[256];
    int hz = 0;
    while (fgets(line, sizeof(line), p) != nullptr) {
      if (std::sscanf(line, "CONFIG_HZ=%d", &hz) == 1) break;
    }
    pclose(p);
    if (hz > 0) return 1e9 / hz;
  }
  return 10e6;
}

// schedstat of a running thread moves only at ticks and switches: up to a
// tick stale at either end of a window.
const double kTickNs = KernelTickNs();

// Traced CPU within 3% of the kernel's, plus one tick.
void ExpectAgreement(const Window& w) {
  const double k = static_cast<double>(w.kernel_ns), t = static_cast<double>(w.traced_ns);
  EXPECT_NEAR(t, k, 0.03 * k + kTickNs) << "traced " << t << " ns vs kernel " << k << " ns";
  EXPECT_EQ(w.non_monotonic, 0) << "a read reported less CPU than the one before";
}

TEST(TracerCpuAgreement, SpinnerThatNeverLeavesTheCpu) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<ChildProcess> child = testing::StartCpuWorkload({"spin"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<Window> w = MeasureWindow(child->pid(), 2s);
  ASSERT_TRUE(w.ok()) << w.status();
  Print("spin", *w);
  std::printf("spin: a read right after attach: traced %.2f ms, kernel since attach %.2f ms\n",
              w->at_attach_traced_ns / 1e6, w->at_attach_kernel_ns / 1e6);
  ASSERT_GT(w->kernel_ns, 100'000'000u) << "the spinner hardly ran (machine overloaded?)";
  ExpectAgreement(*w);
  // Running when tracing began: what it ran before attach is not counted
  // (on a CPU of its own, its time slice began when it started).
  EXPECT_LE(static_cast<double>(w->at_attach_traced_ns), w->at_attach_kernel_ns + kTickNs)
      << "a read right after attach counted time from before attach";
  // It never makes a syscall: all of it is user time.
  EXPECT_NEAR(static_cast<double>(w->d(&TargetStats::user_ns)), static_cast<double>(w->kernel_ns),
              0.03 * w->kernel_ns + kTickNs);
}

TEST(TracerCpuAgreement, PingPongWithIdleWakeupsPutsTheWakeupPathInBlockedCalls) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<ChildProcess> child = testing::StartCpuWorkload({"pingpong", "200"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<Window> w = MeasureWindow(child->pid(), 2s);
  ASSERT_TRUE(w.ok()) << w.status();
  Print("pingpong", *w);
  ExpectAgreement(*w);

  // Everything the kernel charged that is not user time, non-blocked calls
  // or scheduler time around preemptions must be in the blocked calls.
  uint64_t blocked_calls = 0, blocked_oncpu = 0, nonblocked_oncpu = 0;
  for (int c = 0; c < kNumClasses; ++c) {
    const ClassStats& e = w->end.classes[c];
    const ClassStats& s = w->start.classes[c];
    blocked_calls += e.blocked_calls - s.blocked_calls;
    blocked_oncpu += e.blocked_oncpu_ns - s.blocked_oncpu_ns;
    nonblocked_oncpu += (e.oncpu_ns - e.blocked_oncpu_ns) - (s.oncpu_ns - s.blocked_oncpu_ns);
  }
  ASSERT_GT(blocked_calls, 1000u) << "the ping-pong hardly ran (machine overloaded?)";
  const double kernel_rest = static_cast<double>(w->kernel_ns) - w->d(&TargetStats::user_ns) -
                             w->d(&TargetStats::sched_ns) - static_cast<double>(nonblocked_oncpu);
  const double mean_blocked = static_cast<double>(blocked_oncpu) / blocked_calls;
  const double floor = 0.95 * kernel_rest / blocked_calls;
  std::printf("pingpong: %lu blocked calls, mean on-CPU %.2f us (floor from schedstat %.2f us), "
              "of which scheduler-charged %.2f us\n",
              static_cast<unsigned long>(blocked_calls), mean_blocked / 1e3, floor / 1e3,
              w->d(&TargetStats::resumed_extra_ns) / 1e3 / blocked_calls);
  EXPECT_GE(mean_blocked, floor);
  EXPECT_GT(w->d(&TargetStats::resumed_extra_ns), 0u) << "no wakeup path was charged to a resumed call";
}

TEST(TracerCpuAgreement, ReaderBlockedOnASocket) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<ChildProcess> child = testing::StartCpuWorkload({"blockread", "100"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<Window> w = MeasureWindow(child->pid(), 2s);
  ASSERT_TRUE(w.ok()) << w.status();
  Print("blockread", *w);
  const ClassStats& e = w->end.classes[static_cast<int>(SyscallClass::kNetRead)];
  const ClassStats& s = w->start.classes[static_cast<int>(SyscallClass::kNetRead)];
  ASSERT_GT(e.blocked_calls - s.blocked_calls, 1000u) << "the reader hardly ran (machine overloaded?)";
  ExpectAgreement(*w);
}

TEST(TracerCpuAgreement, ReadCostWithAThousandThreads) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<ChildProcess> child = testing::StartCpuWorkload({"threads", "1000"});
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  ASSERT_TRUE((*tracer)->AddTarget(child->pid()).ok());
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const AgentSnapshot snap = (*tracer)->Read();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_EQ(snap.targets.size(), 1u);
    EXPECT_EQ(snap.targets[0].threads_alive, 1001);
    std::this_thread::sleep_for(10ms);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("Read() with 1,001 threads: median %.2f ms, max %.2f ms\n", ms[ms.size() / 2], ms.back());
  // Generous for a loaded 2-vCPU VM; a read walks the target's threads once.
  EXPECT_LT(ms[ms.size() / 2], 20.0);
}

}  // namespace
}  // namespace iotax
