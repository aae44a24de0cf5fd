// The real iotaxd, end to end: attach to a workload, scrape /metrics over
// HTTP, see the target exit, stop with SIGTERM and check that no BPF program
// it loaded is left; plus the one-line errors for a bad PID and a busy port.
#include <gtest/gtest.h>

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "child_process.h"
#include "http_client.h"
#include "require.h"
#include "test_cgroup.h"
#include "metrics_text.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::HttpGet;

const std::string kIotaxd = std::string(IOTAX_BIN_DIR) + "/iotaxd";
const std::string kWorkload = IOTAX_PIPE_WORKLOAD;

using testing::Sample;

std::string Target(const std::string& name, int pid, const std::string& comm, const std::string& extra = "") {
  return absl::StrCat(name, "{pid=\"", pid, "\",comm=\"", comm, "\"", extra, "}");
}

// BPF program IDs held by process `pid` (programs and links both show
// prog_id in their fdinfo).
std::set<int> BpfProgIdsHeldBy(int pid) {
  std::set<int> ids;
  const std::string dir = absl::StrCat("/proc/", pid, "/fdinfo");
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ids;
  while (dirent* e = readdir(d)) {
    std::ifstream in(dir + "/" + e->d_name);
    std::string line;
    while (std::getline(in, line)) {
      int id = 0;
      if (absl::StartsWith(line, "prog_id:") && absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(8)), &id)) {
        ids.insert(id);
      }
    }
  }
  closedir(d);
  return ids;
}

std::string BpftoolProgShow(int id) {
  std::string out;
  if (FILE* p = popen(absl::StrCat("timeout 10 bpftool prog show id ", id, " 2>/dev/null").c_str(), "r")) {
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

// Starts iotaxd with `args` and reads the port from its first stdout line.
int StartDaemon(ChildProcess& daemon) {
  auto line = daemon.ReadStdoutLine(20s);
  if (!line) {
    ADD_FAILURE() << "iotaxd printed no address; stderr: " << daemon.DrainStderr(1s);
    return 0;
  }
  const size_t colon = line->rfind(':');
  int port = 0;
  if (!absl::StartsWith(*line, "iotaxd listening on http://127.0.0.1:") ||
      !absl::SimpleAtoi(line->substr(colon + 1, line->rfind("/metrics") - colon - 1), &port)) {
    ADD_FAILURE() << "unexpected first line: " << *line;
  }
  return port;
}

// Polls /metrics until `pred` holds on the body (or `timeout` passes).
std::string ScrapeUntil(int port, const std::function<bool(const std::string&)>& pred,
                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string body;
  do {
    body = HttpGet(port, "/metrics").body;
    if (pred(body)) return body;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return body;
}

bool PromtoolAccepts(const std::string& text, std::string* output) {
  char path[] = "/tmp/iotax_e2e_metrics_XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return false;
  close(fd);
  std::ofstream(path) << text;
  int status = -1;
  if (FILE* p = popen(absl::StrCat("timeout 30 promtool check metrics < ", path, " 2>&1").c_str(), "r")) {
    char buf[1024];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
    status = pclose(p);
  }
  unlink(path);
  return status == 0;
}

TEST(IotaxdE2E, TracesAWorkloadKeepsMetricsAfterExitAndDetachesOnSigterm) {
  IOTAX_REQUIRE_BPF();
  ChildProcess workload({kWorkload, "--name=iotax_e2e_wl", "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value()) << "workload did not start";
  const int wl = workload.pid();

  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", wl), "--listen=127.0.0.1:0", "--interval=200ms"});
  const int port = StartDaemon(daemon);
  ASSERT_GT(port, 0);

  // Syscalls and switches of the workload show up.
  const std::string reads = Target("iotax_syscalls_total", wl, "iotax_e2e_wl", ",class=\"sync\"");
  const std::string blocked = Target("iotax_syscalls_blocked_total", wl, "iotax_e2e_wl", ",class=\"sync\"");
  const std::string vol = Target("iotax_context_switches_total", wl, "iotax_e2e_wl", ",kind=\"voluntary\"");
  std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Sample(b, reads).value_or(0) >= 50 && Sample(b, blocked).value_or(0) > 0; },
      10s);
  EXPECT_EQ(Sample(body, Target("iotax_target_up", wl, "iotax_e2e_wl")), 1) << body.substr(0, 3000);
  EXPECT_GE(Sample(body, reads).value_or(0), 50);
  EXPECT_GT(Sample(body, blocked).value_or(0), 0);
  EXPECT_GT(Sample(body, vol).value_or(0), 0);
  EXPECT_GT(Sample(body, Target("iotax_syscalls_total", wl, "iotax_e2e_wl", ",class=\"sleep\"")).value_or(0), 0);
  EXPECT_EQ(Sample(body, Target("iotax_target_threads", wl, "iotax_e2e_wl")), 2);
  EXPECT_EQ(Sample(body, "iotax_probe_up{probe=\"sys_enter\"}"), 1);
  std::string promtool_output;
  EXPECT_TRUE(PromtoolAccepts(body, &promtool_output)) << promtool_output;
  EXPECT_EQ(HttpGet(port, "/healthz").body, "ok\n");

  // The programs iotaxd holds are the iotax ones.
  const std::set<int> prog_ids = BpfProgIdsHeldBy(daemon.pid());
  ASSERT_FALSE(prog_ids.empty());
  for (int id : prog_ids) EXPECT_TRUE(absl::StrContains(BpftoolProgShow(id), "name iotax_")) << id;

  // The workload exits: target_up goes to 0, the counters stay.
  const double reads_before_exit = Sample(body, reads).value_or(0);
  workload.Kill(SIGKILL);
  ASSERT_TRUE(workload.Wait(5s).has_value());
  body = ScrapeUntil(
      port, [&](const std::string& b) { return Sample(b, Target("iotax_target_up", wl, "iotax_e2e_wl")) == 0.0; }, 5s);
  EXPECT_EQ(Sample(body, Target("iotax_target_up", wl, "iotax_e2e_wl")), 0);
  EXPECT_GE(Sample(body, reads).value_or(0), reads_before_exit) << "metrics stay readable";
  const std::string exit_line =
      absl::StrCat("target ", wl, " (iotax_e2e_wl) exited; its metrics stay readable, iotax_target_up is 0");
  EXPECT_TRUE(daemon.WaitForStderr(exit_line, 5s)) << daemon.DrainStderr(100ms);

  // SIGTERM: exits 0, says it detached, and its programs are unloaded.
  daemon.Kill(SIGTERM);
  const auto rc = daemon.Wait(10s);
  ASSERT_TRUE(rc.has_value()) << "iotaxd did not stop within 10 s of SIGTERM";
  EXPECT_EQ(*rc, 0);
  const std::string err = daemon.DrainStderr(2s);
  EXPECT_TRUE(absl::StrContains(err, "stopping on SIGTERM")) << err;
  // The kernel frees programs shortly after the last reference goes.
  std::set<int> left = prog_ids;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    for (auto it = left.begin(); it != left.end();) {
      it = BpftoolProgShow(*it).empty() ? left.erase(it) : std::next(it);
    }
    if (!left.empty()) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(left.empty()) << left.size() << " iotax BPF programs still loaded after iotaxd exited";
}

TEST(IotaxdE2E, CommWaitsForAProcessAndPicksUpTheNextOne) {
  IOTAX_REQUIRE_BPF();
  const std::string name = absl::StrCat("iotaxwl", getpid() % 100000);
  ChildProcess daemon({kIotaxd, "--comm=" + name, "--listen=127.0.0.1:0", "--interval=100ms"});
  const int port = StartDaemon(daemon);
  ASSERT_GT(port, 0);
  const std::string watch = absl::StrCat("iotax_comm_watch_targets{comm=\"", name, "\"}");
  EXPECT_EQ(Sample(HttpGet(port, "/metrics").body, watch), 0) << "waiting, and saying so";

  for (int round = 0; round < 2; ++round) {
    ChildProcess workload({kWorkload, "--name=" + name, "--seconds=30"});
    ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value());
    const std::string up = Target("iotax_target_up", workload.pid(), name);
    std::string body = ScrapeUntil(port, [&](const std::string& b) { return Sample(b, up) == 1.0; }, 10s);
    EXPECT_EQ(Sample(body, up), 1) << "round " << round;
    EXPECT_EQ(Sample(body, watch), 1);
    workload.Kill(SIGKILL);
    ASSERT_TRUE(workload.Wait(5s).has_value());
    body = ScrapeUntil(port, [&](const std::string& b) { return Sample(b, watch) == 0.0; }, 5s);
    EXPECT_EQ(Sample(body, up), 0);
  }
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
  const std::string err = daemon.DrainStderr(2s);
  EXPECT_TRUE(absl::StrContains(err, "waiting for a process named " + name)) << err;
  EXPECT_TRUE(absl::StrContains(err, "waiting for the next process named " + name)) << err;
}

TEST(IotaxdE2E, ACgroupIsOneServiceWithOneSetOfSeries) {
  IOTAX_REQUIRE_BPF();
  testing::TestCgroup test_cgroup("iotaxd-service-test");
  if (test_cgroup.path().empty()) GTEST_SKIP() << test_cgroup.why();
  const std::string& cgroup = test_cgroup.path();
  {
    ChildProcess daemon({kIotaxd, "--cgroup=" + cgroup, "--listen=127.0.0.1:0", "--interval=100ms"});
    const int port = StartDaemon(daemon);
    ASSERT_GT(port, 0);
    // Two workloads join the cgroup after iotaxd started: both count into the one service.
    ChildProcess a({kWorkload, "--name=svc_a", "--seconds=30"});
    ChildProcess b({kWorkload, "--name=svc_b", "--seconds=30"});
    ASSERT_TRUE(a.ReadStdoutLine(10s).has_value());
    ASSERT_TRUE(b.ReadStdoutLine(10s).has_value());
    test_cgroup.Add(a.pid());
    test_cgroup.Add(b.pid());
    const std::string threads = absl::StrCat("iotax_target_threads{pid=\"\",comm=\"", cgroup, "\"}");
    // Each pipe_workload runs two threads.
    std::string body = ScrapeUntil(port, [&](const std::string& m) { return Sample(m, threads) >= 4.0; }, 15s);
    EXPECT_EQ(Sample(body, threads), 4) << body.substr(0, 2000);
    const std::string blocked =
        absl::StrCat("iotax_syscalls_blocked_total{pid=\"\",comm=\"", cgroup, "\",class=\"sync\"}");
    body = ScrapeUntil(port, [&](const std::string& m) { return Sample(m, blocked) > 0; }, 15s);
    EXPECT_GT(Sample(body, blocked), 0) << body.substr(0, 2000);
    // A member that exits is not the service's end.
    a.Kill(SIGKILL);
    ASSERT_TRUE(a.Wait(5s).has_value());
    body = ScrapeUntil(port, [&](const std::string& m) { return Sample(m, threads) == 2.0; }, 15s);
    EXPECT_EQ(Sample(body, threads), 2);
    EXPECT_EQ(Sample(body, absl::StrCat("iotax_target_up{pid=\"\",comm=\"", cgroup, "\"}")), 1);
    b.Kill(SIGKILL);
    ASSERT_TRUE(b.Wait(5s).has_value());
    daemon.Kill(SIGTERM);
    EXPECT_EQ(daemon.Wait(10s), 0);
    const std::string err = daemon.DrainStderr(2s);
    EXPECT_TRUE(absl::StrContains(err, "tracing cgroup " + cgroup + " as one service")) << err;
  }
  EXPECT_TRUE(test_cgroup.Remove()) << "could not remove " << cgroup;
}

TEST(IotaxdE2E, MissingPidIsOneLineAndNonZero) {
  IOTAX_REQUIRE_BPF();
  int pid = 999999;
  while (access(absl::StrCat("/proc/", pid).c_str(), F_OK) == 0) --pid;
  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", pid)});
  const auto rc = daemon.Wait(10s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_NE(*rc, 0);
  EXPECT_EQ(daemon.DrainStderr(2s),
            absl::StrCat("iotaxd: no process with PID ", pid, ": check the PID with `ps -p ", pid, "`\n"));
}

TEST(IotaxdE2E, PortInUseIsOneLineAndNonZero) {
  IOTAX_REQUIRE_BPF();
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", getpid()), absl::StrCat("--listen=127.0.0.1:", port)});
  const auto rc = daemon.Wait(10s);
  close(fd);
  ASSERT_TRUE(rc.has_value());
  EXPECT_NE(*rc, 0);
  EXPECT_EQ(daemon.DrainStderr(2s), absl::StrCat("iotaxd: 127.0.0.1:", port,
                                                 " is already in use (another iotaxd?): pass --listen=127.0.0.1:PORT\n"));
}

TEST(IotaxdE2E, WithoutPrivilegesIsOneLineAndNonZero) {
  IOTAX_REQUIRE_BPF();  // root, so it can drop to nobody
  ASSERT_EQ(access("/usr/bin/setpriv", X_OK), 0) << "setpriv (util-linux) missing";
  ChildProcess daemon({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                       kIotaxd, absl::StrCat("--pid=", getpid())});
  const auto rc = daemon.Wait(10s);
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 1);
  EXPECT_EQ(daemon.DrainStderr(2s),
            "iotaxd: needs root or CAP_BPF+CAP_PERFMON to load BPF programs: run iotaxd with sudo\n");
}

TEST(IotaxdE2E, BadFlagsAreOneLineAndExitTwo) {
  // No privileges needed: nothing is loaded.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus"}, {"--pid=abc"}, {}, {"--pid=1", "--listen=nope"}, {"--pid=1", "--interval=x"}}) {
    std::vector<std::string> argv = {kIotaxd};
    argv.insert(argv.end(), args.begin(), args.end());
    ChildProcess daemon(argv);
    EXPECT_EQ(daemon.Wait(10s), 2) << argv.back();
    const std::string err = daemon.DrainStderr(2s);
    EXPECT_TRUE(absl::StartsWith(err, "iotaxd: ")) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST(IotaxdE2E, HelpListsOnlyIotaxdFlags) {
  ChildProcess daemon({kIotaxd, "--help"});
  std::string out;
  while (auto line = daemon.ReadStdoutLine(5s)) out += *line + "\n";
  EXPECT_EQ(daemon.Wait(5s), 0);
  EXPECT_TRUE(absl::StrContains(out, "--follow-children"));
  EXPECT_TRUE(absl::StrContains(out, "--listen=HOST:PORT  (default: 127.0.0.1:9464)"));
  EXPECT_FALSE(absl::StrContains(out, "flagfile"));
}

TEST(IotaxdE2E, CheckReportsEveryProbe) {
  IOTAX_REQUIRE_BPF();
  ChildProcess daemon({kIotaxd, "--check"});
  std::string out;
  while (auto line = daemon.ReadStdoutLine(20s)) out += *line + "\n";
  EXPECT_EQ(daemon.Wait(20s), 0) << out;
  for (const char* probe : {"sys_enter", "sys_exit", "sched_switch", "sched_wakeup"}) {
    EXPECT_TRUE(absl::StrContains(out, probe)) << out;
  }
  EXPECT_TRUE(absl::StrContains(out, "probes attached: iotaxd can run here")) << out;
}

}  // namespace
}  // namespace iotax
