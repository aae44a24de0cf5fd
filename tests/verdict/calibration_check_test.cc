// Whether a stored calibration can be trusted (calibration_check.h), whether
// `iotax calibrate` keeps, runs again or refuses a run (calibration_retry.h),
// and the machine's load (machine_load.h). Pure or on a fake /proc: no root.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>

#include "absl/strings/match.h"
#include "calibration_check.h"
#include "calibration_retry.h"
#include "machine_load.h"

namespace iotax {
namespace {

CalibrationPoint Row(double offered, double blocked, double blocking_us, double uring_us, double direct_us,
                     double async_us, double se_us) {
  CalibrationPoint p;
  p.offered_rate = offered;
  p.requests_per_second = offered;
  p.blocked_io_calls_per_second = blocked;
  p.blocking_cpu_per_request = blocking_us * 1e-6;
  p.uring_cpu_per_request = uring_us * 1e-6;
  p.direct_per_request = direct_us * 1e-6;
  p.async_cost_per_op_seconds = async_us * 1e-6;
  p.async_cost_per_op_se_seconds = se_us * 1e-6;
  p.clean = true;
  return p;
}

// The development VM's calibration (docs/methodology.md): a negative async
// cost at 5k/s and a cost that rises then falls with the rate, both real.
Calibration Good() {
  Calibration c;
  c.machine_key = "6.1.0|test CPU|2 cores";
  c.created_at = "2025-02-03T04:05:06Z";
  c.load = MachineLoad{0.4, 2};
  c.points = {Row(5000, 4900, 20.9, 16.2, 2.4, -2.3, 0.9), Row(20000, 20000, 16.4, 14.6, 3.0, 1.2, 0.2),
              Row(60000, 58000, 11.2, 8.4, 2.9, 0.1, 0.4)};
  return c;
}

TEST(CalibrationCheck, AcceptsACleanCalibrationOfAQuietMachine) {
  EXPECT_TRUE(CheckCalibration(Good()).ok()) << CheckCalibration(Good());
  Calibration at_capacity = Good();
  at_capacity.load = MachineLoad{2.0, 2};  // as much work as CPUs is not yet oversubscribed
  EXPECT_TRUE(CheckCalibration(at_capacity).ok()) << CheckCalibration(at_capacity);
  // A load average still high from work that had ended: nothing else ran.
  Calibration after_a_build = Good();
  after_a_build.load = MachineLoad{28.35, 2, 0.0};
  EXPECT_TRUE(CheckCalibration(after_a_build).ok()) << CheckCalibration(after_a_build);
}

TEST(CalibrationCheck, RejectsEachKindOfProblemWithItsReason) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* name;
    std::function<void(Calibration&)> spoil;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"written before the load was recorded", [](Calibration& c) { c.load.reset(); },
       "older iotax that did not record the machine's load or whether each run was clean"},
      {"machine busier than its CPUs", [](Calibration& c) { c.load = MachineLoad{45.2, 2}; },
       "measured at a load average 45.20 on 2 CPUs (other work wanted more CPUs than there were)"},
      {"machine busier than its CPUs, now too", [](Calibration& c) { c.load = MachineLoad{45.2, 2, 3.0}; },
       "measured at a load average 45.20 on 2 CPUs, 3 other tasks runnable now (other work wanted more CPUs"},
      {"no CPUs", [](Calibration& c) { c.load = MachineLoad{0.1, 0}; }, "impossible machine load"},
      {"load not a number", [nan](Calibration& c) { c.load = MachineLoad{nan, 2}; }, "impossible machine load"},
      {"negative load", [](Calibration& c) { c.load = MachineLoad{-1, 2}; }, "impossible machine load"},
      {"no rows", [](Calibration& c) { c.points.clear(); }, "no rows"},
      {"a row not clean", [](Calibration& c) { c.points[2].clean = false; },
       "the row at 60000 requests/s offered was not clean"},
      {"NaN CPU", [nan](Calibration& c) { c.points[1].uring_cpu_per_request = nan; }, "not a finite number"},
      {"infinite async cost", [inf](Calibration& c) { c.points[0].async_cost_per_op_seconds = inf; },
       "not a finite number"},
      {"no blocked calls", [](Calibration& c) { c.points[0].blocked_io_calls_per_second = 0; },
       "rate of 0 or below"},
      {"no requests", [](Calibration& c) { c.points[1].requests_per_second = -5; }, "rate of 0 or below"},
      {"negative CPU", [](Calibration& c) { c.points[1].blocking_cpu_per_request = -1e-6; },
       "negative CPU time or standard error"},
      {"negative standard error", [](Calibration& c) { c.points[1].async_cost_per_op_se_seconds = -1e-7; },
       "negative CPU time or standard error"},
      {"blocking beyond the whole CPU", [](Calibration& c) { c.points[1].direct_per_request = 17e-6; },
       "blocking cost more than the blocking server's whole CPU"},
      // The loaded machine of issue 13: 26.3 µs per call at 60k/s, where the
      // blocking server's whole CPU per call was 11.6 µs.
      {"async cost beyond the blocking server's CPU", [](Calibration& c) { c.points[2].async_cost_per_op_seconds = 26.3e-6; },
       "says an async design pays 26.30 µs per replaced call, more than the blocking server's whole CPU per call "
       "(11.59 µs)"},
  };
  for (const Case& k : cases) {
    Calibration c = Good();
    k.spoil(c);
    const absl::Status s = CheckCalibration(c);
    EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << k.name;
    EXPECT_TRUE(absl::StrContains(s.message(), k.reason)) << k.name << ": " << s.message();
    EXPECT_FALSE(absl::StrContains(s.message(), "\n")) << k.name;
  }
}

TEST(RunDecision, ACleanRunIsKept) {
  const RunDecision d = DecideAfterAttempt("blocking", 5000, {{true, {}}}, MachineLoad{0.3, 2}, MachineLoad{1.3, 2});
  EXPECT_EQ(d.step, RunStep::kKeep);
  EXPECT_EQ(d.exit_code, 0);
  EXPECT_TRUE(d.line.empty());
}

const RunAttempt kFellBehind{
    false,
    {"the client fell behind its send schedule: p99 send lag 41.000 ms (max 1.000 ms) exceeds --max-schedule-lag=1ms; "
     "the offered load was lower than --rate: lower --rate, add --rings or --cpus"}};
const RunAttempt kOverflow{false,
                           {"the server's accept queue overflowed (TcpExt ListenOverflows +3, ListenDrops +3 during "
                            "the run): raise its backlog / somaxconn"}};

TEST(RunDecision, AnUncleanRunIsRunAgainTwiceAndSaysSo) {
  const MachineLoad before{1.5, 2}, busy{45.2, 2};
  const RunDecision first = DecideAfterAttempt("uring", 60000, {kFellBehind}, before, busy);
  EXPECT_EQ(first.step, RunStep::kRetry);
  EXPECT_EQ(first.exit_code, 0);
  for (const char* part : {"the uring server run at 60000 requests/s was not clean",
                           "the client fell behind its send schedule",
                           "load average 45.20 on 2 CPUs (1.50 before calibrating)",
                           "running it again (retry 1 of 2)"}) {
    EXPECT_TRUE(absl::StrContains(first.line, part)) << part << "\n" << first.line;
  }
  const RunDecision second = DecideAfterAttempt("uring", 60000, {kFellBehind, kFellBehind}, before, busy);
  EXPECT_EQ(second.step, RunStep::kRetry);
  EXPECT_TRUE(absl::StrContains(second.line, "(retry 2 of 2)")) << second.line;
  // A clean retry is kept.
  EXPECT_EQ(DecideAfterAttempt("uring", 60000, {kFellBehind, {true, {}}}, before, busy).step, RunStep::kKeep);
  EXPECT_EQ(DecideAfterAttempt("uring", 60000, {kFellBehind, kFellBehind, {true, {}}}, before, busy).step,
            RunStep::kKeep);
}

TEST(RunDecision, RunsThatStayUncleanAreRefusedOnOneLineAndNothingIsWritten) {
  const RunDecision d =
      DecideAfterAttempt("uring", 60000, {kFellBehind, kOverflow, kFellBehind}, MachineLoad{1.9, 2}, MachineLoad{45.2, 2});
  ASSERT_EQ(d.step, RunStep::kRefuse);
  EXPECT_EQ(d.exit_code, kRefusedExitCode);
  EXPECT_NE(d.exit_code, 0);
  EXPECT_EQ(d.line,
            "refused, nothing written: the uring server run at 60000 requests/s was not clean in 3 attempts (the "
            "client fell behind its send schedule; the server's accept queue overflowed (TcpExt ListenOverflows +3, "
            "ListenDrops +3 during the run)); load average 45.20 on 2 CPUs (1.90 before calibrating): run again on a "
            "quiet machine or lower --rates");
  // The client's advice is about its own flags, not calibrate's.
  EXPECT_FALSE(absl::StrContains(d.line, "--rings"));
}

TEST(RunDecision, TheRetryBoundIsAParameter) {
  const RunDecision d =
      DecideAfterAttempt("blocking", 5000, {{false, {}}}, MachineLoad{3, 4}, MachineLoad{3, 4}, /*max_retries=*/0);
  EXPECT_EQ(d.step, RunStep::kRefuse);
  EXPECT_TRUE(absl::StrContains(d.line, "not clean in 1 attempt (the load client did not say why)")) << d.line;
}

TEST(MachineLoad, ParsesProcLoadavg) {
  EXPECT_EQ(ParseLoadAverage1m("0.52 0.58 0.59 1/467 12345\n"), 0.52);
  EXPECT_EQ(ParseLoadAverage1m("45.20 44.00 40.10 50/900 1"), 45.2);
  EXPECT_FALSE(ParseLoadAverage1m(""));
  EXPECT_FALSE(ParseLoadAverage1m("busy 1 2"));
  EXPECT_FALSE(ParseLoadAverage1m("-1 0 0"));
  EXPECT_FALSE((MachineLoad{2.0, 2}.Oversubscribed()));
  EXPECT_TRUE((MachineLoad{2.01, 2}.Oversubscribed()));
  EXPECT_EQ((MachineLoad{1, 1}.Describe()), "load average 1.00 on 1 CPU");
  // The tasks runnable now: the fourth field's first number.
  EXPECT_EQ(ParseRunnableNow("0.52 0.58 0.59 1/467 12345\n"), 1);
  EXPECT_EQ(ParseRunnableNow("45.20 44.00 40.10 50/900 1"), 50);
  EXPECT_FALSE(ParseRunnableNow("0.52 0.58 0.59"));
  EXPECT_FALSE(ParseRunnableNow("0.52 0.58 0.59 x/467 1"));
  EXPECT_FALSE(ParseRunnableNow("0.52 0.58 0.59 467 1"));
  // The average lags a minute: high while nothing runs now is not busy;
  // busy now while the average is low is not either (a burst).
  EXPECT_FALSE((MachineLoad{28.35, 2, 0.0}.Oversubscribed()));
  EXPECT_FALSE((MachineLoad{1.0, 2, 5.0}.Oversubscribed()));
  EXPECT_TRUE((MachineLoad{28.35, 2, 3.0}.Oversubscribed()));
  EXPECT_FALSE((MachineLoad{28.35, 2, 2.0}.Oversubscribed()));
  EXPECT_EQ((MachineLoad{28.35, 2, 0.0}.Describe()), "load average 28.35 on 2 CPUs, 0 other tasks runnable now");
  EXPECT_EQ((MachineLoad{3, 2, 1.5}.Describe()), "load average 3.00 on 2 CPUs, 1.5 other tasks runnable now");
}

TEST(MachineLoad, ReadsAFakeProc) {
  char tmpl[] = "/tmp/iotax-load-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_FALSE(ReadMachineLoad(dir));  // no loadavg
  std::ofstream(dir + "/loadavg") << "3.25 2.00 1.00 4/300 999\n";
  const std::optional<MachineLoad> m = ReadMachineLoad(dir);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->load_average_1m, 3.25);
  EXPECT_GT(m->online_cpus, 0);
  EXPECT_EQ(m->runnable_now, 3.0) << "4 runnable, the reader one of them";
  EXPECT_FALSE(ReadMachineLoad(dir, 0)->runnable_now) << "not sampled";
  EXPECT_EQ(ReadMachineLoad(dir, 3, 1)->runnable_now, 3.0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace iotax
