// The BPF facts behind issue 14's parts 2 and 3, on a workload whose answer
// is known (cpu_workload pathwalk): a reader whose user segment after a
// blocked read walks a working set and after a non-blocked read does not.
//   - user segments are counted on their path (read, then a write to
//     a file), split by whether the read blocked, and the difference of
//     the means is the walk;
//   - every blocked read is counted as resumed at least once (switch-ins);
//   - with bpf_stats on, the sched_switch program's run time is there to
//     price the tracer's own share of a block.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "cpu_workload_client.h"
#include "indirect_time.h"
#include "require.h"
#include "tracer.h"
#include "tracer_cost.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;

constexpr int kRead = static_cast<int>(SyscallClass::kNetRead);
constexpr int kFileWrite = static_cast<int>(SyscallClass::kFileWrite);

struct PathRun {
  double walk_ns = 0;  // the workload's own timing of one warm walk
  AgentSnapshot first, last;
};

absl::StatusOr<PathRun> TracePathWalk(int kib) {
  PathRun run;
  absl::StatusOr<testing::ChildProcess> child = testing::ChildProcess::Start(
      {CPU_WORKLOAD_PATH, "pathwalk", std::to_string(kib)});
  if (!child.ok()) return child.status();
  absl::StatusOr<std::string> out = child->ReadStdoutUntil("ready\n", 20s);
  if (!out.ok()) return out.status();
  for (absl::string_view line : absl::StrSplit(*out, '\n')) {
    if (absl::ConsumePrefix(&line, "walk_ns ")) (void)absl::SimpleAtod(line, &run.walk_ns);
  }
  if (run.walk_ns <= 0) return absl::InternalError("no walk_ns line: " + *out);
  absl::StatusOr<std::unique_ptr<Tracer>> tracer = Tracer::Create({.strict = true, .enable_bpf_stats = true});
  if (!tracer.ok()) return tracer.status();
  if (absl::Status s = (*tracer)->AddTarget(child->pid()); !s.ok()) return s;
  std::this_thread::sleep_for(200ms);
  run.first = (*tracer)->Read();
  std::this_thread::sleep_for(1500ms);
  run.last = (*tracer)->Read();
  return run;
}

TEST(TracerPaths, UserSegmentsAfterBlockedReadsAreLongerByTheWalk) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<PathRun> run = TracePathWalk(256);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->last.targets.size(), 1u);
  ASSERT_EQ(run->first.targets.size(), 1u);
  const TargetStats& a = run->first.targets[0].stats;
  const TargetStats& b = run->last.targets[0].stats;
  const PathSegments& bl1 = b.path_segments[kRead][kFileWrite][1];
  const PathSegments& bl0 = a.path_segments[kRead][kFileWrite][1];
  const PathSegments& nb1 = b.path_segments[kRead][kFileWrite][0];
  const PathSegments& nb0 = a.path_segments[kRead][kFileWrite][0];
  const uint64_t blocked_reads = b.classes[kRead].blocked_calls - a.classes[kRead].blocked_calls;
  const uint64_t reads = b.classes[kRead].calls - a.classes[kRead].calls;
  const uint64_t blocked_segs = bl1.segments - bl0.segments;
  const uint64_t plain_segs = nb1.segments - nb0.segments;
  std::printf("reads %llu (blocked %llu); path segments after blocked %llu, after not blocked %llu; walk %.0f ns\n",
              static_cast<unsigned long long>(reads), static_cast<unsigned long long>(blocked_reads),
              static_cast<unsigned long long>(blocked_segs), static_cast<unsigned long long>(plain_segs), run->walk_ns);
  // 1.5 s at one pair per 300 µs is ~5,000 rounds; a loaded machine runs fewer.
  ASSERT_GE(blocked_reads, 200u);
  // A segment is counted only when nothing cut it: at most one per read, most
  // reads. +1: the first snapshot can fall between a read and the write that
  // closes its segment, so that segment is in the window and its read is not
  // (CI saw 7,312 segments for 7,311 reads).
  EXPECT_LE(blocked_segs + plain_segs, reads + 1);
  EXPECT_GE(blocked_segs, blocked_reads / 2);
  EXPECT_GE(plain_segs, (reads - blocked_reads) / 2);

  // The model's estimate on the window: the walk, and at most a few times it
  // (after a block the set is also colder than in the workload's warm timing).
  TargetStats window;
  window.path_segments[kRead][kFileWrite][1] = {blocked_segs, bl1.ns - bl0.ns, bl1.sq_16ns - bl0.sq_16ns};
  window.path_segments[kRead][kFileWrite][0] = {plain_segs, nb1.ns - nb0.ns, nb1.sq_16ns - nb0.sq_16ns};
  const PathIndirect est = EstimateIndirectFromTime(window.path_segments);
  ASSERT_TRUE(est.available) << est.missing_reason;
  std::printf("after blocked %.0f ns, after not blocked %.0f ns: %.0f ns per block (walk %.0f ns)\n",
              est.figures.mean_after_blocked_seconds * 1e9, est.figures.mean_after_nonblocked_seconds * 1e9,
              est.figures.per_block_seconds * 1e9, run->walk_ns);
  EXPECT_GE(est.figures.per_block_seconds * 1e9, 0.5 * run->walk_ns);
  EXPECT_LE(est.figures.per_block_seconds * 1e9, 4.0 * run->walk_ns + 20'000);
}

// The kernel half: the file write that ends each counted segment is timed
// when it never left the CPU. Those writes are a subset of the window's
// non-blocked file writes, so their count and on-CPU time are bounded by the
// class's own counters (up to an event in flight when the counters are
// read), and most segments' writes are counted.
TEST(TracerPaths, TheCallEndingACountedSegmentIsTimedOnItsPath) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<PathRun> run = TracePathWalk(16);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->last.targets.size(), 1u);
  ASSERT_EQ(run->first.targets.size(), 1u);
  const TargetStats& a = run->first.targets[0].stats;
  const TargetStats& b = run->last.targets[0].stats;
  uint64_t calls = 0, call_ns = 0, segments = 0;
  for (int k = 0; k < 2; ++k) {
    const PathSegments& p1 = b.path_segments[kRead][kFileWrite][k];
    const PathSegments& p0 = a.path_segments[kRead][kFileWrite][k];
    const uint64_t side_calls = p1.calls - p0.calls, side_segments = p1.segments - p0.segments;
    std::printf("%s: %llu segments, %llu writes timed, %.0f ns each\n", k ? "after blocked" : "after not blocked",
                static_cast<unsigned long long>(side_segments), static_cast<unsigned long long>(side_calls),
                side_calls ? static_cast<double>(p1.call_ns - p0.call_ns) / static_cast<double>(side_calls) : 0.0);
    // +1: a segment counted just before the first read can have its write
    // counted just after it (the snapshots are not taken between events).
    EXPECT_LE(side_calls, side_segments + 1);
    EXPECT_GE(side_calls, side_segments / 2) << "most writes run without leaving the CPU";
    calls += side_calls;
    call_ns += p1.call_ns - p0.call_ns;
    segments += side_segments;
  }
  ASSERT_GE(segments, 200u);
  const ClassStats& w1 = b.classes[kFileWrite];
  const ClassStats& w0 = a.classes[kFileWrite];
  const uint64_t plain_writes = (w1.calls - w1.blocked_calls) - (w0.calls - w0.blocked_calls);
  const uint64_t plain_write_ns = (w1.oncpu_ns - w1.blocked_oncpu_ns) - (w0.oncpu_ns - w0.blocked_oncpu_ns);
  // Slack for one event in flight at each read of the per-CPU counters.
  EXPECT_LE(calls, plain_writes + 2);
  EXPECT_LE(call_ns, plain_write_ns + 200'000);
  EXPECT_GT(call_ns, 0u);
}

TEST(TracerPaths, BlockedCallsCountTheirSwitchInsAndBpfStatsPriceThem) {
  IOTAX_REQUIRE_BPF();
  absl::StatusOr<PathRun> run = TracePathWalk(16);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(run->last.targets.size(), 1u);
  const ClassStats& r = run->last.targets[0].stats.classes[kRead];
  ASSERT_GT(r.blocked_calls, 100u);
  // Each blocked read was switched back in at least once; rarely more.
  EXPECT_GE(r.blocked_switch_ins, r.blocked_calls);
  EXPECT_LE(r.blocked_switch_ins, 2 * r.blocked_calls);
  const SwitchRunCost c = SwitchRunCostOf(SubtractRuns(SwitchRunsOf(run->last.probes), SwitchRunsOf(run->first.probes)));
  ASSERT_TRUE(c.known) << c.missing_reason;
  std::printf("sched_switch: %.0f to %.0f ns a run\n", c.lo_seconds * 1e9, c.hi_seconds * 1e9);
  EXPECT_GT(c.lo_seconds, 0);
  EXPECT_LE(c.lo_seconds, c.hi_seconds);
  EXPECT_LT(c.hi_seconds, 100e-6) << "a program run is far below 100 µs";
}

}  // namespace
}  // namespace iotax
