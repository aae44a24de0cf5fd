// Where the async cost comes from: the calibration (interpolated at the
// target's rate of blocked calls) or the target's own non-blocking calls.
#include "async_cost.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "calibration_math.h"
#include "synthetic_workload.h"

namespace iotax {
namespace {

using testing::MakeSnapshots;
using testing::Pointers;
using testing::Workload;

CalibrationPoint Point(double rate, double cost, double se = 0) {
  CalibrationPoint p;
  p.blocked_io_calls_per_second = rate;
  p.async_cost_per_op_seconds = cost;
  p.async_cost_per_op_se_seconds = se;
  return p;
}

BlockingBreakdown Analyze(const Workload& w, int steps = 3) {
  const auto snaps = MakeSnapshots(w, steps);
  return AnalyzeWindow(Combine(WindowsOf(Pointers(snaps), w.pid)), snaps.back().pmu, 1);
}

TEST(InterpolateAsyncCost, LinearInLogRateClampedAtTheEnds) {
  const std::vector<CalibrationPoint> points = {Point(1000, 4e-6, 1e-6), Point(100000, 0.0, 0.0)};
  double se = 0;
  bool extrapolated = false;
  EXPECT_NEAR(InterpolateAsyncCost(points, 10000, &se, &extrapolated), 2e-6, 1e-12);  // halfway in log
  EXPECT_NEAR(se, 0.5e-6, 1e-12);
  EXPECT_FALSE(extrapolated);
  EXPECT_NEAR(InterpolateAsyncCost(points, 600, &se, &extrapolated), 4e-6, 1e-12);
  EXPECT_FALSE(extrapolated);  // within a factor of two of the end
  InterpolateAsyncCost(points, 100, &se, &extrapolated);
  EXPECT_TRUE(extrapolated);
  EXPECT_NEAR(InterpolateAsyncCost(points, 1e6, &se, &extrapolated), 0.0, 1e-12);
  EXPECT_TRUE(extrapolated);
}

TEST(EstimateAsyncCost, CalibrationIsUsedAndNeverNegative) {
  Workload w;  // 19k blocked reads/s
  Calibration cal;
  cal.created_at = "2025-01-01T00:00:00Z";
  cal.points = {Point(5000, -1e-6), Point(60000, -1e-6)};
  const AsyncCost c = EstimateAsyncCost(Analyze(w), &cal);
  EXPECT_EQ(c.source, AsyncCostSource::kCalibration);
  EXPECT_EQ(c.per_op_seconds, 0);
  EXPECT_NEAR(c.raw_per_op_seconds, -1e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "iotax calibrate")) << c.detail;
  EXPECT_EQ(std::string(AsyncCostSourceName(c.source)), "calibration");
}

TEST(EstimateAsyncCost, WithoutCalibrationOneSameKindNonBlockingCallPerReplacedCall) {
  Workload w;
  w.read_nonblocked_cpu = 1.2e-6;
  w.write_cpu = 7e-6;  // writes must not count: they are not what replaces a read
  const BlockingBreakdown b = Analyze(w);
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_EQ(c.source, AsyncCostSource::kTargetNonblockingCalls);
  EXPECT_NEAR(c.call_seconds, 1.2e-6, 1e-10);
  EXPECT_TRUE(c.known);
  EXPECT_EQ(std::string(AsyncCostSourceName(c.source)), "target_nonblocking_calls");
}

TEST(EstimateAsyncCost, AnIdleEventLoopSleepsAsOftenAsTheCpusSitIdle) {
  Workload w;  // 20k req/s on 1 CPU: the CPU is busy ~35% of the time
  w.read_nonblocked_cpu = 1.2e-6;
  w.read_blocked_extra = 4.0e-6;
  const BlockingBreakdown b = Analyze(w);
  const double busy = b.cpu_seconds / b.seconds;
  ASSERT_GT(busy, 0.1);
  ASSERT_LT(busy, 0.9);
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_NEAR(c.idle_share, 1 - busy, 1e-9);
  EXPECT_NEAR(c.wake_seconds, 4.0e-6, 0.05e-6) << "the target's own direct cost per blocked call";
  EXPECT_NEAR(c.per_op_seconds, 1.2e-6 + (1 - busy) * c.wake_seconds, 1e-10);
  EXPECT_TRUE(absl::StrContains(c.detail, "runs out of work")) << c.detail;
}

// model-error §15: after its own sleep an event loop's caches are as cold as
// a blocked thread's, so it pays the indirect part per blocked call on the
// idle share of requests, whether or not its call could be measured.
TEST(EstimateAsyncCost, AnIdleEventLoopPaysTheRefillAfterItsSleepsToo) {
  Workload w;  // 20k req/s on 1 CPU: idle about two thirds of the time
  w.read_nonblocked_cpu = 1.2e-6;
  w.read_blocked_extra = 4.0e-6;
  BlockingBreakdown b = Analyze(w);
  const double idle = EstimateAsyncCost(b, nullptr).idle_share;
  ASSERT_GT(idle, 0.1);
  ASSERT_LT(idle, 0.9);
  b.indirect.available = true;
  b.indirect.cpu_seconds = 3e-6 * static_cast<double>(b.blocked_io_calls);  // 3 µs per blocked call
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_NEAR(c.refill_seconds, 3e-6, 1e-12);
  EXPECT_NEAR(c.per_op_seconds, 1.2e-6 + idle * (c.wake_seconds + 3e-6), 1e-10);
  EXPECT_TRUE(absl::StrContains(c.detail, "refill")) << c.detail;

  // Not available: nothing for it.
  b.indirect.available = false;
  EXPECT_EQ(EstimateAsyncCost(b, nullptr).refill_seconds, 0);

  // The call unknown: only the refill is charged, and the saving is still an upper bound.
  Workload few;
  few.requests_per_second = 100;
  few.blocked_fraction = 0.98;
  BlockingBreakdown u = Analyze(few, 3);
  u.indirect.available = true;
  u.indirect.cpu_seconds = 3e-6 * static_cast<double>(u.blocked_io_calls);
  const AsyncCost cu = EstimateAsyncCost(u, nullptr);
  EXPECT_FALSE(cu.known);
  ASSERT_GT(cu.idle_share, 0.5);
  EXPECT_NEAR(cu.per_op_seconds, cu.idle_share * 3e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(cu.detail, "upper bound")) << cu.detail;
  EXPECT_TRUE(absl::StrContains(cu.detail, "refill")) << cu.detail;
}

// A calibration measured the io_uring server's own refills: nothing is added.
TEST(EstimateAsyncCost, ACalibrationAlreadyHoldsTheLoopsRefill) {
  Workload w;
  BlockingBreakdown b = Analyze(w);
  b.indirect.available = true;
  b.indirect.cpu_seconds = 3e-6 * static_cast<double>(b.blocked_io_calls);
  Calibration cal;
  CalibrationPoint p;
  p.blocked_io_calls_per_second = 1000;
  p.async_cost_per_op_seconds = 2e-6;
  cal.points = {p};
  const AsyncCost c = EstimateAsyncCost(b, &cal);
  EXPECT_EQ(c.source, AsyncCostSource::kCalibration);
  EXPECT_DOUBLE_EQ(c.per_op_seconds, 2e-6);
  EXPECT_EQ(c.refill_seconds, 0);
}

TEST(EstimateAsyncCost, RunQueueWaitsAreNotIdle) {
  // Each request's thread waits 10 us for the CPU (taken by others): 0.2 s
  // of waiting per second at 20k req/s, during which a loop would have work.
  Workload w;
  w.runqueue_wait_ns = 10'000;
  const BlockingBreakdown b = Analyze(w);
  const double busy = b.cpu_seconds / b.seconds;
  const double waiting = b.latency.runqueue_wait_seconds / b.seconds;
  ASSERT_NEAR(waiting, 0.2, 0.01);
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_NEAR(c.idle_share, 1 - busy - waiting, 1e-9);
}

// A breakdown whose only IO class is socket reads with this tier-2 result.
BlockingBreakdown ReadsPricedAs(const Tier2Cost& t) {
  BlockingBreakdown b;
  b.seconds = 1;
  b.cpu_seconds = 1;  // saturated: the call alone
  b.latency.cpus = 1;
  ClassCost& cc = b.classes[static_cast<int>(SyscallClass::kNetRead)];
  cc.tier2 = t;
  cc.calls = t.blocked_calls + t.nonblocked_calls;
  cc.blocked_calls = t.blocked_calls;
  b.blocked_io_calls = t.blocked_calls;
  return b;
}

TEST(EstimateAsyncCost, TheSameKindCallComesOnlyFromASoundBaseline) {
  Tier2Cost t;
  t.status = Tier2Status::kCalibrated;
  t.method = Tier2Method::kSwitchPaths;
  t.blocked_calls = 10'000;
  t.nonblocked_calls = 40;  // under 5% of the blocked ones: the odd ones
  t.mean_nonblocked_oncpu_seconds = 6e-6;
  t.own_work_seconds = 1.5e-6;  // capped at the resume path
  t.own_work_measured = true;
  t.baseline_sound = false;
  AsyncCost c = EstimateAsyncCost(ReadsPricedAs(t), nullptr);
  EXPECT_TRUE(c.known);
  EXPECT_NEAR(c.call_seconds, 1.5e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "own work")) << c.detail;
  // A sound baseline is the target's own same-kind call.
  t.nonblocked_calls = 2'000;
  t.mean_nonblocked_oncpu_seconds = 1.2e-6;
  t.baseline_sound = true;
  c = EstimateAsyncCost(ReadsPricedAs(t), nullptr);
  EXPECT_NEAR(c.call_seconds, 1.2e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "as measured on the target's own calls of the same kind")) << c.detail;
  // Neither: unknown, counted as 0.
  t.baseline_sound = false;
  t.own_work_measured = false;
  c = EstimateAsyncCost(ReadsPricedAs(t), nullptr);
  EXPECT_FALSE(c.known);
  EXPECT_EQ(c.per_op_seconds, 0);
}

TEST(EstimateAsyncCost, ASaturatedProcessPaysOnlyTheCall) {
  Workload w;
  w.read_nonblocked_cpu = 1.2e-6;
  w.requests_per_second = 1.0 / TruthCpuPerRequest(w);  // exactly one CPU's worth of work
  const AsyncCost c = EstimateAsyncCost(Analyze(w), nullptr);
  EXPECT_NEAR(c.idle_share, 0.0, 0.01);
  EXPECT_NEAR(c.per_op_seconds, 1.2e-6, 0.05e-6);
}

TEST(EstimateAsyncCost, UnknownCpusLeaveTheSleepsOutAndSaySo) {
  Workload w;
  w.read_nonblocked_cpu = 1.2e-6;
  const auto snaps = MakeSnapshots(w, 3);
  const AsyncCost c =
      EstimateAsyncCost(AnalyzeWindow(Combine(WindowsOf(Pointers(snaps), w.pid)), snaps.back().pmu, 0), nullptr);
  EXPECT_EQ(c.idle_share, 0);
  EXPECT_NEAR(c.per_op_seconds, 1.2e-6, 1e-10);
  EXPECT_TRUE(absl::StrContains(c.detail, "unknown")) << c.detail;
}

TEST(EstimateAsyncCost, ATargetWithAnEventLoopIsMeasuredOnItsOwnPollCalls) {
  Workload w;
  auto snaps = MakeSnapshots(w, 3);
  // 1000 epoll_wait calls per second that returned at once, 0.7 µs each.
  for (size_t i = 0; i < snaps.size(); ++i) {
    ClassStats& poll = snaps[i].targets[0].stats.classes[static_cast<int>(SyscallClass::kPoll)];
    poll.calls = 1000 * i;
    poll.oncpu_ns = 700'000 * i;
  }
  const BlockingBreakdown b = AnalyzeWindow(Combine(WindowsOf(Pointers(snaps), w.pid)), snaps.back().pmu, 1);
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_NEAR(c.call_seconds, 0.7e-6, 1e-10);
  EXPECT_TRUE(absl::StrContains(c.detail, "poll/epoll/select")) << c.detail;
}

TEST(EstimateAsyncCost, ABlockingDesignsOwnWaitsAreASameKindBaselineHeldToItsSoundness) {
  // PostgreSQL backends at saturation: 139k blocked epoll_waits on one socket
  // each, and 69 that returned at once, 7.9 µs on average: the odd ones.
  Tier2Cost t;
  t.status = Tier2Status::kCalibrated;
  t.method = Tier2Method::kSwitchPaths;
  t.blocked_calls = 139'000;
  t.nonblocked_calls = 69;
  t.mean_nonblocked_oncpu_seconds = 7.9e-6;
  t.baseline_sound = false;
  BlockingBreakdown b;
  b.seconds = 1;
  b.cpu_seconds = 1;
  b.latency.cpus = 1;
  b.waits.blocking_design = true;
  ClassCost& poll = b.classes[static_cast<int>(SyscallClass::kPoll)];
  poll.tier2 = t;
  poll.calls = t.blocked_calls + t.nonblocked_calls;
  poll.blocked_calls = t.blocked_calls;
  b.blocked_io_calls = t.blocked_calls;
  AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_FALSE(c.known) << c.detail;
  EXPECT_EQ(c.call_seconds, 0);
  EXPECT_TRUE(absl::StrContains(c.detail, "upper bound")) << c.detail;
  // Sound, they are the target's own same-kind call.
  poll.tier2.nonblocked_calls = 20'000;
  poll.calls = 159'000;
  poll.tier2.mean_nonblocked_oncpu_seconds = 1.7e-6;
  poll.tier2.baseline_sound = true;
  c = EstimateAsyncCost(b, nullptr);
  EXPECT_TRUE(c.known);
  EXPECT_NEAR(c.call_seconds, 1.7e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "calls of the same kind")) << c.detail;
  // An event loop's waits that returned at once are its readiness call, as before.
  b.waits.blocking_design = false;
  b.blocked_io_calls = 0;
  poll.tier2.baseline_sound = false;
  c = EstimateAsyncCost(b, nullptr);
  EXPECT_NEAR(c.call_seconds, 1.7e-6, 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "poll/epoll/select calls that did not block")) << c.detail;
}

TEST(EstimateAsyncCost, OneClassesBaselineNeverStandsForAnothersBlocks) {
  // Apache prefork: 125,635 blocked polls with neither a sound baseline nor
  // their own work measured, and 761 blocked accepts whose 514 that did not
  // block (5.35 µs each) are a sound baseline. The accepts' figure prices
  // the accepts only; the polls count as 0.
  BlockingBreakdown b;
  b.seconds = 1;
  b.cpu_seconds = 1;
  b.latency.cpus = 1;
  b.waits.blocking_design = true;
  const auto set = [&b](SyscallClass cls, uint64_t blocked, uint64_t nonblocked, double mean, bool sound) {
    ClassCost& cc = b.classes[static_cast<int>(cls)];
    cc.tier2.status = Tier2Status::kCalibrated;
    cc.tier2.method = Tier2Method::kSwitchPaths;
    cc.tier2.blocked_calls = blocked;
    cc.tier2.nonblocked_calls = nonblocked;
    cc.tier2.mean_nonblocked_oncpu_seconds = mean;
    cc.tier2.baseline_sound = sound;
    cc.calls = blocked + nonblocked;
    cc.blocked_calls = blocked;
    b.blocked_io_calls += blocked;
  };
  set(SyscallClass::kPoll, 125'635, 2'509, 1.77e-6, false);
  set(SyscallClass::kAcceptConnect, 761, 514, 5.35e-6, true);
  const AsyncCost c = EstimateAsyncCost(b, nullptr);
  EXPECT_TRUE(c.known);
  EXPECT_NEAR(c.call_seconds, 761 * 5.35e-6 / (125'635 + 761), 1e-12);
  EXPECT_TRUE(absl::StrContains(c.detail, "no class's figure stands for another's")) << c.detail;
}

TEST(EstimateAsyncCost, TooFewNonBlockingCallsIsUnknownAndCountedAsZero) {
  Workload w;
  w.requests_per_second = 100;
  w.blocked_fraction = 0.98;  // 2 non-blocked reads per second
  const AsyncCost c = EstimateAsyncCost(Analyze(w, 3), nullptr);
  EXPECT_FALSE(c.known);
  EXPECT_EQ(c.per_op_seconds, 0);
  EXPECT_TRUE(absl::StrContains(c.detail, "upper bound")) << c.detail;
}

TEST(CalibrationPointMath, AsyncCostIsWhatIoUringPaysBeyondTheBlockingServersWorkOutsideBlocking) {
  Workload blocking;  // 20k req/s: 10.85 µs/req of which 2.85 µs blocking
  Workload uring;
  uring.event_loop = true;
  uring.user_per_request = 0.5e-6;
  uring.event_calls_per_request = 1.0;
  uring.event_call_cpu = 8.0e-6;  // 8.5 µs/req in all
  const auto sb = MakeSnapshots(blocking, 6);
  const auto su = MakeSnapshots(uring, 6);
  ServerRun b{WindowsOf(Pointers(sb), blocking.pid), blocking.requests_per_second};
  ServerRun u{WindowsOf(Pointers(su), uring.pid), uring.requests_per_second};
  const auto p = ComputeCalibrationPoint(b, u, 20000, sb.back().pmu);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_NEAR(p->blocking_cpu_per_request, testing::TruthCpuPerRequest(blocking), 1e-10);
  EXPECT_NEAR(p->uring_cpu_per_request, testing::TruthCpuPerRequest(uring), 1e-10);
  EXPECT_NEAR(p->direct_per_request, 0.95 * 3e-6, 1e-10);
  EXPECT_NEAR(p->blocked_io_calls_per_second, 19000, 1e-6);
  // (8.5 - (10.85 - 2.85)) µs per request, over 0.95 blocked calls per request.
  EXPECT_NEAR(p->async_cost_per_op_seconds, 0.5e-6 / 0.95, 1e-10);
  EXPECT_NEAR(p->async_cost_per_op_se_seconds, 0, 1e-9);  // exact data: no spread
  // The saving this predicts on the blocking server is the measured difference.
  const double predicted = p->direct_per_request - p->async_cost_per_op_seconds * 0.95;
  EXPECT_NEAR(predicted, p->blocking_cpu_per_request - p->uring_cpu_per_request, 1e-10);
}

TEST(CalibrationPointMath, ABlockingServerThatNeverBlockedIsAnError) {
  Workload quiet;
  quiet.blocked_fraction = 0;
  const auto s = MakeSnapshots(quiet, 3);
  ServerRun run{WindowsOf(Pointers(s), quiet.pid), quiet.requests_per_second};
  const auto p = ComputeCalibrationPoint(run, run, 1000, s.back().pmu);
  ASSERT_FALSE(p.ok());
  EXPECT_TRUE(absl::StrContains(p.status().message(), "pick a different rate")) << p.status();
  EXPECT_FALSE(ComputeCalibrationPoint(ServerRun{}, run, 1000, s.back().pmu).ok());
}

}  // namespace
}  // namespace iotax
