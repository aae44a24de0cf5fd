// Another process's CPU and switches from /proc: the parsers on fixed text,
// a fake /proc tree (including a thread that exits inside the window), and
// this test process itself.
#include "process_accounting.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "proc_reader.h"

namespace iotax::bench {
namespace {

TEST(ProcessAccounting, ParsesStatWithSpacesAndParensInTheName) {
  uint64_t ut = 0, st = 0;
  const std::string line =
      "4242 (iotax echo) (x)) S 1 4242 4242 0 -1 4194304 100 0 0 0 731 269 0 0 20 0 3 0 12345 1000 200";
  ASSERT_TRUE(ParseStatTimes(line, &ut, &st).ok());
  EXPECT_EQ(ut, 731u);
  EXPECT_EQ(st, 269u);
  EXPECT_FALSE(ParseStatTimes("4242 no parens here", &ut, &st).ok());
  EXPECT_FALSE(ParseStatTimes("1 (x) S 1 2", &ut, &st).ok());
}

TEST(ProcessAccounting, ParsesSchedstatAndStatus) {
  auto ns = proc::ParseSchedstatRunNs("123456789 5000 42\n");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(*ns, 123456789u);
  EXPECT_FALSE(proc::ParseSchedstatRunNs("").ok());
  uint64_t v = 0, i = 0;
  ASSERT_TRUE(
      ParseStatusSwitches("Name:\tx\nvoluntary_ctxt_switches:\t17\nnonvoluntary_ctxt_switches:\t3\n", &v, &i).ok());
  EXPECT_EQ(v, 17u);
  EXPECT_EQ(i, 3u);
  EXPECT_FALSE(ParseStatusSwitches("Name:\tx\n", &v, &i).ok());
}

class FakeProc {
 public:
  FakeProc() {
    char tmpl[] = "/tmp/iotax-fake-proc-XXXXXX";
    root_ = mkdtemp(tmpl);
  }
  ~FakeProc() { std::system(absl::StrCat("rm -rf '", root_, "'").c_str()); }
  void SetProcess(int pid, uint64_t utime, uint64_t stime) {
    mkdir(absl::StrCat(root_, "/", pid).c_str(), 0755);
    mkdir(absl::StrCat(root_, "/", pid, "/task").c_str(), 0755);
    std::ofstream(absl::StrCat(root_, "/", pid, "/stat"))
        << pid << " (srv) S 1 1 1 0 -1 0 0 0 0 0 " << utime << " " << stime << " 0 0 20 0 1 0 1 1 1\n";
  }
  void SetThread(int pid, int tid, uint64_t run_ns, uint64_t vol, uint64_t invol) {
    const std::string dir = absl::StrCat(root_, "/", pid, "/task/", tid);
    mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/schedstat") << run_ns << " 0 0\n";
    std::ofstream(dir + "/status") << "voluntary_ctxt_switches:\t" << vol << "\nnonvoluntary_ctxt_switches:\t" << invol
                                   << "\n";
  }
  void RemoveThread(int pid, int tid) {
    std::system(absl::StrCat("rm -rf '", root_, "/", pid, "/task/", tid, "'").c_str());
  }
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

TEST(ProcessAccounting, DeltaSumsThreadsAndCountsNewOnes) {
  FakeProc proc;
  proc.SetProcess(7, 100, 50);
  proc.SetThread(7, 7, 1'000'000'000, 10, 1);
  proc.SetThread(7, 8, 500'000'000, 20, 2);
  auto before = SampleProcess(7, proc.root());
  ASSERT_TRUE(before.ok()) << before.status();
  EXPECT_EQ(before->threads.size(), 2u);
  proc.SetProcess(7, 130, 120);                // +30 user, +70 system ticks
  proc.SetThread(7, 7, 1'200'000'000, 15, 1);  // +0.2 s, +5 switches
  proc.SetThread(7, 8, 800'000'000, 30, 4);    // +0.3 s, +12 switches
  proc.SetThread(7, 9, 100'000'000, 4, 0);     // new thread: +0.1 s, +4
  auto after = SampleProcess(7, proc.root());
  ASSERT_TRUE(after.ok());
  const ProcessDelta d = Subtract(*before, *after, 100);
  EXPECT_EQ(d.cpu_source, "schedstat");
  EXPECT_NEAR(d.cpu_s, 0.6, 1e-9);
  EXPECT_NEAR(d.user_s, 0.6 * 0.3, 1e-9);  // split from the ticks, scaled to the precise total
  EXPECT_NEAR(d.sys_s, 0.6 * 0.7, 1e-9);
  EXPECT_EQ(d.voluntary, 5u + 10u + 4u);
  EXPECT_EQ(d.involuntary, 2u);
  EXPECT_EQ(d.threads, 3);
  EXPECT_EQ(d.threads_exited, 0);
}

TEST(ProcessAccounting, AThreadThatExitsFallsBackToTheProcessTicks) {
  FakeProc proc;
  proc.SetProcess(7, 100, 50);
  proc.SetThread(7, 7, 1'000'000'000, 0, 0);
  proc.SetThread(7, 8, 500'000'000, 0, 0);
  auto before = SampleProcess(7, proc.root());
  proc.SetProcess(7, 140, 70);  // +60 ticks = 0.6 s, exited thread included
  proc.SetThread(7, 7, 1'100'000'000, 0, 0);
  proc.RemoveThread(7, 8);
  auto after = SampleProcess(7, proc.root());
  ASSERT_TRUE(before.ok() && after.ok());
  const ProcessDelta d = Subtract(*before, *after, 100);
  EXPECT_EQ(d.threads_exited, 1);
  EXPECT_EQ(d.cpu_source, "stat_ticks");
  EXPECT_NEAR(d.cpu_s, 0.6, 1e-9);
}

TEST(ProcessAccounting, AMissingProcessIsAClearError) {
  FakeProc proc;
  auto s = SampleProcess(99, proc.root());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("process 99 is gone"), std::string::npos);
}

TEST(ProcessAccounting, MeasuresThisProcessBurningCpu) {
  auto before = SampleProcess(getpid());
  ASSERT_TRUE(before.ok()) << before.status();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  auto after = SampleProcess(getpid());
  ASSERT_TRUE(after.ok());
  const ProcessDelta d = Subtract(*before, *after, static_cast<double>(sysconf(_SC_CLK_TCK)));
  EXPECT_GE(d.window_s, 0.2);
  // On a loaded machine this thread may not get the whole CPU, but it got some
  // and never more than the wall time.
  EXPECT_GT(d.cpu_s, 0.02);
  EXPECT_LE(d.cpu_s, d.window_s * 1.05 + 0.01);
}

}  // namespace
}  // namespace iotax::bench
