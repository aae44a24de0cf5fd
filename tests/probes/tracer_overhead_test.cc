// The cost of the BPF programs, measured with the kernel's own BPF run-time
// statistics (TracerOptions.enable_bpf_stats) under a syscall-heavy loop.
// Asserts only that the statistics work; prints the figures (see the report
// in the test log, and docs for the numbers measured).
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>

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

  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true, .enable_bpf_stats = true});
  ASSERT_TRUE(tracer.ok()) << tracer.status();
  const double untargeted = TimeGetppid(kCalls);  // programs run, tgid filter says no
  const std::vector<Totals> before = Sample(**tracer);
  ASSERT_TRUE((*tracer)->AddTarget(getpid()).ok());
  const double targeted = TimeGetppid(kCalls);
  const std::vector<Totals> after = Sample(**tracer);

  const std::vector<ProbeStatus> probes = (*tracer)->Probes();
  std::printf("getppid: %.0f ns bare, %.0f ns with iotax attached (not a target), %.0f ns traced\n", bare,
              untargeted, targeted);
  std::printf("%-20s %12s %12s %10s\n", "probe", "runs", "target-runs", "ns/run");
  for (size_t i = 0; i < probes.size(); ++i) {
    ASSERT_TRUE(probes[i].run_stats_valid) << probes[i].name;
    const uint64_t runs = after[i].runs - before[i].runs;
    const uint64_t ns = after[i].ns - before[i].ns;
    std::printf("%-20s %12lu %12lu %10.0f\n", probes[i].name.c_str(), runs, after[i].events - before[i].events,
                runs ? static_cast<double>(ns) / runs : 0.0);
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
