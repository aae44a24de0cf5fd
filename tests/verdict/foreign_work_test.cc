// The foreign designs' handler work (--work-us, --work-bytes; issue 14,
// servers/foreign/foreign_common.h), with no iotax and no root: a request
// costs the server at least the work's CPU time in the blocking design and
// its async counterpart; each connection has its own working set in both; a
// malformed value is a usage error.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_join.h"
#include "foreign_load.h"

namespace iotax::testing {
namespace {

using nlohmann::json;

// utime + stime of every thread of `pid`, in seconds.
double CpuSeconds(pid_t pid) {
  const std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // the name may hold spaces
  std::string f;
  long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {  // fields 14 and 15 of proc(5)
    if (i == 14) utime = std::stoll(f);
    if (i == 15) stime = std::stoll(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// VmRSS of `pid` in KiB.
long RssKib(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, "VmRSS:")) return std::stol(line.substr(6));
  }
  return -1;
}

struct WorkRun {
  double cpu_us_per_request = 0;
  double requests = 0;
  long rss_growth_kib = 0;  // during the load, over the idle server
};

// iotax-foreign-`design` (pinned to CPU 0) with `flags` under a closed loop
// of `conns` connections for `seconds`, every request counted (no warmup).
WorkRun Drive(const std::string& design, const std::vector<std::string>& flags, double seconds, int conns) {
  WorkRun run;
  TempDir dir;
  std::unique_ptr<Subprocess> server;
  const int port = StartForeignServer(dir, "iotax-foreign-" + design, flags, &server);
  EXPECT_GT(port, 0) << ReadFile(dir.File("server.err"));
  if (port <= 0) return run;
  const pid_t pid = server->pid();
  const double cpu_before = CpuSeconds(pid);
  const long rss_before = RssKib(pid);
  const int cpu = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0;
  auto client = Subprocess::Start({Bin("iotax-echo-client"), "--model=uring", absl::StrCat("--port=", port),
                                   absl::StrCat("--conns=", conns), "--msg-size=512", absl::StrCat("--duration=", seconds, "s"),
                                   "--warmup=0s", absl::StrCat("--cpus=", cpu), "--json", "--allow-invalid"},
                                  dir.File("client.err"));
  EXPECT_TRUE(client.ok()) << client.status();
  if (!client.ok()) return run;
  absl::SleepFor(absl::Seconds(seconds * 0.7));  // every connection has had requests
  run.rss_growth_kib = RssKib(pid) - rss_before;
  const std::string out = (*client)->ReadAll(absl::Seconds(seconds + 20));
  EXPECT_EQ((*client)->Wait(absl::Seconds(5)), 0) << ReadFile(dir.File("client.err"));
  const double cpu_after = CpuSeconds(pid);  // the load is over: nothing more to do
  server->Stop();
  const json result = json::parse(out, nullptr, false);
  EXPECT_TRUE(result.is_object()) << out;
  if (!result.is_object()) return run;
  EXPECT_EQ(result["errors"], 0) << out;
  run.requests = result["requests"].get<double>();
  if (run.requests > 0) run.cpu_us_per_request = (cpu_after - cpu_before) / run.requests * 1e6;
  std::printf("iotax-foreign-%s %s (%d connections): %.0f requests, %.1f us CPU each, RSS +%ld KiB\n",
              design.c_str(), absl::StrJoin(flags, " ").c_str(), conns, run.requests, run.cpu_us_per_request, run.rss_growth_kib);
  return run;
}

TEST(ForeignWork, EveryRequestCostsTheServerTheWorksCpuTimeBlockingAndAsync) {
  for (const int work_us : {200, 2000}) {
    for (const bool async : {false, true}) {
      std::vector<std::string> flags = {absl::StrCat("--work-us=", work_us)};
      if (async) flags.push_back("--async");
      const std::string what = absl::StrJoin(flags, " ");
      const WorkRun run = Drive("tpc", flags, 1.0, 1);
      // One CPU: at most 1e6 / work_us requests a second.
      EXPECT_GE(run.requests, 10) << what;
      EXPECT_LE(run.requests, 1.2 * 1e6 / work_us) << what;
      EXPECT_GE(run.cpu_us_per_request, 0.75 * work_us) << what;
    }
  }
}

// Many threads on the server's one CPU preempt each other mid-spin (the
// pool's dispatcher wakes a worker while another spins): the work is still
// all done, as CPU, not cut short by the time the thread spent off the CPU.
// A spin until a monotonic deadline gave the pool 83 us of CPU per request
// at --work-us=100 with 50 connections.
TEST(ForeignWork, AThreadPreemptedMidSpinStillDoesAllOfTheWork) {
  constexpr int kWorkUs = 200;
  for (const std::string design : {"pool", "tpc"}) {
    const WorkRun run = Drive(design, {absl::StrCat("--work-us=", kWorkUs)}, 1.5, 50);
    EXPECT_GE(run.requests, 100) << design;
    EXPECT_GE(run.cpu_us_per_request, 0.95 * kWorkUs) << design;
  }
}

TEST(ForeignWork, EachConnectionHasItsOwnWorkingSetBlockingAndAsync) {
  constexpr long kSetKib = 8 * 1024;
  for (const bool async : {false, true}) {
    std::vector<std::string> flags = {absl::StrCat("--work-bytes=", kSetKib * 1024)};
    if (async) flags.push_back("--async");
    const WorkRun run = Drive("tpc", flags, 1.0, 4);
    EXPECT_GE(run.requests, 100) << (async ? "--async" : "blocking");
    // Four connections, four sets, touched when allocated.
    EXPECT_GE(run.rss_growth_kib, 4 * kSetKib * 9 / 10) << (async ? "--async" : "blocking");
    EXPECT_LE(run.rss_growth_kib, 4 * kSetKib * 3 / 2) << (async ? "--async" : "blocking");
  }
}

TEST(ForeignWork, MalformedWorkIsAUsageError) {
  TempDir dir;
  for (const std::string design : {"tpc", "fork", "vec", "pool"}) {
    for (const std::string flag : {"--work-us=abc", "--work-us=", "--work-us=-5", "--work-bytes=4k",
                                   "--work-us=99999999999999999999"}) {
      const RunResult r = RunProgram({Bin("iotax-foreign-" + design), "0", "--async", flag}, dir.File("err"),
                                     absl::Seconds(5));
      EXPECT_EQ(r.exit_code, 2) << design << " " << flag << ": " << r.out << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, flag)) << design << " " << flag << ": " << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, "usage:")) << design << " " << flag << ": " << r.err;
      EXPECT_TRUE(absl::StrContains(r.err, "[--work-us=N] [--work-bytes=N]")) << r.err;
      EXPECT_FALSE(absl::StrContains(r.out, "port ")) << "exits before listening: " << r.out;
    }
  }
}

}  // namespace
}  // namespace iotax::testing
