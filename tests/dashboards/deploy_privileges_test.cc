// What the systemd unit grants is what iotaxd needs, measured rather than
// assumed: iotaxd runs as an unprivileged user (nobody) with no_new_privs and
// exactly the unit's capabilities, traces a process of another user, and
// exports its figures; without any one of those capabilities it does not
// start. And every syscall iotaxd makes (BPF load, perf counters for IPC,
// BPF stats, HTTP, /proc) is allowed by the unit's SystemCallFilter, as
// expanded by this machine's systemd.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "child_process.h"
#include "dashboard_files.h"
#include "prometheus_api.h"
#include "require.h"
#include "run_command.h"
#include "sanitizer.h"
#include "metrics_text.h"

namespace iotax::dashboards {

using testing::CommandResult;
using testing::RunCommand;
using testing::HaveProgram;
namespace {

using namespace std::chrono_literals;
using ::iotax::testing::ChildProcess;

const std::string kIotaxd = std::string(IOTAX_BIN_DIR) + "/iotaxd";
const std::string kWorkload = IOTAX_PIPE_WORKLOAD;
const char kSetpriv[] = "/usr/bin/setpriv";

// The value of `Key=` in the unit file (first occurrence).
std::string UnitValue(const std::string& key) {
  std::istringstream in(ReadFile(SourcePath(kSystemdUnit)));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, key + "=")) return line.substr(key.size() + 1);
  }
  return "";
}

// "CAP_BPF CAP_PERFMON" -> {"bpf", "perfmon"} (setpriv's names).
std::vector<std::string> SetprivCaps(const std::string& unit_caps) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(unit_caps, ' ', absl::SkipEmpty())) {
    std::string name(c);
    if (absl::StartsWith(name, "CAP_")) name = name.substr(4);
    out.push_back(absl::AsciiStrToLower(name));
  }
  return out;
}

// A directory and copies of the binaries that any user can execute (the
// build tree may sit under a private home directory).
class PublicCopies {
 public:
  PublicCopies() {
    char tmpl[] = "/tmp/iotax_caps_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);
  }
  ~PublicCopies() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  std::string Copy(const std::string& path) {
    const std::string to = dir_ + "/" + std::filesystem::path(path).filename().string();
    std::filesystem::copy_file(path, to, std::filesystem::copy_options::overwrite_existing);
    chmod(to.c_str(), 0755);
    return to;
  }

 private:
  std::string dir_;
};

std::vector<std::string> AgentAs(const std::string& iotaxd, const std::vector<std::string>& caps,
                                 const std::vector<std::string>& args) {
  std::string list = "-all";
  for (const auto& c : caps) list += ",+" + c;
  std::vector<std::string> argv = {kSetpriv,
                                   "--reuid=65534",
                                   "--regid=65534",
                                   "--clear-groups",
                                   "--inh-caps=" + list,
                                   "--ambient-caps=" + list,
                                   "--bounding-set=" + list,
                                   "--no-new-privs",
                                   iotaxd};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

int ListeningPort(ChildProcess& agent) {
  const auto line = agent.ReadStdoutLine(30s);
  const std::string prefix = "iotaxd listening on http://127.0.0.1:";
  int port = 0;
  if (line && absl::StartsWith(*line, prefix)) {
    std::string rest = line->substr(prefix.size());
    (void)absl::SimpleAtoi(rest.substr(0, rest.find('/')), &port);
  }
  return port;
}

using testing::Sample;

std::string StatusField(int pid, const std::string& field) {
  std::istringstream in(ReadFile(absl::StrCat("/proc/", pid, "/status")));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field + ":")) return std::string(absl::StripAsciiWhitespace(line.substr(field.size() + 1)));
  }
  return "";
}

// The first child of `pid` (setpriv and strace exec or fork the real program).
int ChildOf(int pid) {
  const std::string text = ReadFile(absl::StrCat("/proc/", pid, "/task/", pid, "/children"));
  int child = 0;
  return absl::SimpleAtoi(absl::StripAsciiWhitespace(text.substr(0, text.find(' '))), &child) ? child : 0;
}

TEST(DeployedPrivileges, TheUnitsCapabilitiesAreEnoughAndEachIsNeeded) {
  IOTAX_REQUIRE_BPF();
  ASSERT_EQ(access(kSetpriv, X_OK), 0) << "setpriv missing (Debian package util-linux)";
  const std::vector<std::string> caps = SetprivCaps(UnitValue("AmbientCapabilities"));
  ASSERT_EQ(caps, (std::vector<std::string>{"bpf", "perfmon"}));
  PublicCopies copies;
  const std::string iotaxd = copies.Copy(kIotaxd);
  const std::string workload_bin = copies.Copy(kWorkload);

  // A target owned by another unprivileged user (uid 1, daemon).
  ChildProcess workload({kSetpriv, "--reuid=1", "--regid=1", "--clear-groups", workload_bin, "--name=iotax_caps_wl",
                         "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value()) << "workload did not start";
  const int target = workload.pid();
  ASSERT_EQ(StatusField(target, "Uid").substr(0, 2), "1\t");

  const std::vector<std::string> args = {absl::StrCat("--pid=", target), "--listen=127.0.0.1:0", "--interval=200ms",
                                         "--calibration=none", "--pmu-events=cpu-clock,task-clock"};
  {
    ChildProcess agent(AgentAs(iotaxd, caps, args));
    const int port = ListeningPort(agent);
    ASSERT_GT(port, 0) << "iotaxd did not start with " << absl::StrJoin(caps, "+") << ": " << agent.DrainStderr(1s);
    // Really unprivileged: nobody, exactly these capabilities, no_new_privs.
    EXPECT_EQ(StatusField(agent.pid(), "Uid"), "65534\t65534\t65534\t65534");
    // Started with CAP_BPF (39) and CAP_PERFMON (38) only (the setpriv line
    // above); once attached it drops those too (docs/security.md).
    EXPECT_EQ(StatusField(agent.pid(), "CapEff"), "0000000000000000") << "capabilities left after attach";
    EXPECT_EQ(StatusField(agent.pid(), "CapPrm"), "0000000000000000") << "capabilities left after attach";
    EXPECT_EQ(StatusField(agent.pid(), "NoNewPrivs"), "1");
    // And it works: probes up, the target's calls counted, its threads read
    // from /proc, the IPC path (stand-ins) up.
    const std::string labels = absl::StrCat("{pid=\"", target, "\",comm=\"iotax_caps_wl\"");
    std::string body;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    do {
      std::this_thread::sleep_for(300ms);
      body = LoopbackGet(port, "/metrics").body;
    } while (Sample(body, "iotax_syscalls_total" + labels + ",class=\"sync\"}").value_or(0) < 20 &&
             std::chrono::steady_clock::now() < deadline);
    EXPECT_GE(Sample(body, "iotax_syscalls_total" + labels + ",class=\"sync\"}").value_or(0), 20) << body.substr(0, 2000);
    EXPECT_GT(Sample(body, "iotax_syscalls_blocked_total" + labels + ",class=\"sync\"}").value_or(0), 0);
    EXPECT_EQ(Sample(body, "iotax_target_up" + labels + "}"), 1);
    EXPECT_EQ(Sample(body, "iotax_target_threads" + labels + "}"), 2) << "/proc/PID/task of another user's process";
    for (const char* probe : {"sys_enter", "sys_exit", "sched_switch", "sched_wakeup", "sched_wakeup_new",
                              "sched_process_fork", "sched_process_exit"}) {
      EXPECT_EQ(Sample(body, absl::StrCat("iotax_probe_up{probe=\"", probe, "\"}")), 1) << probe;
    }
    EXPECT_EQ(Sample(body, "iotax_pmu_up"), 1) << "perf_event_open per CPU with CAP_PERFMON";
    agent.Kill(SIGTERM);
    EXPECT_EQ(agent.Wait(15s), 0) << agent.DrainStderr(1s);
  }

  // Each capability is needed: without it iotaxd refuses to start, saying why.
  for (const std::string& missing : caps) {
    std::vector<std::string> fewer;
    for (const auto& c : caps) {
      if (c != missing) fewer.push_back(c);
    }
    ChildProcess agent(AgentAs(iotaxd, fewer, args));
    const auto rc = agent.Wait(30s);
    ASSERT_TRUE(rc.has_value()) << "iotaxd still running without CAP_" << absl::AsciiStrToUpper(missing);
    EXPECT_NE(*rc, 0);
    EXPECT_TRUE(agent.WaitForStderr("CAP_BPF+CAP_PERFMON", 2s)) << agent.DrainStderr(1s);
  }
}

// The syscalls in a group of `systemd-analyze syscall-filter`, groups expanded.
void ExpandSyscallGroup(const std::string& group, std::set<std::string>* out, std::set<std::string>* seen) {
  if (!seen->insert(group).second) return;
  const CommandResult r = RunCommand("systemd-analyze syscall-filter " + group, 30);
  std::istringstream in(r.output);
  std::string line;
  std::getline(in, line);  // the group's own name
  while (std::getline(in, line)) {
    const std::string item(absl::StripAsciiWhitespace(line));
    if (item.empty() || item[0] == '#') continue;
    if (item[0] == '@') {
      ExpandSyscallGroup(item, out, seen);
    } else {
      out->insert(item);
    }
  }
}

TEST(DeployedPrivileges, EverySyscallIotaxdMakesPassesTheUnitsSyscallFilter) {
  IOTAX_REQUIRE_BPF();
  if (!HaveProgram("strace") || !HaveProgram("systemd-analyze")) {
    GTEST_SKIP() << "needs strace and systemd-analyze (Debian packages strace, systemd; make deps)";
  }
  std::set<std::string> allowed, seen;
  for (absl::string_view item : absl::StrSplit(UnitValue("SystemCallFilter"), ' ', absl::SkipEmpty())) {
    if (item[0] == '@') {
      ExpandSyscallGroup(std::string(item), &allowed, &seen);
    } else {
      allowed.insert(std::string(item));
    }
  }
  ASSERT_GT(allowed.size(), 100u) << "systemd-analyze expanded " << UnitValue("SystemCallFilter") << " to too little";

  char tmpl[] = "/tmp/iotax_strace_XXXXXX";
  const int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  const std::string trace = tmpl;
  ChildProcess workload({kWorkload, "--name=iotax_sc_wl", "--seconds=60"});
  ASSERT_TRUE(workload.ReadStdoutLine(10s).has_value());
  // Every feature that makes different syscalls: BPF programs and stats, the
  // perf counters (stand-ins), --comm discovery, every HTTP endpoint.
  ::iotax::testing::NoLeakCheckInTracedChildren();
  ChildProcess traced({"/usr/bin/strace", "-f", "-qq", "-o", trace, kIotaxd, absl::StrCat("--pid=", workload.pid()),
                       "--comm=iotax-sc-none", "--listen=127.0.0.1:0", "--interval=200ms", "--calibration=none",
                       "--pmu-events=cpu-clock,task-clock", "--bpf-stats"});
  const int port = ListeningPort(traced);
  ASSERT_GT(port, 0) << traced.DrainStderr(1s);
  for (int i = 0; i < 3; ++i) {
    for (const char* path : {"/metrics", "/healthz", "/", "/api/report", "/api/series"}) {
      EXPECT_GT(LoopbackGet(port, path).status, 0) << path;
    }
    std::this_thread::sleep_for(700ms);
  }
  const int iotaxd = ChildOf(traced.pid());
  ASSERT_GT(iotaxd, 0);
  kill(iotaxd, SIGTERM);  // its clean shutdown (detach) is traced too
  EXPECT_EQ(traced.Wait(20s), 0);

  std::set<std::string> used;
  const std::regex call("^\\d+\\s+(?:<\\.\\.\\. )?([a-z0-9_]+)[( ]");
  std::istringstream in(ReadFile(trace));
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, call)) used.insert(m[1]);
  }
  unlink(trace.c_str());
  ASSERT_TRUE(used.count("bpf") && used.count("perf_event_open")) << "the trace missed iotaxd's set-up";
  std::vector<std::string> blocked;
  for (const auto& s : used) {
    if (!allowed.count(s)) blocked.push_back(s);
  }
  EXPECT_TRUE(blocked.empty()) << "SystemCallFilter=" << UnitValue("SystemCallFilter")
                               << " would block: " << absl::StrJoin(blocked, " ");
  std::cout << "iotaxd made " << used.size() << " distinct syscalls: " << absl::StrJoin(used, " ") << std::endl;
}

}  // namespace
}  // namespace iotax::dashboards
