// The session with a fake runner (no servers): an interrupted run keeps its
// finished runs; resuming runs only the rest, at the rates derived from the
// stored saturations; a changed config is refused; the report files appear.
#include "bench_session.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "fake_runs.h"
#include "results_store.h"

namespace iotax::bench {
namespace {

using testing::MakeEstimate;
using testing::MakeRun;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/iotax-bench-session-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::system(absl::StrCat("rm -rf '", path_, "'").c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

constexpr char kConfig[] =
    "servers = blocking, uring\nconns = 10\nloads = closed, 0.5\nplacements = separate\nproof_load = 0.5\n"
    "repeats = 2\n";

// A fake server: blocking saturates at 20k req/s, uring at 50k; CPU per
// request 20 and 12 µs; open loop carries the offered rate.
struct FakeRunner {
  std::vector<std::string> keys;
  std::vector<double> rates;
  std::atomic<bool>* stop = nullptr;
  size_t stop_after = 0;

  RunRecord operator()(const RunSlot& slot, double rate) {
    keys.push_back(slot.Key());
    rates.push_back(rate);
    if (stop && keys.size() == stop_after) stop->store(true);
    const bool blocking = slot.point.server == "blocking";
    const double tput = rate > 0 ? rate : (blocking ? 20000 : 50000);
    RunRecord r = MakeRun(slot.point, slot.repeat, tput, blocking ? 20 : 12);
    r.offered_rate = rate;
    if (slot.point.agent) r.agent = MakeEstimate(tput, blocking ? 20 : 12, 2, 15, 1, blocking ? 6 : 0, 0, 2);
    return r;
  }
};

SessionOptions Options(const std::string& dir, FakeRunner* runner) {
  auto c = ParseBenchConfig(kConfig, "t.conf");
  EXPECT_TRUE(c.ok()) << c.status();
  SessionOptions o;
  o.config = *c;
  o.out_dir = dir;
  o.machine = {{"online_cpus", 2}, {"kernel", "test"}};
  o.command = "iotax-bench --config t.conf";
  o.progress_out = std::tmpfile();
  o.run = [runner](const RunSlot& s, double rate) { return (*runner)(s, rate); };
  return o;
}

TEST(BenchSession, InterruptedRunKeepsFinishedRunsAndResumeRunsOnlyTheRest) {
  TempDir dir;
  const size_t total = ExpandMatrix(*ParseBenchConfig(kConfig, "t")).size();
  ASSERT_EQ(total, 4u + 4u + 4u + 8u);

  std::atomic<bool> stop{false};
  FakeRunner first;
  first.stop = &stop;
  first.stop_after = 5;  // "SIGINT" during the fifth run
  SessionOptions o1 = Options(dir.path(), &first);
  o1.stop = &stop;
  auto r1 = RunSession(o1);
  ASSERT_TRUE(r1.ok()) << r1.status();
  EXPECT_TRUE(r1->interrupted);
  EXPECT_EQ(r1->runs_executed, 5);
  EXPECT_EQ(first.keys.size(), 5u);

  FakeRunner second;
  SessionOptions o2 = Options(dir.path(), &second);
  o2.resume = true;
  auto r2 = RunSession(o2);
  ASSERT_TRUE(r2.ok()) << r2.status();
  EXPECT_FALSE(r2->interrupted);
  EXPECT_EQ(r2->runs_already_done, 5);
  EXPECT_EQ(r2->runs_executed, static_cast<int>(total) - 5);
  // Together they ran every slot exactly once.
  std::set<std::string> all(first.keys.begin(), first.keys.end());
  for (const std::string& k : second.keys) EXPECT_TRUE(all.insert(k).second) << "ran twice: " << k;
  EXPECT_EQ(all.size(), total);

  // Rates: open loop at half of each model's saturation, the proof at half
  // of the blocking server's for both.
  for (size_t i = 0; i < second.keys.size(); ++i) {
    const std::string& k = second.keys[i];
    if (k.find(".open0.5") != std::string::npos) {
      EXPECT_DOUBLE_EQ(second.rates[i], k.rfind("blocking", 0) == 0 ? 10000 : 25000) << k;
    } else if (k.find(".proof0.5") != std::string::npos) {
      EXPECT_DOUBLE_EQ(second.rates[i], 10000) << k;
    } else {
      EXPECT_DOUBLE_EQ(second.rates[i], 0) << k;
    }
  }

  // A third invocation has nothing left to do.
  FakeRunner third;
  SessionOptions o3 = Options(dir.path(), &third);
  o3.resume = true;
  auto r3 = RunSession(o3);
  ASSERT_TRUE(r3.ok());
  EXPECT_EQ(r3->runs_executed, 0);
  EXPECT_TRUE(third.keys.empty());

  // The outputs exist and hold every point.
  const std::string json = ReadFile(dir.path() + "/results.json");
  EXPECT_NE(json.find("\"complete\": true"), std::string::npos);
  const std::string csv = ReadFile(dir.path() + "/results.csv");
  for (const RunSlot& s : ExpandMatrix(*ParseBenchConfig(kConfig, "t"))) {
    EXPECT_NE(csv.find(s.point.Id() + ","), std::string::npos) << s.point.Id();
  }
  const std::string md = ReadFile(dir.path() + "/report.md");
  EXPECT_NE(md.find("## Prediction vs actual"), std::string::npos);
  // Actual 20 − 12 = 8 µs; predicted share 6/20 x 20 = 6 µs; error −2.
  EXPECT_NE(md.find("| 10 conns, 512 B, separate | 10.0k | 8.00 | 30.0% | 6.00 | -2.00 | -25% |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("Median |error|: 2.00 µs per request"), std::string::npos);
}

TEST(BenchSession, AChangedConfigIsRefusedOnResume) {
  TempDir dir;
  FakeRunner first;
  SessionOptions o1 = Options(dir.path(), &first);
  o1.write_report = false;
  ASSERT_TRUE(RunSession(o1).ok());
  FakeRunner second;
  SessionOptions o2 = Options(dir.path(), &second);
  o2.resume = true;
  o2.config.repeats = 3;
  auto r = RunSession(o2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("the config changed"), std::string::npos);
  EXPECT_TRUE(second.keys.empty());
  // --force starts over and runs everything.
  o2.force = true;
  auto forced = RunSession(o2);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(forced->runs_already_done, 0);
  EXPECT_EQ(static_cast<size_t>(forced->runs_executed), second.keys.size());
}

TEST(BenchSession, AFailedRunIsRetriedOnceAndThenRecordedAsFailed) {
  TempDir dir;
  FakeRunner runner;
  int calls = 0;
  SessionOptions o = Options(dir.path(), &runner);
  o.write_report = false;
  o.run = [&](const RunSlot& s, double rate) {
    ++calls;
    RunRecord r = runner(s, rate);
    if (s.point.phase == Phase::kUnloaded && s.point.server == "uring" && s.repeat == 0) {
      r.ok = false;
      r.error = "the uring server did not start";
    }
    return r;
  };
  auto result = RunSession(o);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->runs_failed, 1);
  EXPECT_EQ(calls, result->runs_total + 1);  // one retry
  // Resuming retries the failed run only.
  int resumed_calls = 0;
  SessionOptions again = Options(dir.path(), &runner);
  again.resume = true;
  again.write_report = false;
  again.run = [&](const RunSlot& s, double rate) {
    ++resumed_calls;
    return runner(s, rate);
  };
  auto r2 = RunSession(again);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(resumed_calls, 1);
  EXPECT_EQ(r2->runs_failed, 0);
}

}  // namespace
}  // namespace iotax::bench
