// Many threads and full maps: a target that creates and ends thousands of
// threads a second, a target with 10,000 threads, and a target that forks
// more children than the kernel's targets map holds. Every thread and child
// is either counted or counted as lost (and logged); iotaxd's memory and the
// BPF map entries do not grow with the threads ever created.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "harness.h"
#include "require.h"

namespace iotax::hardening {
namespace {

std::unique_ptr<Process> StartTarget(const std::vector<std::string>& args,
                                     std::chrono::milliseconds ready_within = 20s) {
  std::vector<std::string> argv = {kFaultTarget};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = std::make_unique<Process>(argv);
  auto line = p->ReadStdoutLine(ready_within);
  if (!line || !absl::StartsWith(*line, "ready")) return nullptr;
  return p;
}

double Value(const std::string& body, const std::string& series) { return Sample(body, series).value_or(-1); }

// How much iotaxd's RSS may move during the churn: 8 MiB, or 64 MiB in the
// sanitizer build, where freed memory sits in ASan's quarantine.
#if defined(__SANITIZE_ADDRESS__)
constexpr uint64_t kRssSlack = 64 * 1048576;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr uint64_t kRssSlack = 64 * 1048576;
#else
constexpr uint64_t kRssSlack = 8 * 1048576;
#endif
#else
constexpr uint64_t kRssSlack = 8 * 1048576;
#endif

const std::string kStateDrops = "iotax_bpf_dropped_total{reason=\"thread_state_alloc\"}";
const std::string kTargetsFull = "iotax_bpf_dropped_total{reason=\"targets_full\"}";

// Per-thread state that could not be allocated is a loss: if any, the log says so.
void ExpectStateDropsLogged(const std::string& body, Process& daemon) {
  if (Value(body, kStateDrops) > 0) {
    EXPECT_TRUE(daemon.WaitForStderr("could not allocate their per-thread state", 5s)) << daemon.Stderr();
  }
}

TEST(ThreadsAndDrops, ChurnOfTwentyThousandThreadsIsCountedExactlyInBoundedMemory) {
  IOTAX_REQUIRE_BPF();
  constexpr int kThreads = 20000;
  auto target = StartTarget({"churn", "--name=ft_churn", absl::StrCat("--threads=", kThreads), "--rate=10000"});
  ASSERT_TRUE(target);
  const int pid = target->pid();
  Process daemon(DaemonArgs({absl::StrCat("--pid=", pid)}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  const std::string created = Series("iotax_threads_created_total", pid, "ft_churn");
  const std::string exited = Series("iotax_threads_exited_total", pid, "ft_churn");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, created) == 0; }, 10s);
  ASSERT_EQ(Value(body, created), 0) << body.substr(0, 2000);
  // Let the daemon settle (first windows, verdict thread) before the baseline.
  std::this_thread::sleep_for(1s);
  Metrics(port);
  const uint64_t rss_before = RssBytes(daemon.pid());
  const int targets_before = MapEntries(daemon.pid(), "targets");

  target->Kill(SIGUSR1);
  auto done = target->ReadStdoutLine(120s);
  ASSERT_TRUE(done.has_value()) << "the churn did not finish";
  std::printf("fault_target: %s\n", done->c_str());
  ASSERT_TRUE(absl::StartsWith(*done, absl::StrCat("churned ", kThreads, " in ")));
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, exited) >= kThreads; }, 10s);
  // Counted in the kernel at each thread's first wakeup and at its exit: exact.
  EXPECT_EQ(Value(body, created), kThreads);
  EXPECT_EQ(Value(body, exited), kThreads);
  EXPECT_EQ(Value(body, Series("iotax_target_threads", pid, "ft_churn")), 1);
  ExpectStateDropsLogged(body, daemon);

  // Memory does not follow the threads ever created: the targets map holds
  // the process, task storage is freed with each task (the kernel does it;
  // there is no map keyed by thread), and user space keeps nothing per thread.
  const uint64_t rss_after = RssBytes(daemon.pid());
  const int targets_after = MapEntries(daemon.pid(), "targets");
  std::printf("iotaxd RSS %.1f MiB before, %.1f MiB after %d threads; targets map %d -> %d entries\n",
              rss_before / 1048576.0, rss_after / 1048576.0, kThreads, targets_before, targets_after);
  EXPECT_EQ(targets_before, 1);
  EXPECT_EQ(targets_after, 1);
  EXPECT_LT(rss_after, rss_before + kRssSlack) << "iotaxd grew with the threads the target created";
  EXPECT_FALSE(daemon.Wait(0ms).has_value());
}

TEST(ThreadsAndDrops, TenThousandThreadsAttachCountAndEnd) {
  IOTAX_REQUIRE_BPF();
  constexpr int kThreads = 10000;
  auto target = StartTarget({"idle", "--name=ft_10k", absl::StrCat("--threads=", kThreads)}, 120s);
  ASSERT_TRUE(target) << "could not start 10,000 threads";
  const int pid = target->pid();
  const auto attach_start = Clock::now();
  Process daemon(DaemonArgs({absl::StrCat("--pid=", pid)}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  const double attach_s = std::chrono::duration<double>(Clock::now() - attach_start).count();
  const std::string threads = Series("iotax_target_threads", pid, "ft_10k");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, threads) == kThreads + 1; }, 20s);
  EXPECT_EQ(Value(body, Series("iotax_target_up", pid, "ft_10k")), 1);
  EXPECT_EQ(Value(body, threads), kThreads + 1);

  // What one read costs with 10,001 threads (the task iterator walks them all).
  double worst_read = 0, worst_scrape = 0;
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    body = Metrics(port);
    worst_scrape = std::max(worst_scrape, std::chrono::duration<double>(Clock::now() - t0).count());
    worst_read = std::max(worst_read, Value(body, "iotax_snapshot_read_seconds"));
  }
  const uint64_t rss = RssBytes(daemon.pid());
  std::printf(
      "10,001 threads: attach+listen %.2f s, worst snapshot read %.1f ms, worst scrape %.1f ms, iotaxd RSS %.1f MiB\n",
      attach_s, worst_read * 1e3, worst_scrape * 1e3, rss / 1048576.0);
  EXPECT_GT(worst_read, 0);
  EXPECT_LT(worst_scrape, 10.0) << "a scrape must answer within seconds even with 10,000 threads";

  // All of them wake at once (the pipe closes) and exit: every exit counted.
  target->Kill(SIGUSR1);
  auto joined = target->ReadStdoutLine(120s);
  ASSERT_TRUE(joined.has_value());
  EXPECT_EQ(*joined, absl::StrCat("joined ", kThreads));
  const std::string exited = Series("iotax_threads_exited_total", pid, "ft_10k");
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, exited) >= kThreads; }, 20s);
  EXPECT_EQ(Value(body, exited), kThreads);
  EXPECT_EQ(Value(body, threads), 1);
  // Their state was made at attach by the task iterator, so the burst of
  // 10,000 wakeups allocates nothing and loses nothing.
  EXPECT_EQ(Value(body, kStateDrops), 0);
  ExpectStateDropsLogged(body, daemon);
  EXPECT_FALSE(daemon.Wait(0ms).has_value());
}

TEST(ThreadsAndDrops, ChildrenBeyondTheTargetsMapAreCountedAndLogged) {
  IOTAX_REQUIRE_BPF();
  // The kernel's targets map is made to hold 256 processes; fork more than that.
  constexpr int kChildren = 300;
  constexpr int kMapEntries = 256;
  auto target = StartTarget({"fork", "--name=ft_fork", absl::StrCat("--children=", kChildren)});
  ASSERT_TRUE(target);
  const int pid = target->pid();
  Process daemon(DaemonArgs({absl::StrCat("--pid=", pid), "--follow-children",
                             absl::StrCat("--max-processes=", kMapEntries)}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  std::string body = Metrics(port);
  EXPECT_EQ(Value(body, kTargetsFull), 0);

  target->Kill(SIGUSR1);
  auto forked = target->ReadStdoutLine(60s);
  ASSERT_TRUE(forked.has_value());
  EXPECT_EQ(*forked, absl::StrCat("forked ", kChildren));
  const std::string followed = Series("iotax_children_followed_total", pid, "ft_fork");
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, followed) + Value(b, kTargetsFull) >= kChildren; }, 10s);
  // Every child is either followed or counted as not followed: never silent.
  EXPECT_EQ(Value(body, followed), kMapEntries - 1);
  EXPECT_EQ(Value(body, kTargetsFull), kChildren - (kMapEntries - 1));
  EXPECT_EQ(MapEntries(daemon.pid(), "targets"), kMapEntries);
  EXPECT_TRUE(
      daemon.WaitForStderr("child processes of targets were not followed: the kernel's targets map is full", 10s))
      << daemon.Stderr();
  EXPECT_TRUE(absl::StrContains(daemon.Stderr(), "iotax_bpf_dropped_total{reason=\"targets_full\"}"));

  // The children exit: their entries go with them, the map is not left full.
  target->Kill(SIGUSR1);
  auto reaped = target->ReadStdoutLine(60s);
  ASSERT_TRUE(reaped.has_value());
  EXPECT_EQ(*reaped, absl::StrCat("reaped ", kChildren));
  int entries = -1;
  for (auto deadline = Clock::now() + 10s; Clock::now() < deadline; std::this_thread::sleep_for(200ms)) {
    entries = MapEntries(daemon.pid(), "targets");
    if (entries == 1) break;
  }
  EXPECT_EQ(entries, 1) << "followed children that exited must leave the targets map";
  EXPECT_EQ(Value(Metrics(port), Series("iotax_target_up", pid, "ft_fork")), 1);
}

TEST(ThreadsAndDrops, MoreProcessesThanSlotsAreRefusedCountedAndLogged) {
  IOTAX_REQUIRE_BPF();
  // 64 slots; 66 idle processes with the watched name (they wait for a cue).
  constexpr int kSlots = 64;
  constexpr int kProcesses = kSlots + 2;
  const std::string name = absl::StrCat("ft_slots", getpid() % 10000);
  std::vector<std::unique_ptr<Process>> crowd;
  for (int i = 0; i < kProcesses; ++i) {
    crowd.push_back(StartTarget({"exit", "--name=" + name}));
    ASSERT_TRUE(crowd.back()) << "process " << i;
  }
  Process daemon(DaemonArgs({"--comm=" + name}));
  const int port = DaemonPort(daemon);
  ASSERT_GT(port, 0) << daemon.Stderr();
  const std::string watch = absl::StrCat("iotax_comm_watch_targets{comm=\"", name, "\"}");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Value(b, "iotax_target_attach_failures_total") >= kProcesses - kSlots; },
      10s);
  EXPECT_EQ(Value(body, watch), kSlots);
  EXPECT_EQ(Value(body, "iotax_target_attach_failures_total"), kProcesses - kSlots);
  EXPECT_TRUE(daemon.WaitForStderr(absl::StrCat("all ", kSlots, " target slots are in use"), 5s)) << daemon.Stderr();
  EXPECT_TRUE(absl::StrContains(daemon.Stderr(), "(counted in iotax_target_attach_failures_total)"));
  // Refused once, not at every poll.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(Value(Metrics(port), "iotax_target_attach_failures_total"), kProcesses - kSlots);
}

}  // namespace
}  // namespace iotax::hardening
