// The log2 bucketing shared with the BPF programs, and summing per-CPU copies.
#include <bit>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "iotax.h"
#include "map_sums.h"

namespace iotax {
namespace {

// Reference: smallest i with v <= 2^i, clamped to the last bucket.
uint32_t ReferenceBucket(uint64_t v) {
  if (v <= 1) return 0;
  const uint32_t i = std::bit_width(v - 1);
  return i < IOTAX_HIST_BUCKETS ? i : IOTAX_HIST_BUCKETS - 1;
}

TEST(Log2Bucket, EachValueLandsInTheLeBucketThatContainsIt) {
  EXPECT_EQ(iotax_log2_bucket(0), 0u);
  EXPECT_EQ(iotax_log2_bucket(1), 0u);
  EXPECT_EQ(iotax_log2_bucket(2), 1u);   // (1, 2]
  EXPECT_EQ(iotax_log2_bucket(3), 2u);   // (2, 4]
  EXPECT_EQ(iotax_log2_bucket(4), 2u);
  EXPECT_EQ(iotax_log2_bucket(5), 3u);
  EXPECT_EQ(iotax_log2_bucket(1024), 10u);
  EXPECT_EQ(iotax_log2_bucket(1025), 11u);
  EXPECT_EQ(iotax_log2_bucket(1ull << 38), 38u);
  EXPECT_EQ(iotax_log2_bucket((1ull << 38) + 1), 39u);
  EXPECT_EQ(iotax_log2_bucket(1ull << 39), 39u);
  EXPECT_EQ(iotax_log2_bucket((1ull << 39) + 1), 39u) << "clamped: the last bucket is +Inf";
  EXPECT_EQ(iotax_log2_bucket(~0ull), 39u);
}

TEST(Log2Bucket, MatchesReferenceAroundEveryPowerOfTwo) {
  for (int p = 0; p < 64; ++p) {
    const uint64_t x = 1ull << p;
    for (uint64_t v : {x - 1, x, x + 1}) {
      EXPECT_EQ(iotax_log2_bucket(v), ReferenceBucket(v)) << v;
      const uint32_t b = iotax_log2_bucket(v);
      if (b > 0 && b < IOTAX_HIST_BUCKETS - 1) {
        EXPECT_LE(v, 1ull << b);
        EXPECT_GT(v, 1ull << (b - 1));
      }
    }
  }
}

TEST(MapSums, TargetStatsAreSummedAcrossCpus) {
  constexpr size_t kCpus = 3;
  auto per_cpu = std::make_unique<iotax_target_stats[]>(kCpus);
  for (size_t c = 0; c < kCpus; ++c) {
    iotax_target_stats& s = per_cpu[c];
    const uint64_t k = c + 1;  // 1, 2, 3 -> sums of 6
    s.user_ns = 10 * k;
    s.syscall_ns = 20 * k;
    s.io_worker_ns = k;
    s.sched_ns = 4 * k;
    s.resumed_extra_ns = 5 * k;
    s.overcount_ns = 6 * k;
    s.offcpu_ns[IOTAX_OFF_IO] = 100 * k;
    s.offcpu_ns[IOTAX_OFF_RUNQ_WAKEUP] = k;
    s.runq_hist[0][3] = k;
    s.runq_hist[1][IOTAX_HIST_BUCKETS - 1] = k;
    s.voluntary_switches = k;
    s.involuntary_switches = 2 * k;
    s.wakeups = 3 * k;
    s.threads_created = k;
    s.threads_exited = k;
    s.children_followed = k;
    s.cls[IOTAX_CLASS_FILE_READ].calls = 5 * k;
    s.cls[IOTAX_CLASS_FILE_READ].blocked_calls = k;
    s.cls[IOTAX_CLASS_FILE_READ].wall_ns = 7 * k;
    s.cls[IOTAX_CLASS_FILE_READ].oncpu_ns = 4 * k;
    s.cls[IOTAX_CLASS_FILE_READ].blocked_oncpu_ns = 2 * k;
    s.cls[IOTAX_CLASS_NET_READ].sleep_path_ns = 11 * k;
    s.cls[IOTAX_CLASS_NET_READ].resume_path_ns = 13 * k;
    s.cls[IOTAX_CLASS_NET_READ].blocked_bytes = 512 * k;
    s.cls[IOTAX_CLASS_NET_READ].nonblocked_bytes = 64 * k;
    s.cls[IOTAX_CLASS_OTHER].wall_hist[0] = k;
    s.syscalls[0] = k;
    s.syscalls[IOTAX_MAX_SYSCALL_NR - 1] = 9 * k;
  }
  const TargetStats t = SumTargetStats(per_cpu.get(), kCpus);
  EXPECT_EQ(t.user_ns, 60u);
  EXPECT_EQ(t.syscall_ns, 120u);
  EXPECT_EQ(t.io_worker_ns, 6u);
  EXPECT_EQ(t.sched_ns, 24u);
  EXPECT_EQ(t.resumed_extra_ns, 30u);
  EXPECT_EQ(t.overcount_ns, 36u);
  EXPECT_EQ(t.offcpu_ns[static_cast<int>(OffCpuReason::kIo)], 600u);
  EXPECT_EQ(t.offcpu_ns[static_cast<int>(OffCpuReason::kRunqueueWakeup)], 6u);
  EXPECT_EQ(t.offcpu_ns[static_cast<int>(OffCpuReason::kSleep)], 0u);
  EXPECT_EQ(t.runq_preempted_hist[3], 6u);
  EXPECT_EQ(t.runq_wakeup_hist[kHistBuckets - 1], 6u);
  EXPECT_EQ(t.runq_wakeup_hist[3], 0u);
  EXPECT_EQ(t.voluntary_switches, 6u);
  EXPECT_EQ(t.involuntary_switches, 12u);
  EXPECT_EQ(t.wakeups, 18u);
  EXPECT_EQ(t.threads_created, 6u);
  EXPECT_EQ(t.threads_exited, 6u);
  EXPECT_EQ(t.children_followed, 6u);
  const ClassStats& fr = t.classes[static_cast<int>(SyscallClass::kFileRead)];
  EXPECT_EQ(fr.calls, 30u);
  EXPECT_EQ(fr.blocked_calls, 6u);
  EXPECT_EQ(fr.wall_ns, 42u);
  EXPECT_EQ(fr.oncpu_ns, 24u);
  EXPECT_EQ(fr.blocked_oncpu_ns, 12u);
  EXPECT_EQ(t.classes[static_cast<int>(SyscallClass::kOther)].wall_hist[0], 6u);
  const ClassStats& nr = t.classes[static_cast<int>(SyscallClass::kNetRead)];
  EXPECT_EQ(nr.calls, 0u);
  EXPECT_EQ(nr.sleep_path_ns, 66u);
  EXPECT_EQ(nr.resume_path_ns, 78u);
  EXPECT_EQ(nr.blocked_bytes, 3072u);
  EXPECT_EQ(nr.nonblocked_bytes, 384u);
  EXPECT_EQ(fr.sleep_path_ns, 0u);
  EXPECT_EQ(fr.blocked_bytes, 0u);
  EXPECT_EQ(t.syscalls[0], 6u);
  EXPECT_EQ(t.syscalls[kMaxSyscallNr - 1], 54u);
}

TEST(MapSums, SelfStatsAreSummedAcrossCpus) {
  std::vector<iotax_self_stats> per_cpu(2);
  per_cpu[0].events[IOTAX_PROBE_SCHED_SWITCH] = 5;
  per_cpu[1].events[IOTAX_PROBE_SCHED_SWITCH] = 7;
  per_cpu[1].events[IOTAX_PROBE_PROCESS_EXIT] = 1;
  per_cpu[0].dropped[IOTAX_DROP_MISSED_WAKEUP] = 2;
  per_cpu[1].dropped[IOTAX_DROP_MISSED_WAKEUP] = 3;
  const SelfCounters c = SumSelfStats(per_cpu.data(), per_cpu.size());
  EXPECT_EQ(c.events[IOTAX_PROBE_SCHED_SWITCH], 12u);
  EXPECT_EQ(c.events[IOTAX_PROBE_PROCESS_EXIT], 1u);
  EXPECT_EQ(c.events[IOTAX_PROBE_SYS_ENTER], 0u);
  EXPECT_EQ(c.dropped[IOTAX_DROP_MISSED_WAKEUP], 5u);
  EXPECT_EQ(c.dropped[IOTAX_DROP_THREAD_STATE], 0u);
}

TEST(MapSums, ZeroCpusGiveZeros) {
  const TargetStats t = SumTargetStats(nullptr, 0);
  EXPECT_EQ(t.user_ns, 0u);
  EXPECT_EQ(t.syscalls[0], 0u);
}

}  // namespace
}  // namespace iotax
