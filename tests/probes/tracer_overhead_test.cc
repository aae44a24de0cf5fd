// The cost of the BPF programs, measured with the kernel's own BPF run-time
// statistics (TracerOptions.enable_bpf_stats) under a syscall-heavy loop.
// Asserts only that the statistics work; prints the figures (see the report
// in the test log, and docs for the numbers measured).
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <thread>
#include <vector>

#include "require.h"
#include "tracer.h"

namespace iotax {
namespace {

uint64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + ts.tv_nsec;
}

// ns per getppid() over `n` calls.
double TimeGetppid(int n) {
  const uint64_t t0 = NowNs();
  for (int i = 0; i < n; ++i) syscall(SYS_getppid);
  return static_cast<double>(NowNs() - t0) / n;
}

// Two threads bounce a byte over two pipes: every round trip is two
// blocking reads, two wakeups and at least two context switches.
void PingPong(int round_trips) {
  int ab[2], ba[2];
  ASSERT_EQ(pipe(ab), 0);
  ASSERT_EQ(pipe(ba), 0);
  std::thread echo([&] {
    char c;
    for (int i = 0; i < round_trips; ++i) {
      if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1) break;
    }
  });
  char c = 'p';
  for (int i = 0; i < round_trips; ++i) {
    if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1) break;
  }
  echo.join();
  for (int fd : {ab[0], ab[1], ba[0], ba[1]}) close(fd);
}

struct Totals {
  uint64_t runs = 0, ns = 0, events = 0;
};

std::vector<Totals> Sample(const Tracer& tracer) {
  std::vector<Totals> out;
  for (const ProbeStatus& p : tracer.Probes()) out.push_back({p.run_count, p.run_time_ns, p.events});
  return out;
}

TEST(TracerOverhead, BpfRunTimePerEvent) {
  IOTAX_REQUIRE_BPF();
  constexpr int kCalls = 300000;
  const double bare = TimeGetppid(kCalls);
  {
    // End to end, without the run-time statistics (they add two clock reads per run).
    absl::StatusOr<std::unique_ptr<Tracer>> plain = Tracer::Create({.strict = true});
    ASSERT_TRUE(plain.ok()) << plain.status();
    const double attached = TimeGetppid(kCalls);
    ASSERT_TRUE((*plain)->AddTarget(getpid()).ok());
    const double traced = TimeGetppid(kCalls);
    std::printf("getppid without bpf_stats: %.0f ns bare, %.0f ns with iotax attached (not a target), "
                "%.0f ns traced\n", bare, attached, traced);
  }

  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true, .enable_bpf_stats = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  const std::vector<Totals> start = Sample(**tracer);
  const double untargeted = TimeGetppid(kCalls);  // programs run, tgid filter says no
  const std::vector<Totals> before = Sample(**tracer);
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok());
  const double targeted = TimeGetppid(kCalls);
  const std::vector<Totals> after = Sample(**tracer);

  PingPong(20000);
  const std::vector<Totals> after_switches = Sample(**tracer);

  const std::vector<ProbeStatus> probes = (*tracer)->Probes();
  std::printf("getppid with bpf_stats: %.0f ns with iotax attached (not a target), %.0f ns traced\n",
              untargeted, targeted);
  for (int i = 0; i < 2; ++i) {
    const uint64_t runs = before[i].runs - start[i].runs;
    std::printf("%s, no target: %.0f ns/run over %lu runs\n", probes[i].name.c_str(),
                runs ? static_cast<double>(before[i].ns - start[i].ns) / runs : 0.0, runs);
  }
  std::printf("%-20s %12s %12s %10s\n", "probe (traced)", "runs", "target-runs", "ns/run");
  for (size_t i = 0; i < probes.size(); ++i) {
    ASSERT_TRUE(probes[i].run_stats_valid) << probes[i].name;
    const uint64_t runs = after[i].runs - before[i].runs;
    const uint64_t ns = after[i].ns - before[i].ns;
    std::printf("%-20s %12lu %12lu %10.0f\n", probes[i].name.c_str(), runs, after[i].events - before[i].events,
                runs ? static_cast<double>(ns) / runs : 0.0);
  }
  std::printf("%-20s %12s %12s %10s\n", "probe (ping-pong)", "runs", "target-runs", "ns/run");
  for (size_t i = 2; i < 4; ++i) {
    const uint64_t runs = after_switches[i].runs - after[i].runs;
    std::printf("%-20s %12lu %12lu %10.0f\n", probes[i].name.c_str(), runs,
                after_switches[i].events - after[i].events,
                runs ? static_cast<double>(after_switches[i].ns - after[i].ns) / runs : 0.0);
    EXPECT_GE(after_switches[i].events - after[i].events, 20000u) << probes[i].name;
  }
  // sys_enter and sys_exit ran at least once per traced getppid, and the
  // kernel measured their time.
  for (int i = 0; i < 2; ++i) {
    EXPECT_GE(after[i].events - before[i].events, static_cast<uint64_t>(kCalls)) << probes[i].name;
    EXPECT_GE(after[i].runs - before[i].runs, static_cast<uint64_t>(kCalls)) << probes[i].name;
    EXPECT_GT(after[i].ns - before[i].ns, 0u) << probes[i].name;
  }
}

}  // namespace
}  // namespace iotax
