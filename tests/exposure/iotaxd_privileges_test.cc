// The real iotaxd's privileges (root + BPF): after attaching it holds no
// capability at all (read from /proc/PID/status of every thread), optionally
// runs as another user, and still serves metrics, keeps counting and
// attaches --comm processes that appear later. Without the privileges it
// needs it exits at once with one line that says how to fix it. Also the
// exposed-address warning with auth and TLS end to end.
#include <gtest/gtest.h>

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "child_process.h"
#include "exposure_util.h"
#include "require.h"
#include "sanitizer.h"
#include "metrics_text.h"

namespace iotax {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

const std::string kIotaxd = std::string(IOTAX_BIN_DIR) + "/iotaxd";

// iotaxd started as nobody with only `caps` (setpriv's names, e.g.
// "+bpf,+perfmon") inheritable and ambient, as the systemd unit starts it;
// with none at all, also with no_new_privs.
std::vector<std::string> IotaxdAsNobody(const std::string& caps, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
  if (caps.empty()) {
    argv.insert(argv.end(), {"--inh-caps=-all", "--no-new-privs"});
  } else {
    argv.insert(argv.end(), {"--inh-caps=-all," + caps, "--ambient-caps=-all," + caps});
  }
  argv.push_back(kIotaxd);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}
const std::string kWorkload = IOTAX_PIPE_WORKLOAD;

// "Name:\tvalue" lines of /proc/PID/status (or .../task/TID/status).
std::map<std::string, std::string> StatusFields(const std::string& path) {
  std::map<std::string, std::string> fields;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      fields[line.substr(0, colon)] = std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return fields;
}

std::vector<std::string> ThreadStatusPaths(int pid) {
  std::vector<std::string> paths;
  const std::string dir = absl::StrCat("/proc/", pid, "/task");
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') paths.push_back(dir + "/" + e->d_name + "/status");
    }
    closedir(d);
  }
  return paths;
}

// What docs/security.md promises for a running iotaxd: no capability in any
// set of any thread, no_new_privs; `bounding` is the expected CapBnd.
void ExpectNoCapabilities(int pid, const std::string& bounding) {
  const std::vector<std::string> threads = ThreadStatusPaths(pid);
  ASSERT_GE(threads.size(), 3u) << "iotaxd should be serving with several threads by now";
  for (const std::string& path : threads) {
    auto f = StatusFields(path);
    EXPECT_EQ(f["CapEff"], "0000000000000000") << path;
    EXPECT_EQ(f["CapPrm"], "0000000000000000") << path;
    EXPECT_EQ(f["CapInh"], "0000000000000000") << path;
    EXPECT_EQ(f["CapAmb"], "0000000000000000") << path;
    EXPECT_EQ(f["CapBnd"], bounding) << path;
    EXPECT_EQ(f["NoNewPrivs"], "1") << path;
  }
}

// After switching to another user iotaxd is (rightly) not dumpable, and
// LeakSanitizer's exit check, which ptraces the process's own threads,
// cannot run there: in the sanitizer build it would turn a clean exit into 1.
// ASan and UBSan stay on.
void NoLeakCheckAfterUserSwitch() { testing::NoLeakCheckInTracedChildren(); }

using testing::Sample;

std::string Syscalls(int pid, const std::string& comm) {
  return absl::StrCat("iotax_syscalls_total{pid=\"", pid, "\",comm=\"", comm, "\",class=\"sync\"}");
}

// The port from iotaxd's first stdout line "iotaxd listening on SCHEME://127.0.0.1:PORT/metrics".
int ListeningPort(ChildProcess& daemon, const std::string& scheme = "http") {
  auto line = daemon.ReadStdoutLine(30s);
  if (!line) {
    ADD_FAILURE() << "iotaxd printed no address; stderr: " << daemon.DrainStderr(1s);
    return 0;
  }
  int port = 0;
  const std::string prefix = "iotaxd listening on " + scheme + "://";
  const size_t colon = line->rfind(':');
  if (!absl::StartsWith(*line, prefix) || !absl::SimpleAtoi(line->substr(colon + 1, line->rfind("/metrics") - colon - 1), &port)) {
    ADD_FAILURE() << "unexpected first line: " << *line;
  }
  return port;
}

std::string ScrapeUntil(int port, const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string body;
  do {
    body = testing::Get(port, "/metrics").text;
    if (pred(body)) return body;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  return body;
}

TEST(IotaxdPrivileges, DropsEveryCapabilityAfterAttachAndKeepsCounting) {
  IOTAX_REQUIRE_BPF();
  ChildProcess workload({kWorkload, "--name=iotax_cap_wl", "--seconds=60"});
  std::this_thread::sleep_for(100ms);
  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0", "--verdict-window=2s",
                       "--calibration=none"});
  const int port = ListeningPort(daemon);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(daemon.WaitForStderr("probes attached; dropped every capability (effective, permitted, inheritable, "
                                   "ambient, bounding) and set no_new_privs",
                                   5s))
      << daemon.DrainStderr(1s);
  ExpectNoCapabilities(daemon.pid(), "0000000000000000");
  EXPECT_EQ(StatusFields(absl::StrCat("/proc/", daemon.pid(), "/status"))["Uid"], "0\t0\t0\t0");

  // Still reading the maps and counting, with nothing left to read them with but fds.
  const std::string series = Syscalls(workload.pid(), "iotax_cap_wl");
  std::string body = ScrapeUntil(port, [&](const std::string& b) { return Sample(b, series).value_or(0) > 0; }, 10s);
  const double first = Sample(body, series).value_or(0);
  ASSERT_GT(first, 0) << body.substr(0, 2000);
  body = ScrapeUntil(port, [&](const std::string& b) { return Sample(b, series).value_or(0) > first + 20; }, 10s);
  EXPECT_GT(Sample(body, series).value_or(0), first + 20);
  EXPECT_EQ(testing::Get(port, "/api/report").status(), 200);

  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0) << daemon.DrainStderr(1s);
}

TEST(IotaxdPrivileges, AsAnotherUserItStillAttachesCommProcessesThatAppearLater) {
  IOTAX_REQUIRE_BPF();
  NoLeakCheckAfterUserSwitch();
  ChildProcess daemon({kIotaxd, "--comm=iotax_late_wl", "--user=nobody", "--interval=100ms", "--listen=127.0.0.1:0",
                       "--calibration=none"});
  const int port = ListeningPort(daemon);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(daemon.WaitForStderr("now running as user nobody (uid 65534)", 5s)) << daemon.DrainStderr(1s);
  auto status = StatusFields(absl::StrCat("/proc/", daemon.pid(), "/status"));
  EXPECT_EQ(status["Uid"], "65534\t65534\t65534\t65534");
  const passwd* nobody = getpwnam("nobody");
  ASSERT_NE(nobody, nullptr);
  const std::string gid = std::to_string(nobody->pw_gid);
  EXPECT_EQ(status["Gid"], absl::StrCat(gid, "\t", gid, "\t", gid, "\t", gid));
  EXPECT_EQ(status["Groups"], "") << "supplementary groups must be dropped";
  ExpectNoCapabilities(daemon.pid(), "0000000000000000");

  // A root process that starts after the drop: found in /proc, attached
  // (a task-iterator link of the loaded program, map updates) and counted.
  ChildProcess workload({kWorkload, "--name=iotax_late_wl", "--seconds=60"});
  const std::string series = Syscalls(workload.pid(), "iotax_late_wl");
  const std::string body =
      ScrapeUntil(port, [&](const std::string& b) { return Sample(b, series).value_or(0) >= 20; }, 15s);
  EXPECT_GE(Sample(body, series).value_or(0), 20) << daemon.DrainStderr(1s);
  EXPECT_EQ(Sample(body, absl::StrCat("iotax_target_up{pid=\"", workload.pid(), "\",comm=\"iotax_late_wl\"}")), 1);
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
}

TEST(IotaxdPrivileges, WithOnlyBpfAndPerfmonItDropsThoseTooAndKeepsTheBoundingSet) {
  IOTAX_REQUIRE_BPF();
  // The systemd unit's setup: an unprivileged user with CAP_BPF+CAP_PERFMON
  // as ambient capabilities. No CAP_SETPCAP, so the bounding set stays
  // (no_new_privs keeps anything from regaining it).
  ChildProcess workload({kWorkload, "--name=iotax_amb_wl", "--seconds=60"});
  ChildProcess daemon(IotaxdAsNobody(
      "+bpf,+perfmon", {absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0", "--calibration=none"}));
  const int port = ListeningPort(daemon);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(daemon.WaitForStderr("(bounding set kept: no CAP_SETPCAP to clear it)", 5s)) << daemon.DrainStderr(1s);
  const std::string our_bounding = StatusFields("/proc/self/status")["CapBnd"];
  ExpectNoCapabilities(daemon.pid(), our_bounding);
  const std::string series = Syscalls(workload.pid(), "iotax_amb_wl");
  const std::string body =
      ScrapeUntil(port, [&](const std::string& b) { return Sample(b, series).value_or(0) > 0; }, 10s);
  EXPECT_GT(Sample(body, series).value_or(0), 0);
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
}

TEST(IotaxdPrivileges, SampledAsTheDeploymentFilesRunItTheWindowsKeepAttachingWithoutCapabilities) {
  IOTAX_REQUIRE_BPF();
  // dashboards/deploy run iotaxd with --sample: every period it attaches and
  // detaches the per-event programs, on a thread started after the drop.
  ChildProcess workload({kWorkload, "--name=iotax_smp_wl", "--seconds=60"});
  ChildProcess daemon(IotaxdAsNobody("+bpf,+perfmon", {absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0",
                                                       "--calibration=none", "--sample=20%", "--sample-period=200ms"}));
  const int port = ListeningPort(daemon);
  ASSERT_GT(port, 0);
  EXPECT_TRUE(daemon.WaitForStderr("sampling: syscalls, switches and wakeups traced 20% of the time", 5s))
      << daemon.DrainStderr(1s);
  const std::string our_bounding = StatusFields("/proc/self/status")["CapBnd"];
  ExpectNoCapabilities(daemon.pid(), our_bounding);
  const std::string series = Syscalls(workload.pid(), "iotax_smp_wl");
  const std::string body = ScrapeUntil(
      port, [&](const std::string& b) { return Sample(b, "iotax_sample_windows_total").value_or(0) >= 10; }, 10s);
  EXPECT_GE(Sample(body, "iotax_sample_windows_total").value_or(0), 10) << daemon.DrainStderr(1s);
  EXPECT_EQ(Sample(body, "iotax_sample_fraction"), 0.2);
  EXPECT_GT(Sample(body, series).value_or(0), 0);
  for (const char* probe : {"sys_enter", "sys_exit", "sched_switch", "sched_wakeup"}) {
    EXPECT_EQ(Sample(body, absl::StrCat("iotax_probe_up{probe=\"", probe, "\"}")), 1) << probe;
  }
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);
}

// Runs iotaxd to its end; returns exit code, stdout and stderr.
struct Finished {
  std::optional<int> code;
  std::string out, err;
};
Finished RunToEnd(const std::vector<std::string>& argv) {
  ChildProcess p(argv);
  Finished f;
  f.code = p.Wait(15s);
  while (auto line = p.ReadStdoutLine(100ms)) f.out += *line + "\n";
  f.err = p.DrainStderr(1s);
  return f;
}

TEST(IotaxdPrivileges, WithoutPrivilegesOneLineWithTheFixAndNoPartialRun) {
  IOTAX_REQUIRE_BPF();
  ChildProcess workload({kWorkload, "--name=iotax_np_wl", "--seconds=30"});
  const std::string pid = absl::StrCat("--pid=", workload.pid());
  const auto started = std::chrono::steady_clock::now();
  // As nobody, no capability at all.
  Finished f = RunToEnd(IotaxdAsNobody("", {pid, "--listen=127.0.0.1:0"}));
  EXPECT_EQ(f.code, 1);
  EXPECT_EQ(f.out, "") << "nothing may be served";
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  EXPECT_TRUE(absl::StartsWith(f.err, "iotaxd: needs root or CAP_BPF+CAP_PERFMON")) << f.err;
  EXPECT_TRUE(absl::StrContains(f.err, "sudo")) << f.err;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);

  // Half the capabilities is no better.
  f = RunToEnd(IotaxdAsNobody("+bpf", {pid, "--listen=127.0.0.1:0"}));
  EXPECT_EQ(f.code, 1);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
  EXPECT_TRUE(absl::StrContains(f.err, "CAP_BPF+CAP_PERFMON")) << f.err;

  // --user without the right to switch: refused before anything is attached.
  f = RunToEnd(IotaxdAsNobody("+bpf,+perfmon", {pid, "--user=nobody", "--listen=127.0.0.1:0"}));
  EXPECT_EQ(f.code, 1);
  EXPECT_EQ(f.out, "");
  EXPECT_EQ(f.err, "iotaxd: --user=nobody needs CAP_SETUID and CAP_SETGID to switch users: start iotaxd as root, or "
                   "leave out --user (it then keeps its own user)\n");

  // Settings that could only fail after the drop fail before the attach.
  f = RunToEnd({kIotaxd, pid, "--user=no_such_user_iotax"});
  EXPECT_EQ(f.code, 1);
  EXPECT_EQ(f.err, "iotaxd: --user=no_such_user_iotax is not a user of this system: pass an existing unprivileged "
                   "user, e.g. --user=nobody\n");
  f = RunToEnd({kIotaxd, pid, "--listen=127.0.0.1:80"});
  EXPECT_EQ(f.code, 1);
  EXPECT_TRUE(absl::StartsWith(f.err, "iotaxd: --listen port 80 is below 1024 and needs CAP_NET_BIND_SERVICE")) << f.err;
  EXPECT_EQ(std::count(f.err.begin(), f.err.end(), '\n'), 1) << f.err;
}

TEST(IotaxdPrivileges, AnExposedAddressIsAnnouncedAndServesHttpsWithAuthOnly) {
  IOTAX_REQUIRE_BPF();
  NoLeakCheckAfterUserSwitch();
  testing::ScratchDir dir;
  std::string cert, key;
  ASSERT_TRUE(testing::MakeSelfSignedCert(dir, "iotaxd", &cert, &key));
  const std::string users = dir.Write("users", testing::AuthLine("prom", "s3cret"));
  // Readable by root only: iotaxd reads them before it becomes nobody.
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  ASSERT_EQ(chmod(users.c_str(), 0600), 0);
  ChildProcess workload({kWorkload, "--name=iotax_tls_wl", "--seconds=60"});
  ChildProcess daemon({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=0.0.0.0:0", "--user=nobody",
                       "--auth-file=" + users, "--tls-cert=" + cert, "--tls-key=" + key, "--calibration=none"});
  const int port = ListeningPort(daemon, "https");
  ASSERT_GT(port, 0);
  EXPECT_TRUE(daemon.WaitForStderr(
      absl::StrCat("WARNING: listening on 0.0.0.0:", port,
                   ", not a loopback address: the endpoint is exposed to other machines; basic auth on (1 users), TLS on"),
      5s))
      << daemon.DrainStderr(1s);
  const std::string url = absl::StrCat("https://127.0.0.1:", port, "/metrics");
  EXPECT_EQ(testing::RunShell("curl -sS -k -o /dev/null -w %{http_code} " + url).output, "401");
  const std::string series = Syscalls(workload.pid(), "iotax_tls_wl");
  std::string body;
  // A scrape serves the snapshot pump's latest read (up to a second old): wait
  // for one taken after the workload's first calls.
  for (int i = 0; i < 50 && Sample(body, series).value_or(0) <= 0; ++i) {
    body = testing::RunShell("curl -sS --cacert " + cert + " -u prom:s3cret " + url).output;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_GT(Sample(body, series).value_or(0), 0) << body.substr(0, 1000);
  EXPECT_EQ(testing::Get(port, "/metrics", "Basic " + absl::Base64Escape("prom:s3cret")).status(), 0)
      << "plain HTTP must get no answer on the HTTPS port";
  daemon.Kill(SIGTERM);
  EXPECT_EQ(daemon.Wait(10s), 0);

  // The loopback default says nothing of exposure.
  ChildProcess quiet({kIotaxd, absl::StrCat("--pid=", workload.pid()), "--listen=127.0.0.1:0", "--calibration=none"});
  ASSERT_GT(ListeningPort(quiet), 0);
  quiet.Kill(SIGTERM);
  EXPECT_EQ(quiet.Wait(10s), 0);
  EXPECT_FALSE(absl::StrContains(quiet.DrainStderr(1s), "exposed"));
}

}  // namespace
}  // namespace iotax
